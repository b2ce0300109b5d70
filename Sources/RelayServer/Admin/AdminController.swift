import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayCore
import RelayDelivery
import RelayStore

/// The admin JSON API (docs/CONTRACT.md §7), bearer `admin.token` or one of `admin.tokens`: dead letters — list with filters and
/// cursor pagination, show with every attempt, replay (same `webhook-id`, `webhook-attempt-trigger: manual`),
/// discard; endpoints; trace; quarantine; the audit log (every state-changing call is recorded with the token's name).
/// The operations themselves are `OpsService`'s (shared with `/ops`); this type turns them into JSON over HTTP.
struct AdminController<Context: RequestContext>: Sendable {
    let service: OpsService
    /// Reloads the configuration file (`POST /admin/v1/config/reload`); nil when the relay has no file to reload.
    var reloader: ConfigReloader? = nil

    /// The configuration in force (replaced by a reload); read per request.
    var live: LiveConfiguration { service.live }
    var configuration: RelayConfiguration { live.current }

    func addRoutes(to router: Router<Context>) {
        let admin = router.group("/admin/v1")
        admin.get("config") { request, _ in try await authorized(request) { configStatus() } }
        admin.post("config/reload") { request, _ in try await authorized(request) { reloadConfiguration() } }
        admin.get("dead-letters") { request, context in
            try await authorized(request) { try await list(request) }
        }
        admin.post("dead-letters/replay") { request, _ in try await authorized(request) { try await bulkReplay(request) } }
        admin.get("replays/:id") { request, context in
            try await authorized(request) {
                guard let job = service.replayJob(context.parameters.decoded("id") ?? "") else {
                    return JSONResponse.error(.notFound, "not_found", "no replay job with that id")
                }
                return JSONResponse.make(.ok, job.json)
            }
        }
        admin.get("dead-letters/:id") { request, context in
            try await authorized(request) { try await show(context.parameters.decoded("id") ?? "") }
        }
        admin.post("dead-letters/:id/replay") { request, context in
            try await authorized(request) { try await replay(context.parameters.decoded("id") ?? "", actor: caller(request)) }
        }
        admin.post("dead-letters/:id/discard") { request, context in
            try await authorized(request) { try await discard(context.parameters.decoded("id") ?? "", actor: caller(request)) }
        }
        admin.get("endpoints") { request, _ in try await authorized(request) { try await endpoints() } }
        admin.post("endpoints/:client/:name/:action") { request, context in
            try await authorized(request) {
                let id = "\(context.parameters.decoded("client") ?? "")/\(context.parameters.decoded("name") ?? "")"
                return try await endpointAction(id, context.parameters.decoded("action") ?? "", request: request)
            }
        }
        admin.post("endpoints/:client/extra/:name/:action") { request, context in
            try await authorized(request) {
                let id = "\(context.parameters.decoded("client") ?? "")/extra/\(context.parameters.decoded("name") ?? "")"
                return try await endpointAction(id, context.parameters.decoded("action") ?? "", request: request)
            }
        }
        admin.get("shipments/:awb/trace") { request, context in
            try await authorized(request) {
                try await trace(context.parameters.decoded("awb") ?? "",
                                client: request.uri.queryParameters.get("client").map { String($0) })
            }
        }
        admin.get("quarantine") { request, _ in try await authorized(request) { try await quarantine(request) } }
        admin.post("quarantine/:id/renormalise") { request, context in
            try await authorized(request) {
                try await renormalise(context.parameters.decoded("id") ?? "", actor: caller(request))
            }
        }
        admin.get("audit") { request, _ in try await authorized(request) { try await auditLog(request) } }
    }

