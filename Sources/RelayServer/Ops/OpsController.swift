import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import RelayCore
import RelayDelivery
import RelayStore

/// The `/ops` web page (SPEC §7): dead letters with filters, one letter with its attempts, replay and bulk replay
/// with the dry-run count shown before confirming, endpoint health, shipment trace, quarantine. Server-rendered
/// (Mustache), signed in with the admin token (an HttpOnly, SameSite=Strict cookie).
struct OpsController<Context: RequestContext>: Sendable {
    /// The configuration in force (replaced by a reload); read per request.
    let live: LiveConfiguration
    var configuration: RelayConfiguration { live.current }
    let store: any RelayStore
    let wakeup: DeliveryWakeup
    let jobs: ReplayJobs
    let library: MustacheLibrary

    static var cookie: String { "relay_ops" }

    init(live: LiveConfiguration, store: any RelayStore, wakeup: DeliveryWakeup, jobs: ReplayJobs) throws {
        self.live = live
        self.store = store
        self.wakeup = wakeup
        self.jobs = jobs
        var library = MustacheLibrary()
        for (name, text) in [("layout", OpsTemplates.layout), ("signIn", OpsTemplates.signIn),
                             ("deadLetters", OpsTemplates.deadLetters), ("deadLetter", OpsTemplates.deadLetter),
                             ("bulkReplay", OpsTemplates.bulkReplay), ("replayJob", OpsTemplates.replayJob),
                             ("endpoints", OpsTemplates.endpoints), ("trace", OpsTemplates.trace),
                             ("quarantine", OpsTemplates.quarantine),
                             ("endpointTest", Self.endpointTestTemplate)] {
            try library.register(text, named: name)
        }
        self.library = library
    }

    func addRoutes(to router: Router<Context>) {
        router.get("/ops/signin") { _, _ in page("Sign in", "signIn", [:], signedIn: false) }
        router.post("/ops/signin") { request, _ in try await signIn(request) }
        router.get("/ops") { request, _ in try await guarded(request) { try await deadLetters(request) } }
        router.get("/ops/dead-letters/:id") { request, context in
            try await guarded(request) { try await deadLetter(context.parameters.get("id") ?? "", flash: nil) }
        }
        router.post("/ops/dead-letters/:id/:action") { request, context in
            try await guarded(request) {
                try await letterAction(context.parameters.get("id") ?? "", context.parameters.get("action") ?? "")
            }
        }
        router.get("/ops/replay") { request, _ in try await guarded(request) { try await bulkReplayPreview(request) } }
        router.post("/ops/replay") { request, _ in try await guarded(request) { try await bulkReplayStart(request) } }
        router.get("/ops/replays/:id") { request, context in
            try await guarded(request) { replayJob(context.parameters.get("id") ?? "") }
        }
        router.get("/ops/endpoints") { request, _ in try await guarded(request) { try await endpoints() } }
        for path in ["/ops/endpoints/:client/:name/:action", "/ops/endpoints/:client/extra/:name/:action"] {
            router.post(RouterPath(path)) { request, context in
                try await guarded(request) {
                    let name = context.parameters.get("name") ?? ""
                    let id = "\(context.parameters.get("client") ?? "")/" + (path.contains("/extra/") ? "extra/\(name)" : name)
                    let disable = context.parameters.get("action") == "disable"
                    try await store.setEndpoint(id, disabled: disable, reason: disable ? "disabled by ops" : nil,
                                                now: WallClock.now())
                    wakeup.signal()
                    return redirect("/ops/endpoints")
                }
            }
        }
        addTestSendRoutes(to: router)
        router.get("/ops/trace") { request, _ in try await guarded(request) { try await trace(request) } }
        router.get("/ops/quarantine") { request, _ in try await guarded(request) { try await quarantine() } }
    }

    // MARK: Plumbing

    func page(_ title: String, _ template: String, _ object: [String: Any], signedIn: Bool = true,
              flash: String? = nil, refresh: Bool = false, status: HTTPResponse.Status = .ok) -> Response {
        let body = library.render(object, withTemplate: template) ?? ""
        var layout: [String: Any] = ["title": title, "body": body, "signedIn": signedIn, "refresh": refresh]
        if let flash { layout["flash"] = flash }
        let html = library.render(layout, withTemplate: "layout") ?? body
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers: HTTPFields = [.location: location]
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    func isSignedIn(_ request: Request) -> Bool {
        guard let token = configuration.admin.token, let header = request.headers[.cookie] else { return false }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == Self.cookie, ConstantTime.matchesAny(String(pair[1]), [token]) { return true }
        }
        return false
    }

