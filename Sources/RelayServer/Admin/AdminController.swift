import HTTPTypes
import Hummingbird
import NIOCore
import RelayCore
import RelayDelivery
import RelayStore

/// The admin JSON API (SPEC §7), bearer `admin.token`: dead letters — list with filters and cursor pagination,
/// show with every attempt, replay (same `webhook-id`, `webhook-attempt-trigger: manual`), discard.
struct AdminController<Context: RequestContext>: Sendable {
    let configuration: RelayConfiguration
    let store: any RelayStore
    let wakeup: DeliveryWakeup

    func addRoutes(to router: Router<Context>) {
        let admin = router.group("/admin/v1")
        admin.get("dead-letters") { request, context in
            try await authorized(request) { try await list(request) }
        }
        admin.get("dead-letters/:id") { request, context in
            try await authorized(request) { try await show(context.parameters.get("id") ?? "") }
        }
        admin.post("dead-letters/:id/replay") { request, context in
            try await authorized(request) { try await replay(context.parameters.get("id") ?? "") }
        }
        admin.post("dead-letters/:id/discard") { request, context in
            try await authorized(request) { try await discard(context.parameters.get("id") ?? "") }
        }
    }

    func authorized(_ request: Request, _ body: () async throws -> Response) async throws -> Response {
        guard let token = configuration.admin.token else {
            return JSONResponse.error(.forbidden, "admin_disabled", "set admin.token in the configuration")
        }
        let presented = request.headers[.authorization].flatMap { value -> String? in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)) : nil
        }
        guard ConstantTime.matchesAny(presented, [token]) else {
            return JSONResponse.error(.unauthorized, "unauthorized", "missing or wrong admin bearer token")
        }
        return try await body()
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
        let query = request.uri.queryParameters
        func text(_ name: String) -> String? { query.get(name).map { String($0) }.flatMap { $0.isEmpty ? nil : $0 } }
        func time(_ name: String) -> EventTime? { text(name).flatMap { TimestampParser(defaultOffsetSeconds: 0).parse($0) } }
        var filter = DeadLetterFilter(client: text("client"), endpoint: text("endpoint"), type: text("type"),
                                      failure: text("failure"), awb: text("awb"), since: time("since"),
                                      until: time("until"), limit: text("limit").flatMap { Int($0) } ?? 50)
        if let cursor = text("cursor") {
            let parts = cursor.split(separator: ".")
            guard parts.count == 2, let deadAt = Int64(parts[0]), let seq = Int64(parts[1]) else {
                return JSONResponse.error(.badRequest, "bad_cursor", "cursor must come from a previous page's nextCursor")
            }
            filter.before = (EventTime(epochMilliseconds: deadAt), seq)
        }
        let letters = try await store.deadLetters(filter)
        let next: JSONValue = letters.count == filter.limit
            ? letters.last.map { .string("\($0.deadAt.epochMilliseconds).\($0.seq)") } ?? .null : .null
        return JSONResponse.make(.ok, ["items": .array(letters.map(Self.json)), "nextCursor": next])
    }

    func show(_ id: String) async throws -> Response {
        guard let seq = DeadLetter.seq(fromId: id), let letter = try await store.deadLetter(seq: seq) else {
            return JSONResponse.error(.notFound, "not_found", "no dead letter \(id)")
        }
        let attempts = try await store.attempts(delivery: seq)
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

    func replay(_ id: String) async throws -> Response {
        guard let seq = DeadLetter.seq(fromId: id) else {
            return JSONResponse.error(.notFound, "not_found", "no dead letter \(id)")
        }
        guard try await store.replay(deadLetter: seq, now: WallClock.now()) else {
            return JSONResponse.error(.conflict, "not_dead", "\(id) is not a dead letter (already replayed or discarded?)")
        }
        wakeup.signal()
        return JSONResponse.make(.accepted, ["status": "replaying", "id": .string(id)])
    }

    func discard(_ id: String) async throws -> Response {
        guard let seq = DeadLetter.seq(fromId: id),
            try await store.discard(deadLetter: seq, now: WallClock.now())
        else {
            return JSONResponse.error(.notFound, "not_dead", "no dead letter \(id)")
        }
        return JSONResponse.make(.ok, ["status": "discarded", "id": .string(id)])
    }
}