    /// `POST /admin/v1/dead-letters/replay {filter…, "dryRun": true|false, "ratePerSecond": n}`.
    func bulkReplay(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        let json = body.readableBytes == 0 ? JSONValue.object(JSONObject())
            : ((try? JSONValue.parse(Array(body.readableBytesView))) ?? .null)
        guard json.object != nil else { return JSONResponse.error(.badRequest, "invalid_body", "a JSON object is required") }
        var fields: [String: String] = [:]
        for member in json.object ?? JSONObject() { if let text = member.value.text { fields[member.key] = text } }
        fields = fields.filter { $0.key != "dryRun" && $0.key != "ratePerSecond" }
        for member in json.object ?? JSONObject() where member.value.text == nil
            && !["dryRun", "ratePerSecond"].contains(member.key)
        {
            return JSONResponse.error(.badRequest, "invalid_filter", "\(member.key.prefix(64)) must be a string")
        }
        if let problem = DeadLetterFilter.problem(in: fields) {
            return JSONResponse.error(.badRequest, "invalid_filter", problem)
        }
        if json["dryRun"]?.boolean == true {
            let preview = try await service.bulkReplayPreview(fields: fields)
            return JSONResponse.make(.ok, ["dryRun": true, "count": .int(Int64(preview.count)),
                                           "capped": .bool(preview.capped),
                                           "sample": .array(preview.sample.map(Self.json))])
        }
        let rate = OpsService.rate(json["ratePerSecond"].flatMap { value -> Double? in
            if case .double(let number) = value { return number }
            return value.integer.map(Double.init)
        })
        let job = try await service.startBulkReplay(fields: fields, ratePerSecond: rate, by: caller(request))
        return JSONResponse.make(.accepted, job.json)
    }

    func endpoints() async throws -> Response {
        let items = try await service.endpointHealth().map { health -> JSONValue in
            let stats = health.statistics
            return [
                "id": .string(health.endpoint.id), "client": .string(health.client.id),
                "kind": .string(health.endpoint.kind.rawValue),
                "url": .string(health.endpoint.displayURL),
                "status": .string(stats.disabled ? "disabled" : "enabled"),
                "disabledReason": .string(orNull: stats.disabledReason),
                "lastSuccess": .string(orNull: stats.lastSuccess?.iso8601),
                "recentAttempts": .int(Int64(stats.recentAttempts)),
                "recentFailureRate": health.recentFailureRate.map { .double($0) } ?? .null,
                "pending": .int(Int64(stats.pending)), "dead": .int(Int64(stats.dead)),
                "awaitingOrder": .int(Int64(stats.awaitingOrder)),
            ]
        }
        return JSONResponse.make(.ok, ["items": .array(items)])
    }

    func endpointAction(_ id: String, _ action: String, request: Request) async throws -> Response {
        guard service.client(ofEndpoint: id) != nil else {
            return JSONResponse.error(.notFound, "unknown_endpoint", "no endpoint \(id) is configured")
        }
        switch action {
        case "test":
            return try await testSend(id, request: request)
        case "enable", "disable":
            let enabled = action == "enable"
            guard try await service.setEndpoint(id, enabled: enabled, by: caller(request)) else {
                return JSONResponse.error(.notFound, "unknown_endpoint", "no endpoint \(id) is configured")
            }
            return JSONResponse.make(.ok, ["status": .string(enabled ? "enabled" : "disabled"), "id": .string(id)])
        case "recover":
            var request = request
            let body = try await request.collectBody(upTo: 64 * 1024)
            let json = (try? JSONValue.parse(Array(body.readableBytesView))) ?? .null
            guard let text = json["since"]?.text, let since = TimestampParser(defaultOffsetSeconds: 0).parse(text) else {
                return JSONResponse.error(.badRequest, "invalid_body", "since: an ISO-8601 time is required")
            }
            guard let replayed = try await service.recover(id, since: since, by: caller(request)) else {
                return JSONResponse.error(.notFound, "unknown_endpoint", "no endpoint \(id) is configured")
            }
            return JSONResponse.make(.accepted, ["status": "recovering", "id": .string(id),
                                                 "replayed": .int(Int64(replayed))])
        default:
            return JSONResponse.error(.notFound, "unknown_action", "use enable, disable, recover or test")
        }
    }

    func trace(_ awb: String, client: String?) async throws -> Response {
        let entries = try await service.trace(awb: awb, client: client)
        return JSONResponse.make(.ok, [
            "awb": .string(awb),
            "entries": .array(entries.map { entry in
                ["at": .string(entry.at.iso8601), "kind": .string(entry.kind), "id": .string(entry.id),
                 "detail": .string(entry.detail)]
            }),
        ])
    }

    /// Parses a quarantined callback's stored bytes again (after a parser or mapping fix) and normalises it.
    func renormalise(_ id: String, actor: OpsService.Actor) async throws -> Response {
        switch try await service.renormalise(id, by: actor) {
        case .notFound:
            return JSONResponse.error(.notFound, "not_found", "no quarantined callback \(id)")
        case .stillRejected(let error):
            return JSONResponse.error(.unprocessableContent, error.shortDescription, "still rejected: \(error.detail)")
        case .requeued(let outcome):
            return JSONResponse.make(.ok, ["status": .string(outcome.duplicate ? "duplicate" : "accepted"),
                                           "callbackId": .string(outcome.callbackId)])
        }
    }

