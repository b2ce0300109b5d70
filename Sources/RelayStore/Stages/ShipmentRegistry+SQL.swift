public import RelayCore

/// OMS messages and the shipment registry (issue #13, decision 9), written once over the SQL seam.
extension ShipmentRegistry where Self: SQLBackedStore {
    public func storeMessage(_ message: OMSMessage, client: String, endpointIds: [String], receivedAt: EventTime)
        async throws -> (notificationId: String, duplicate: Bool)
    {
        let payload = message.payload.serializedBytes()
        let id = Identifier.make(prefix: "ntf", epochMilliseconds: receivedAt.epochMilliseconds)
        return try await seam.database.write { session in
            if let key = message.idempotencyKey {
                let scoped = "\(client)\u{1F}\(message.kind.rawValue)\u{1F}\(key)"
                let inserted = try await session.execute(
                    "INSERT INTO message_keys (key, notification_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    [.text(scoped), .text(id)])
                if inserted == 0 {
                    let existing = try await session.query(
                        "SELECT notification_id FROM message_keys WHERE key = ?", [.text(scoped)]) { $0.text(0) ?? "" }
                    return (existing.first ?? "", true)
                }
            }
            let now = SQLValue.integer(receivedAt.epochMilliseconds)
            let notificationSeq = try await session.query(
                """
                INSERT INTO notifications (id, client, awb, shipment, type, direction, dedup_key, event_time, created_at,
                    callback_seq, payload)
                VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, NULL, ?) RETURNING seq
                """,
                [.text(id), .text(client), .text(message.orderCode), .text(message.kind.rawValue),
                 .text(message.kind == .returnAck ? "return" : "forward"), .text(message.idempotencyKey ?? id),
                 now, now, .blob(payload)]
            ) { $0.int(0) }[0]
            guard !endpointIds.isEmpty else { return (id, false) }
            var binds: [SQLValue] = []
            for endpoint in endpointIds {
                binds += [.integer(notificationSeq), .text(id), .text(client), .text(endpoint),
                          .text("\(client)\u{1F}order:\(message.orderCode)"), now, now, now, now]
            }
            let row = "(?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)"
            try await session.execute(
                """
                INSERT INTO deliveries (notification_seq, notification_id, client, endpoint, ordering_key, event_time,
                    state, next_attempt_at, created_at, updated_at)
                VALUES \(Array(repeating: row, count: endpointIds.count).joined(separator: ", "))
                """, binds)
            try await session.announceDeliveries()
            return (id, false)
        }
    }

    @discardableResult
    public func register(_ registration: ShipmentRegistration, client: String, now: EventTime) async throws -> Int {
        let data = registration.json.serialized()
        return try await seam.database.write { session in
            // A registration commits either before a normalisation (which then sees it) or after (and sees, and
            // releases, what that normalisation held).
            try await session.excludeNormalisation()
            try await session.execute(
                """
                INSERT INTO shipment_registry (client, awb, data, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (client, awb) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
                """, [.text(client), .text(registration.awb), .text(data), .integer(now.epochMilliseconds)])
            return try await AwaitingOrderSQL.release(registration, client: client, now: now.epochMilliseconds,
                                                      session: session)
        }
    }

    public func registration(client: String, awb: String) async throws -> ShipmentRegistration? {
        let rows = try await seam.database.read { session in
            try await session.query("SELECT data FROM shipment_registry WHERE client = ? AND awb = ?",
                                    [.text(client), .text(awb)]) { $0.text(0) }
        }
        guard let text = rows.first ?? nil, let json = try? JSONValue.parse(text) else { return nil }
        return ShipmentRegistration(json: json, awb: awb)
    }

    public func unregister(client: String, awb: String) async throws -> Bool {
        try await seam.database.execute("DELETE FROM shipment_registry WHERE client = ? AND awb = ?",
                                        [.text(client), .text(awb)]) > 0
    }

    public func expireAwaitingOrder(heldBefore cutoff: EventTime, now: EventTime) async throws
        -> (dead: Int, released: Int)
    {
        let cutoffValue = SQLValue.integer(cutoff.epochMilliseconds)
        // Most of the time nothing is held that long: ask a reader before taking the writer.
        let any = try await seam.database.read { session in
            try await session.query(
                "SELECT 1 FROM deliveries WHERE state = 'awaiting_order' AND held_at <= ? LIMIT 1",
                [cutoffValue]) { $0.int(0) }.isEmpty == false
        }
        guard any else { return (0, 0) }
        return try await seam.database.write { session in
            // No held delivery is added to these chains meanwhile (nor released by a registration), and processes
            // sharing the store expire one at a time.
            try await session.excludeNormalisation()
            let rows = try await session.query(
                """
                SELECT d.seq, d.endpoint, d.ordering_key, n.awaiting_order, d.held_at <= ? FROM deliveries d
                JOIN notifications n ON n.seq = d.notification_seq
                WHERE d.state = 'awaiting_order' AND d.ordering_key IN (SELECT DISTINCT ordering_key FROM deliveries
                    WHERE state = 'awaiting_order' AND held_at <= ? LIMIT 500)
                ORDER BY d.ordering_key, d.endpoint, d.event_time, d.seq
                """, [cutoffValue, cutoffValue]
            ) { row in
                AwaitingOrderPlan.Row(
                    seq: row.int(0), chain: AwaitingOrderPlan.chain(endpoint: row.text(1) ?? "", orderingKey: row.text(2) ?? ""),
                    needsOrderCode: row.bool(3), expired: row.bool(4))
            }
            let applied = try await AwaitingOrderSQL.apply(AwaitingOrderPlan(rows), now: now.epochMilliseconds,
                                                           session: session)
            return (applied.dead, applied.released)
        }
    }

    public func awaitingOrderCount() async throws -> Int {
        try await seam.database.read { session in
            Int(try await session.query("SELECT count(*) FROM deliveries WHERE state = 'awaiting_order'") {
                $0.int(0)
            }.first ?? 0)
        }
    }
}

/// Held deliveries of notifications without an order code: the statements `register` and `expireAwaitingOrder`
/// share.
enum AwaitingOrderSQL {
    /// Fills the registration into the notifications of the AWB that wait for an order code (held or dead as
    /// `unroutable`) and releases the held deliveries of its chains in order. Runs in the registering transaction.
    static func release(_ registration: ShipmentRegistration, client: String, now: Int64,
                        session: any SQLSession) async throws -> Int {
        let dialect = session.dialect
        let waiting = try await session.query(
            """
            SELECT seq, payload FROM notifications WHERE client = ? AND shipment = ?
                AND \(dialect.isTrue("awaiting_order"))
            """, [.text(client), .text(registration.awb)]) { ($0.int(0), $0.blob(1)) }
        for (seq, bytes) in waiting {
            guard let payload = try? JSONValue.parse(bytes) else { continue }
            let filled = AwaitingOrder.filled(payload, with: registration)
            guard !AwaitingOrder.needsOrderCode(filled) else { continue }
            try await session.execute("UPDATE notifications SET payload = ?, awaiting_order = ? WHERE seq = ?",
                                      [.blob(filled.serializedBytes()), .bool(false), .integer(seq)])
        }
        let rows = try await session.query(
            """
            SELECT d.seq, d.endpoint, d.ordering_key, n.awaiting_order FROM deliveries d
            JOIN notifications n ON n.seq = d.notification_seq
            WHERE d.state = 'awaiting_order' AND d.ordering_key = ? ORDER BY d.endpoint, d.event_time, d.seq
            \(dialect.forUpdate(of: "d"))
            """, [.text("\(client)\u{1F}\(registration.awb)")]
        ) { row in
            AwaitingOrderPlan.Row(seq: row.int(0),
                                  chain: AwaitingOrderPlan.chain(endpoint: row.text(1) ?? "", orderingKey: row.text(2) ?? ""),
                                  needsOrderCode: row.bool(3), expired: false)
        }
        return try await apply(AwaitingOrderPlan(rows), now: now, session: session).released
    }

    /// Releases and expires what `plan` says, each in one statement.
    static func apply(_ plan: AwaitingOrderPlan, now: Int64, session: any SQLSession) async throws
        -> (released: Int, dead: Int)
    {
        let dialect = session.dialect
        if !plan.release.isEmpty {
            try await session.execute(
                """
                UPDATE deliveries SET state = 'pending', next_attempt_at = ?, updated_at = ?, held_at = NULL
                WHERE \(dialect.anyOf("seq")) AND state = 'awaiting_order'
                """, [.integer(now), .integer(now), .integers(plan.release)])
            try await session.announceDeliveries()
        }
        if !plan.expire.isEmpty {
            try await session.execute(
                """
                UPDATE deliveries SET state = 'dead', dead_at = ?, updated_at = ?, failure_class = 'unroutable',
                    held_at = NULL WHERE \(dialect.anyOf("seq")) AND state = 'awaiting_order'
                """, [.integer(now), .integer(now), .integers(plan.expire)])
        }
        return (plan.release.count, plan.expire.count)
    }
}
