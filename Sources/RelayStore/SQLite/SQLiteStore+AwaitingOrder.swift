public import RelayCore

/// Held deliveries of notifications without an order code (issue #13, decision 9).
extension SQLiteStore {
    /// Fills the registration into the notifications of the AWB that wait for an order code (held or dead as
    /// `unroutable`) and releases the held deliveries of its chains in order. Runs in the registering transaction.
    static func releaseAwaitingOrder(_ registration: ShipmentRegistration, client: String, now: Int64,
                                     connection: SQLiteConnection) throws -> Int {
        let waiting = try connection.query(
            "SELECT seq, payload FROM notifications WHERE client = ? AND shipment = ? AND awaiting_order = 1",
            [.text(client), .text(registration.awb)]) { ($0.int(0), $0.blob(1)) }
        for (seq, bytes) in waiting {
            guard let payload = try? JSONValue.parse(bytes) else { continue }
            let filled = AwaitingOrder.filled(payload, with: registration)
            guard !AwaitingOrder.needsOrderCode(filled) else { continue }
            try connection.run("UPDATE notifications SET payload = ?, awaiting_order = 0 WHERE seq = ?",
                               [.blob(filled.serializedBytes()), .integer(seq)])
        }
        let rows = try connection.query(
            """
            SELECT d.seq, d.endpoint, d.ordering_key, n.awaiting_order FROM deliveries d
            JOIN notifications n ON n.seq = d.notification_seq
            WHERE d.state = 'awaiting_order' AND d.ordering_key = ? ORDER BY d.endpoint, d.event_time, d.seq
            """, [.text("\(client)\u{1F}\(registration.awb)")]
        ) { row in
            AwaitingOrderPlan.Row(seq: row.int(0),
                                  chain: AwaitingOrderPlan.chain(endpoint: row.text(1) ?? "", orderingKey: row.text(2) ?? ""),
                                  needsOrderCode: row.int(3) != 0, expired: false)
        }
        return try apply(AwaitingOrderPlan(rows), now: now, connection: connection).released
    }

    static func apply(_ plan: AwaitingOrderPlan, now: Int64, connection: SQLiteConnection) throws
        -> (released: Int, dead: Int)
    {
        for seq in plan.release {
            try connection.run(
                """
                UPDATE deliveries SET state = 'pending', next_attempt_at = ?, updated_at = ?, held_at = NULL
                WHERE seq = ? AND state = 'awaiting_order'
                """, [.integer(now), .integer(now), .integer(seq)])
        }
        for seq in plan.expire {
            try connection.run(
                """
                UPDATE deliveries SET state = 'dead', dead_at = ?, updated_at = ?, failure_class = 'unroutable',
                    held_at = NULL WHERE seq = ? AND state = 'awaiting_order'
                """, [.integer(now), .integer(now), .integer(seq)])
        }
        return (plan.release.count, plan.expire.count)
    }

    public func expireAwaitingOrder(heldBefore cutoff: EventTime, now: EventTime) async throws
        -> (dead: Int, released: Int)
    {
        // Most of the time nothing is held that long: ask the reader before taking the writer.
        let any = try await reader.read { connection in
            try connection.query(
                "SELECT 1 FROM deliveries WHERE state = 'awaiting_order' AND held_at <= ? LIMIT 1",
                [.integer(cutoff.epochMilliseconds)]) { $0.int(0) }.isEmpty == false
        }
        guard any else { return (0, 0) }
        return try await writer.perform { connection in
            let rows = try connection.query(
                """
                SELECT d.seq, d.endpoint, d.ordering_key, n.awaiting_order, d.held_at <= ?1 FROM deliveries d
                JOIN notifications n ON n.seq = d.notification_seq
                WHERE d.state = 'awaiting_order' AND d.ordering_key IN (SELECT DISTINCT ordering_key FROM deliveries
                    WHERE state = 'awaiting_order' AND held_at <= ?1 LIMIT 500)
                ORDER BY d.ordering_key, d.endpoint, d.event_time, d.seq
                """, [.integer(cutoff.epochMilliseconds)]
            ) { row in
                AwaitingOrderPlan.Row(
                    seq: row.int(0), chain: AwaitingOrderPlan.chain(endpoint: row.text(1) ?? "", orderingKey: row.text(2) ?? ""),
                    needsOrderCode: row.int(3) != 0, expired: row.int(4) != 0)
            }
            let applied = try Self.apply(AwaitingOrderPlan(rows), now: now.epochMilliseconds, connection: connection)
            return (applied.dead, applied.released)
        }
    }

    public func awaitingOrderCount() async throws -> Int {
        try await reader.read { connection in
            Int(try connection.query("SELECT count(*) FROM deliveries WHERE state = 'awaiting_order'") {
                $0.int(0)
            }.first ?? 0)
        }
    }
}