    /// `GET /admin/v1/quarantine?client=&limit=&cursor=`: a page, newest first; `nextCursor` when there may be more.
    func quarantine(_ request: Request) async throws -> Response {
        let fields = request.queryFields
        if let unknown = fields.keys.sorted().first(where: { !["client", "cursor", "limit"].contains($0) }) {
            return JSONResponse.error(.badRequest, "invalid_filter",
                                      "unknown filter field \(unknown.prefix(64)) (known: client, cursor, limit)")
        }
        var cursor: QuarantineCursor?
        if let text = fields["cursor"] {
            guard let parsed = QuarantineCursor(text) else {
                return JSONResponse.error(.badRequest, "bad_cursor", "cursor must come from a previous page's nextCursor")
            }
            cursor = parsed
        }
        var limit = 200
        if let text = fields["limit"] {
            guard let parsed = Int(text), (1...200).contains(parsed) else {
                return JSONResponse.error(.badRequest, "invalid_filter", "limit must be a whole number from 1 to 200")
            }
            limit = parsed
        }
        let page = try await service.quarantined(client: fields["client"], cursor: cursor, limit: limit)
        let items = page.items
        return JSONResponse.make(.ok, ["nextCursor": page.next.map { .string($0.description) } ?? .null,
                                       "items": .array(items.map { item in
            ["id": .string(item.id), "client": .string(item.client), "aggregator": .string(item.aggregator),
             "receivedAt": .string(item.receivedAt.iso8601), "error": .string(item.error), "detail": .string(item.detail),
             "body": .string(String(decoding: item.body, as: UTF8.self)), "bodyBytes": .int(Int64(item.bodyBytes)),
             "bodyTruncated": .bool(item.bodyBytes > item.body.count)]
        })])
    }

    /// `GET /admin/v1/config`: the generation in force and the last reload's outcome (never a value of the file).
    func configStatus() -> Response {
        JSONResponse.make(.ok, .object(JSONObject([
            ("generation", .int(Int64(live.snapshot.generation))),
            ("clients", .int(Int64(live.current.clients.count))),
            ("reloadable", .bool(reloader != nil)),
            ("lastReload", reloader?.lastOutcome.map(Self.json) ?? .null),
        ])))
    }

    /// `POST /admin/v1/config/reload`: 200 when applied, 422 with the reasons when the file is refused.
    func reloadConfiguration() -> Response {
        guard let reloader else {
            return JSONResponse.error(.conflict, "not_reloadable", "this relay was not started from a configuration file")
        }
        let outcome = reloader.reload()
        return JSONResponse.make(outcome.applied ? .ok : .unprocessableContent, Self.json(outcome))
    }

    static func json(_ outcome: ConfigReloader.Outcome) -> JSONValue {
        .object(JSONObject([
            ("status", .string(outcome.applied ? "reloaded" : "refused")),
            ("at", .string(outcome.at.iso8601)),
            ("generation", .int(Int64(outcome.generation))),
            ("issues", .array(outcome.issues.map { .string($0) })),
            ("restartNeeded", .array(outcome.restartNeeded.map { .string($0) })),
        ]))
    }

    func authorized(_ request: Request, _ body: () async throws -> Response) async throws -> Response {
        guard configuration.admin.isEnabled else {
            return JSONResponse.error(.forbidden, "admin_disabled", "set admin.token or admin.tokens in the configuration")
        }
        guard configuration.admin.name(of: request.bearerToken) != nil else {
            return JSONResponse.error(.unauthorized, "unauthorized", "missing or wrong admin bearer token")
        }
        do {
            return try await body()
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            // Everything else the admin API does is the store's: when it fails, a JSON answer to retry, not an empty
            // 500 (authenticated callers only, so one line per request is bounded by them).
            service.logger.error("admin API request failed: the store did not answer",
                                 metadata: ["relay.path": "\(request.uri.path)", "error": "\(error)"])
            return JSONResponse.error(.serviceUnavailable, "storage_unavailable",
                                      "the store did not answer; retry later", headers: [.retryAfter: "5"])
        }
    }