    func guarded(_ request: Request, _ body: () async throws -> Response) async throws -> Response {
        guard configuration.admin.token != nil else {
            return page("Ops", "signIn", ["error": "Set admin.token in the configuration to use this page."],
                        signedIn: false, status: .forbidden)
        }
        guard isSignedIn(request) else { return redirect("/ops/signin") }
        return try await body()
    }

    func form(_ request: Request) async throws -> [String: String] {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        var fields: [String: String] = [:]
        for (name, value) in URLForm.decode(String(buffer: body)) { fields[name] = value }
        return fields
    }

    func query(_ request: Request) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in request.uri.queryParameters where !value.isEmpty { fields[String(name)] = String(value) }
        return fields
    }

    func filter(_ fields: [String: String], limit: Int) -> DeadLetterFilter {
        DeadLetterFilter(fields: fields, limit: limit)
    }

    static func row(_ letter: DeadLetter) -> [String: Any] {
        ["id": letter.id, "deadAt": letter.deadAt.iso8601, "client": letter.client, "endpoint": letter.endpointId,
         "type": letter.type, "awb": letter.awb ?? "", "failure": letter.failureClass ?? "", "attempts": letter.attempts]
    }

    // MARK: Pages

    func signIn(_ request: Request) async throws -> Response {
        let fields = try await form(request)
        guard let token = configuration.admin.token, ConstantTime.matchesAny(fields["token"], [token]) else {
            return page("Sign in", "signIn", ["error": "That is not the admin token."], signedIn: false,
                        status: .unauthorized)
        }
        return redirect("/ops", cookie: "\(Self.cookie)=\(token); Path=/ops; HttpOnly; SameSite=Strict")
    }

    func deadLetters(_ request: Request) async throws -> Response {
        var fields = query(request)
        var deadLetterFilter = filter(fields, limit: 50)
        if let cursor = fields["cursor"] {
            let parts = cursor.split(separator: ".")
            if parts.count == 2, let deadAt = Int64(parts[0]), let seq = Int64(parts[1]) {
                deadLetterFilter.before = (EventTime(epochMilliseconds: deadAt), seq)
            }
        }
        let letters = try await store.deadLetters(deadLetterFilter)
        var object: [String: Any] = ["filter": fields, "letters": letters.map(Self.row)]
        let held = (try? await store.awaitingOrderCount()) ?? 0
        if held > 0 {
            object["held"] = true
            object["awaitingOrder"] = held
        }
        if letters.count == 50, let last = letters.last {
            fields["cursor"] = "\(last.deadAt.epochMilliseconds).\(last.seq)"
            object["next"] = "/ops?" + fields.sorted { $0.key < $1.key }
                .map { "\($0.key)=\(URLForm.encode($0.value))" }.joined(separator: "&")
        }
        return page("Dead letters", "deadLetters", object, flash: fields["flash"])
    }

    func deadLetter(_ id: String, flash: String?) async throws -> Response {
        guard let seq = DeadLetter.seq(fromId: id), let letter = try await store.deadLetter(seq: seq) else {
            return page("Not found", "trace", [:], status: .notFound)
        }
        let attempts = try await store.attempts(delivery: seq).map { attempt -> [String: Any] in
            ["number": attempt.number, "startedAt": attempt.startedAt.iso8601, "durationMs": attempt.durationMilliseconds,
             "status": attempt.statusCode.map(String.init) ?? "-", "failure": attempt.failureClass ?? "",
             "response": String(decoding: attempt.responseExcerpt.prefix(300), as: UTF8.self)]
        }
        var object = Self.row(letter)
        object["notificationId"] = letter.notificationId
        object["attempts"] = attempts
        object["payload"] = ((try? JSONValue.parse(letter.payload))?.prettyPrinted())
            ?? String(decoding: letter.payload, as: UTF8.self)
        return page("Dead letter \(id)", "deadLetter", object, flash: flash)
    }

    func letterAction(_ id: String, _ action: String) async throws -> Response {
        guard let seq = DeadLetter.seq(fromId: id) else { return redirect("/ops") }
        let now = WallClock.now()
        if action == "replay" {
            let replayed = try await store.replay(deadLetter: seq, now: now)
            wakeup.signal()
            return redirect("/ops?flash=" + URLForm.encode(replayed ? "\(id) is being replayed." : "\(id) is not a dead letter."))
        }
        let discarded = try await store.discard(deadLetter: seq, now: now)
        return redirect("/ops?flash=" + URLForm.encode(discarded ? "\(id) discarded." : "\(id) is not a dead letter."))
    }

    func bulkReplayPreview(_ request: Request) async throws -> Response {
        let fields = query(request)
        let letters = try await store.deadLetters(filter(fields, limit: 10_000))
        let description = fields.isEmpty ? "no filter (all dead letters)"
            : fields.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: ", ")
        return page("Bulk replay", "bulkReplay", [
            "count": letters.count, "description": description,
            "hidden": fields.map { ["name": $0.key, "value": $0.value] },
            "sample": letters.prefix(10).map(Self.row),
        ])
    }

    func bulkReplayStart(_ request: Request) async throws -> Response {
        var fields = try await form(request)
        let rate = max(1, min(Double(fields.removeValue(forKey: "ratePerSecond") ?? "") ?? 50, 10_000))
        let letters = try await store.deadLetters(filter(fields.filter { !$0.value.isEmpty }, limit: 10_000))
        let job = jobs.start(seqs: letters.map(\.seq).reversed(), ratePerSecond: rate)
        return redirect("/ops/replays/\(job.id)")
    }

    func replayJob(_ id: String) -> Response {
        guard let job = jobs.job(id) else { return page("Not found", "trace", [:], status: .notFound) }
        return page("Replay", "replayJob", [
            "id": job.id, "state": job.finishedAt == nil ? "Running" : "Finished", "done": job.done,
            "failed": job.failed, "total": job.total, "rate": Int(job.ratePerSecond),
        ], refresh: job.finishedAt == nil)
    }

    func endpoints() async throws -> Response {
        let statistics = try await store.endpointStatistics(since: EventTime(
            epochMilliseconds: WallClock.now().epochMilliseconds - 3_600_000))
        var rows: [[String: Any]] = []
        for client in configuration.clients {
            for endpoint in client.endpoints {
                let stats = statistics[endpoint.id] ?? EndpointStatistics()
                rows.append([
                    "id": endpoint.id, "url": AdminController<Context>.redact(endpoint.url),
                    "status": stats.disabled ? "disabled" : "enabled", "statusClass": stats.disabled ? "bad" : "ok",
                    "lastSuccess": stats.lastSuccess?.iso8601 ?? "never",
                    "failureRate": stats.recentAttempts == 0 ? "–"
                        : "\(stats.recentFailures * 100 / stats.recentAttempts) % of \(stats.recentAttempts)",
                    "pending": stats.pending, "dead": stats.dead, "toggle": stats.disabled ? "enable" : "disable",
                    "awaitingOrder": stats.awaitingOrder,
                ])
            }
        }
        return page("Endpoints", "endpoints", ["endpoints": rows])
    }

    func trace(_ request: Request) async throws -> Response {
        let awb = query(request)["awb"]
        var object: [String: Any] = [:]
        if let awb {
            object["awb"] = awb
            object["entries"] = try await store.trace(client: nil, awb: awb).map { entry -> [String: Any] in
                ["at": entry.at.iso8601, "kind": entry.kind, "id": entry.id, "detail": entry.detail]
            }
        }
        return page("Shipment trace", "trace", object)
    }

    func quarantine() async throws -> Response {
        let items = try await store.quarantined(limit: 200).map { item -> [String: Any] in
            ["id": item.id, "receivedAt": item.receivedAt.iso8601, "client": item.client, "aggregator": item.aggregator,
             "error": item.error, "detail": item.detail, "body": String(decoding: item.body.prefix(500), as: UTF8.self)]
        }
        return page("Quarantine", "quarantine", ["items": items])
    }
}
