import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore
import RelayCore
import RelayDelivery
import RelayStore

/// The `/ops` web page (docs/CONTRACT.md §7): dead letters with filters, one letter with its attempts, replay and bulk replay
/// with the dry-run count shown before confirming, endpoint health, shipment trace, quarantine, audit log.
/// Server-rendered (Mustache). Signing in with an admin token starts a server-side session: the cookie holds a
/// random session id (HttpOnly, SameSite=Strict, `Secure` behind an https `public_url`, 8 h), every state-changing
/// form carries the session's CSRF token and must come from the relay's own origin, and every page forbids framing.
/// The operations themselves are `OpsService`'s (shared with the admin API); this type turns them into HTML forms.
struct OpsController<Context: RequestContext>: Sendable {
    /// The operations behind the page (shared with the admin API).
    let service: OpsService
    let library: MustacheLibrary
    let sessions: OpsSessions
    /// What this instance handled, per minute (the overview charts).
    let history: OverviewHistory?
    /// The configuration reloader, for the overview's "configuration" line.
    let reloader: ConfigReloader?

    /// The configuration in force (replaced by a reload); read per request.
    var live: LiveConfiguration { service.live }
    var configuration: RelayConfiguration { live.current }

    static var cookie: String { "relay_ops" }

    /// Sent with every /ops answer.
    static var securityHeaders: HTTPFields {
        [
            .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            HTTPField.Name("X-Frame-Options")!: "DENY",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "same-origin",  // "no-referrer" would make browsers send Origin: null
        ]
    }

    init(service: OpsService, sessions: OpsSessions = OpsSessions(), history: OverviewHistory? = nil,
         reloader: ConfigReloader? = nil) throws {
        self.service = service
        self.history = history
        self.reloader = reloader
        self.sessions = sessions
        var library = MustacheLibrary()
        for (name, text) in [("layout", OpsTemplates.layout), ("signIn", OpsTemplates.signIn),
                             ("deadLetters", OpsTemplates.deadLetters), ("deadLetter", OpsTemplates.deadLetter),
                             ("bulkReplay", OpsTemplates.bulkReplay), ("replayJob", OpsTemplates.replayJob),
                             ("endpoints", OpsTemplates.endpoints), ("trace", OpsTemplates.trace),
                             ("quarantine", OpsTemplates.quarantine), ("audit", OpsTemplates.audit),
                             ("problem", OpsTemplates.problem),
                             ("endpointTest", Self.endpointTestTemplate), ("overview", "{{{html}}}")] {
            try library.register(text, named: name)
        }
        self.library = library
    }

    func addRoutes(to router: Router<Context>) {
        router.get("/ops/signin") { _, _ in page("Sign in", "signIn", [:], signedIn: false) }
        router.post("/ops/signin") { request, context in try await signIn(request, address: Self.address(context)) }
        router.post("/ops/signout") { request, _ in
            try await guardedForm(request) { _, _ in
                if let id = sessionId(request) { sessions.end(id) }
                return redirect("/ops/signin", cookie: "\(Self.cookie)=; Path=/ops; HttpOnly; SameSite=Strict; Max-Age=0")
            }
        }
        router.get("/ops/audit") { request, _ in try await guarded(request) { try await audit(request) } }
        router.get("/ops/overview") { request, _ in try await guarded(request) { overview() } }
        router.get("/ops") { request, _ in try await guarded(request) { try await deadLetters(request) } }
        router.get("/ops/dead-letters/:id") { request, context in
            try await guarded(request) { try await deadLetter(context.parameters.decoded("id") ?? "", flash: nil) }
        }
        router.post("/ops/dead-letters/:id/:action") { request, context in
            try await guardedForm(request) { session, _ in
                try await letterAction(context.parameters.decoded("id") ?? "", context.parameters.decoded("action") ?? "",
                                       actor: session.actor)
            }
        }
        router.get("/ops/replay") { request, _ in try await guarded(request) { try await bulkReplayPreview(request) } }
        router.post("/ops/replay") { request, _ in
            try await guardedForm(request) { session, fields in try await bulkReplayStart(fields, actor: session.actor) }
        }
        router.get("/ops/replays/:id") { request, context in
            try await guarded(request) { replayJob(context.parameters.decoded("id") ?? "") }
        }
        router.get("/ops/endpoints") { request, _ in try await guarded(request) { try await endpoints() } }
        for path in ["/ops/endpoints/:client/:name/:action", "/ops/endpoints/:client/extra/:name/:action"] {
            router.post(RouterPath(path)) { request, context in
                try await guardedForm(request) { session, _ in
                    let name = context.parameters.decoded("name") ?? ""
                    let id = "\(context.parameters.decoded("client") ?? "")/" + (path.contains("/extra/") ? "extra/\(name)" : name)
                    let action = context.parameters.decoded("action") ?? ""
                    // Only configured endpoints and the two known actions; anything else changes nothing.
                    guard action == "enable" || action == "disable",
                        try await service.setEndpoint(id, enabled: action == "enable",
                                                      by: .init(name: session.actor, via: "ops"))
                    else { return page("Not found", "trace", [:], status: .notFound) }
                    return redirect("/ops/endpoints")
                }
            }
        }
        addTestSendRoutes(to: router)
        router.get("/ops/trace") { request, _ in try await guarded(request) { try await trace(request) } }
        router.get("/ops/quarantine") { request, _ in try await guarded(request) { try await quarantine(request) } }
    }