    /// The name of the admin token the request presented (the audit log's "who"), through the API.
    func caller(_ request: Request) -> OpsService.Actor {
        OpsService.Actor(name: configuration.admin.name(of: request.bearerToken) ?? "unknown", via: "api")
    }

    /// `GET /admin/v1/audit?limit=&cursor=`: newest first; `nextCursor` fetches older entries.
    func auditLog(_ request: Request) async throws -> Response {
        let limit = max(1, min(request.uri.queryParameters.get("limit").flatMap { Int($0) } ?? 50, 1_000))
        var before: Int64?
        if let cursor = request.uri.queryParameters.get("cursor"), !cursor.isEmpty {
            guard let seq = Int64(cursor) else {
                return JSONResponse.error(.badRequest, "bad_cursor", "cursor must come from a previous page's nextCursor")
            }
            before = seq
        }
        let (entries, next) = try await service.auditLog(before: before, limit: limit)
        return JSONResponse.make(.ok, ["items": .array(entries.map(Audit.json)),
                                       "nextCursor": next.map { .string(String($0)) } ?? .null])
    }

    static func json(_ letter: DeadLetter) -> JSONValue {
        [
            "id": .string(letter.id), "notificationId": .string(letter.notificationId), "client": .string(letter.client),
            "endpoint": .string(letter.endpointId), "type": .string(letter.type), "awb": .string(orNull: letter.awb),
            "failureClass": .string(orNull: letter.failureClass), "attempts": .int(Int64(letter.attempts)),
            "deadAt": .string(letter.deadAt.iso8601),
        ]
    }

    func list(_ request: Request) async throws -> Response {
        let fields = request.queryFields
        if let problem = DeadLetterFilter.problem(in: fields, others: ["cursor", "limit"]) {
            return JSONResponse.error(.badRequest, "invalid_filter", problem)
        }
        var cursor: DeadLetterCursor?
        if let text = fields["cursor"] {
            guard let parsed = DeadLetterCursor(text) else {
                return JSONResponse.error(.badRequest, "bad_cursor", "cursor must come from a previous page's nextCursor")
            }
            cursor = parsed
        }
        let page = try await service.deadLetters(fields: fields, limit: fields["limit"].flatMap { Int($0) } ?? 50,
                                                 after: cursor)
        return JSONResponse.make(.ok, ["items": .array(page.letters.map(Self.json)),
                                       "nextCursor": page.next.map { .string($0.description) } ?? .null])
    }

    func show(_ id: String) async throws -> Response {
        // Only a delivery that is dead now: a discarded (or replayed) one is not a letter.
        guard let letter = try await service.letter(id), letter.isDead else {
            return JSONResponse.error(.notFound, "not_found", "no dead letter \(id)")
        }
        let attempts = try await service.attempts(of: letter)
        var object = Self.json(letter).object ?? JSONObject()
        object["payload"] = (try? JSONValue.parse(letter.payload)) ?? .string(String(decoding: letter.payload, as: UTF8.self))
        object["attemptLog"] = .array(attempts.map { attempt in
            [
                "number": .int(Int64(attempt.number)), "startedAt": .string(attempt.startedAt.iso8601),
                "durationMs": .int(attempt.durationMilliseconds),
                "status": attempt.statusCode.map { .int(Int64($0)) } ?? .null,
                "failureClass": .string(orNull: attempt.failureClass),
                "responseExcerpt": .string(String(decoding: attempt.responseExcerpt, as: UTF8.self)),
            ]
        })
        return JSONResponse.make(.ok, .object(object))
    }

    func replay(_ id: String, actor: OpsService.Actor) async throws -> Response {
        switch try await service.replay(id, by: actor) {
        case .unknown:
            return JSONResponse.error(.notFound, "not_found", "no dead letter \(id)")
        case .notDead:
            return JSONResponse.error(.conflict, "not_dead", "\(id) is not a dead letter (already replayed or discarded?)")
        case .done:
            return JSONResponse.make(.accepted, ["status": "replaying", "id": .string(id)])
        }
    }

    func discard(_ id: String, actor: OpsService.Actor) async throws -> Response {
        guard try await service.discard(id, by: actor) == .done else {
            return JSONResponse.error(.notFound, "not_dead", "no dead letter \(id)")
        }
        return JSONResponse.make(.ok, ["status": "discarded", "id": .string(id)])
    }
}