    // MARK: Plumbing

    /// `/ops/overview`: charts of the last hour and day, endpoint failure rates, and the configuration in force.
    func overview() -> Response {
        let snapshot = live.snapshot
        var html = "<p class=\"muted\">Configuration generation \(snapshot.generation)"
        if let outcome = reloader?.lastOutcome {
            html += outcome.applied
                ? " · last reload applied at \(SVGChart.escape(outcome.at.iso8601))"
                    + (outcome.restartNeeded.isEmpty ? "" : " (restart needed for: "
                        + SVGChart.escape(outcome.restartNeeded.joined(separator: ", ")) + ")")
                : " · <span class=\"bad\">last reload refused at \(SVGChart.escape(outcome.at.iso8601)): "
                    + SVGChart.escape(outcome.issues.joined(separator: "; ")) + "</span>"
        }
        html += "</p>"
        let endpoints = snapshot.configuration.clients.flatMap { $0.endpoints.map(\.id) }
        html = OverviewPage.render(history: history ?? OverviewHistory(now: { WallClock.now().epochMilliseconds }),
                                    aggregators: Aggregator.allCases.map(\.rawValue), endpoints: endpoints,
                                    configurationLine: html)
        return page("Overview", "overview", ["html": html])
    }

    func page(_ title: String, _ template: String, _ object: [String: Any], signedIn: Bool = true,
              flash: String? = nil, refresh: Bool = false, status: HTTPResponse.Status = .ok) -> Response {
        var object = object
        let csrf = OpsSessions.current?.csrf ?? ""
        object["csrf"] = csrf
        let body = library.render(object, withTemplate: template) ?? ""
        var layout: [String: Any] = ["title": title, "body": body, "signedIn": signedIn, "refresh": refresh,
                                     "csrf": csrf]
        if let flash { layout["flash"] = flash }
        let html = library.render(layout, withTemplate: "layout") ?? body
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers = Self.securityHeaders
        headers[.location] = location
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    /// The client's address, for the sign-in throttle.
    static func address(_ context: Context) -> String {
        (context as? any ConnectionClosingContext)?.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    func sessionId(_ request: Request) -> String? {
        guard let header = request.headers[.cookie] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == Self.cookie { return String(pair[1]) }
        }
        return nil
    }

    func guarded(_ request: Request, _ body: () async throws -> Response) async throws -> Response {
        guard configuration.admin.isEnabled else {
            return page("Ops", "signIn", ["error": "Set admin.token or admin.tokens in the configuration to use this page."],
                        signedIn: false, status: .forbidden)
        }
        guard let id = sessionId(request), let session = sessions.session(id) else { return redirect("/ops/signin") }
        // A token removed or replaced by a reload ends the sessions it started.
        guard configuration.admin.holds(fingerprint: session.token) else {
            sessions.end(id)
            return redirect("/ops/signin")
        }
        do {
            return try await OpsSessions.$current.withValue(session) { try await body() }
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            service.logger.error("/ops request failed: the store did not answer",
                                 metadata: ["relay.path": "\(request.uri.path)", "error": "\(error)"])
            return page("Storage unavailable", "problem",
                        ["heading": "Storage unavailable",
                         "error": "The store did not answer. Try again in a few seconds; the relay's log has the cause."],
                        status: .serviceUnavailable)
        }
    }

    /// A state-changing form: signed in, from this relay's own origin, with the session's CSRF token. Anything
    /// else is refused with 403 and changes nothing.
    func guardedForm(_ request: Request, _ body: (OpsSessions.Session, [String: String]) async throws -> Response)
        async throws -> Response
    {
        try await guarded(request) {
            guard let session = OpsSessions.current else { return redirect("/ops/signin") }
            guard isSameOrigin(request) else {
                return page("Forbidden", "signIn", ["error": "This form was sent from another site."], status: .forbidden)
            }
            var copy = request
            let fields = try await form(&copy)
            guard ConstantTime.matchesAny(fields["csrf"], [session.csrf]) else {
                return page("Forbidden", "signIn", ["error": "The form has expired; reload the page and try again."],
                            status: .forbidden)
            }
            return try await body(session, fields)
        }
    }

    /// Whether a form post comes from the relay's own pages: its `Origin` (when the browser sends one) is this
    /// host or the configured public URL; `Sec-Fetch-Site`, when sent, says same-origin.
    func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            return false
        }
        guard let origin = request.headers[.origin] else { return true }
        var allowed: [String] = []
        if let authority = request.head.authority { allowed += ["http://\(authority)", "https://\(authority)"] }
        if let publicURL = configuration.server.publicURL, let scheme = publicURL.range(of: "://") {
            let rest = publicURL[scheme.upperBound...]
            allowed.append(String(publicURL[..<scheme.upperBound]) + String(rest.prefix { $0 != "/" }))
        }
        return allowed.contains { $0.lowercased() == origin.lowercased() }
    }

    /// The form fields of a request body (the body is read once: the CSRF check keeps it for the action).
    func form(_ request: inout Request) async throws -> [String: String] {
        let body = try await request.collectBody(upTo: 64 * 1024)
        var fields: [String: String] = [:]
        for (name, value) in URLForm.decode(String(buffer: body)) { fields[name] = value }
        return fields
    }

    func form(_ request: Request) async throws -> [String: String] {
        var request = request
        return try await form(&request)
    }

    static func row(_ letter: DeadLetter) -> [String: Any] {
        ["id": letter.id, "deadAt": letter.deadAt.iso8601, "client": letter.client, "endpoint": letter.endpointId,
         "type": letter.type, "awb": letter.awb ?? "", "failure": letter.failureClass ?? "", "attempts": letter.attempts]
    }

    // MARK: Pages

    func signIn(_ request: Request, address: String) async throws -> Response {
        guard isSameOrigin(request) else {
            return page("Sign in", "signIn", ["error": "This form was sent from another site."], signedIn: false,
                        status: .forbidden)
        }
        guard sessions.mayTry(address) else {
            return page("Sign in", "signIn", ["error": "Too many failed sign-ins; try again in 15 minutes."],
                        signedIn: false, status: .tooManyRequests)
        }
        let fields = try await form(request)
        guard let actor = configuration.admin.name(of: fields["token"]) else {
            sessions.recordFailure(address)
            return page("Sign in", "signIn", ["error": "That is not an admin token."], signedIn: false,
                        status: .unauthorized)
        }
        sessions.recordSuccess(address)
        let (id, _) = sessions.create(actor: actor, token: RelayConfiguration.Admin.fingerprint(fields["token"] ?? ""))
        let secure = configuration.server.publicURL?.lowercased().hasPrefix("https://") == true ? "; Secure" : ""
        let maxAge = Int(sessions.lifetime.components.seconds)
        return redirect("/ops", cookie: "\(Self.cookie)=\(id); Path=/ops; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)\(secure)")
    }

    func deadLetters(_ request: Request) async throws -> Response {
        var fields = request.queryFields
        // A filter it cannot apply (a time that does not parse, a field it does not know) is refused with the form
        // kept: listing everything instead would look like an answer to the question asked.
        if let problem = DeadLetterFilter.problem(in: fields, others: ["cursor", "flash"]) {
            return page("Dead letters", "deadLetters", ["filter": fields, "letters": [Any](), "error": problem],
                        status: .badRequest)
        }
        // A cursor that does not parse shows the first page.
        let letters = try await service.deadLetters(fields: fields, limit: 50,
                                                    after: fields["cursor"].flatMap(DeadLetterCursor.init))
        var object: [String: Any] = ["filter": fields, "letters": letters.letters.map(Self.row)]
        let held = (try? await service.awaitingOrderCount()) ?? 0
        if held > 0 {
            object["held"] = true
            object["awaitingOrder"] = held
        }
        if let next = letters.next {
            fields["cursor"] = next.description
            object["next"] = "/ops?" + fields.sorted { $0.key < $1.key }
                .map { "\($0.key)=\(URLForm.encode($0.value))" }.joined(separator: "&")
        }
        return page("Dead letters", "deadLetters", object, flash: fields["flash"])
    }

    func deadLetter(_ id: String, flash: String?) async throws -> Response {
        guard let letter = try await service.letter(id) else {
            return page("Not found", "trace", [:], status: .notFound)
        }
        let attempts = try await service.attempts(of: letter).map { attempt -> [String: Any] in
            ["number": attempt.number, "startedAt": attempt.startedAt.iso8601, "durationMs": attempt.durationMilliseconds,
             "status": attempt.statusCode.map(String.init) ?? "-", "failure": attempt.failureClass ?? "",
             "response": String(decoding: attempt.responseExcerpt.prefix(300), as: UTF8.self)]
        }
        var object = Self.row(letter)
        object["notificationId"] = letter.notificationId
        object["awbQuery"] = URLForm.encode(letter.awb ?? "")
        object["attempts"] = attempts
        object["payload"] = ((try? JSONValue.parse(letter.payload))?.prettyPrinted())
            ?? String(decoding: letter.payload, as: UTF8.self)
        return page("Dead letter \(id)", "deadLetter", object, flash: flash)
    }

    func letterAction(_ id: String, _ action: String, actor: String) async throws -> Response {
        // Only the two actions the page offers, on a delivery that exists; anything else is 404 and changes nothing.
        guard action == "replay" || action == "discard", try await service.letter(id) != nil else {
            return page("Not found", "trace", [:], status: .notFound)
        }
        let actor = OpsService.Actor(name: actor, via: "ops")
        if action == "replay" {
            let replayed = try await service.replay(id, by: actor) == .done
            return redirect("/ops?flash=" + URLForm.encode(replayed ? "\(id) is being replayed." : "\(id) is not a dead letter."))
        }
        let discarded = try await service.discard(id, by: actor) == .done
        return redirect("/ops?flash=" + URLForm.encode(discarded ? "\(id) discarded." : "\(id) is not a dead letter."))
    }

    func bulkReplayPreview(_ request: Request) async throws -> Response {
        let fields = request.queryFields
        if let problem = DeadLetterFilter.problem(in: fields, others: ["cursor"]) {
            return page("Bulk replay", "problem", ["heading": "Bulk replay", "error": problem], status: .badRequest)
        }
        let preview = try await service.bulkReplayPreview(fields: fields)
        let description = fields.isEmpty ? "no filter (all dead letters)"
            : fields.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: ", ")
        return page("Bulk replay", "bulkReplay", [
            "count": preview.count, "capped": preview.capped, "description": description,
            "hidden": fields.map { ["name": $0.key, "value": $0.value] },
            "sample": preview.sample.map(Self.row),
        ])
    }

    func bulkReplayStart(_ fields: [String: String], actor: String) async throws -> Response {
        var fields = fields
        fields.removeValue(forKey: "csrf")
        let rate = OpsService.rate(Double(fields.removeValue(forKey: "ratePerSecond") ?? ""))
        fields = fields.filter { !$0.value.isEmpty }
        if let problem = DeadLetterFilter.problem(in: fields) {
            return page("Bulk replay", "problem", ["heading": "Bulk replay", "error": problem], status: .badRequest)
        }
        let job = try await service.startBulkReplay(fields: fields, ratePerSecond: rate,
                                                    by: .init(name: actor, via: "ops"))
        return redirect("/ops/replays/\(job.id)")
    }

    func replayJob(_ id: String) -> Response {
        guard let job = service.replayJob(id) else { return page("Not found", "trace", [:], status: .notFound) }
        return page("Replay", "replayJob", [
            "id": job.id, "state": job.finishedAt == nil ? "Running" : "Finished", "done": job.done,
            "failed": job.failed, "total": job.total, "rate": Int(job.ratePerSecond),
        ], refresh: job.finishedAt == nil)
    }

    func endpoints() async throws -> Response {
        let rows = try await service.endpointHealth().map { health -> [String: Any] in
            let stats = health.statistics
            return [
                "id": health.endpoint.id, "url": health.endpoint.displayURL,
                "status": stats.disabled ? "disabled" : "enabled", "statusClass": stats.disabled ? "bad" : "ok",
                "lastSuccess": stats.lastSuccess?.iso8601 ?? "never",
                "failureRate": stats.recentAttempts == 0 ? "–"
                    : "\(stats.recentFailures * 100 / stats.recentAttempts) % of \(stats.recentAttempts)",
                "pending": stats.pending, "dead": stats.dead, "toggle": stats.disabled ? "enable" : "disable",
                "awaitingOrder": stats.awaitingOrder,
                "idQuery": URLForm.encode(health.endpoint.id),
            ]
        }
        return page("Endpoints", "endpoints", ["endpoints": rows])
    }

    func audit(_ request: Request) async throws -> Response {
        // A cursor that does not parse shows the newest entries.
        let (entries, next) = try await service.auditLog(before: request.queryFields["cursor"].flatMap { Int64($0) },
                                                         limit: 100)
        var object: [String: Any] = ["entries": entries.map { entry -> [String: Any] in
            ["at": entry.at.iso8601, "actor": entry.actor, "action": entry.action, "target": entry.target,
             "detail": entry.detail, "via": entry.via]
        }]
        if let next { object["next"] = "/ops/audit?cursor=\(next)" }
        return page("Audit log", "audit", object)
    }

    func trace(_ request: Request) async throws -> Response {
        let awb = request.queryFields["awb"]
        var object: [String: Any] = [:]
        if let awb {
            object["awb"] = awb
            object["entries"] = try await service.trace(awb: awb, client: nil).map { entry -> [String: Any] in
                ["at": entry.at.iso8601, "kind": entry.kind, "id": entry.id, "detail": entry.detail]
            }
        }
        return page("Shipment trace", "trace", object)
    }

    func quarantine(_ request: Request) async throws -> Response {
        let fields = request.queryFields
        let client = fields["client"]
        // A cursor that does not parse shows the first page.
        let found = try await service.quarantined(client: client, cursor: fields["cursor"].flatMap(QuarantineCursor.init),
                                                  limit: 50)
        let items = found.items.map { item -> [String: Any] in
            ["id": item.id, "receivedAt": item.receivedAt.iso8601, "client": item.client, "aggregator": item.aggregator,
             "error": item.error, "detail": item.detail, "body": String(decoding: item.body.prefix(500), as: UTF8.self)]
        }
        var object: [String: Any] = ["items": items, "client": client ?? ""]
        if let next = found.next {
            object["next"] = "/ops/quarantine?" + (client.map { "client=\(URLForm.encode($0))&" } ?? "")
                + "cursor=\(next.description)"
        }
        return page("Quarantine", "quarantine", object)
    }
}
