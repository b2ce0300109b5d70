public import RelayCore

/// Held deliveries of notifications without an order code (issue #13, decision 9).
extension PostgresStore {
    /// Fills the registration into the notifications of the AWB that wait for an order code (held or dead as
    /// `unroutable`) and releases the held deliveries of its chains in order. Runs in the registering transaction,
    /// under the normalisation lock.
    static func releaseAwaitingOrder(_ registration: ShipmentRegistration, client: String, now: Int64,
                                     connection: PGConnection) async throws -> Int {
        let waiting = try await connection.query(
            "SELECT seq, payload FROM notifications WHERE client = ? AND shipment = ? AND awaiting_order",
            [.text(client), .text(registration.awb)]) { ($0.int(0), $0.blob(1)) }
        for (seq, bytes) in waiting {
            guard let payload = try? JSONValue.parse(bytes) else { continue }
            let filled = AwaitingOrder.filled(payload, with: registration)
            guard !AwaitingOrder.needsOrderCode(filled) else { continue }
            try await connection.query("UPDATE notifications SET payload = ?, awaiting_order = FALSE WHERE seq = ?",
                                       [.blob(filled.serializedBytes()), .integer(seq)])
        }
        let rows = try await connection.query(
            """
            SELECT d.seq, d.endpoint, d.ordering_key, n.awaiting_order FROM deliveries d
            JOIN notifications n ON n.seq = d.notification_seq
            WHERE d.state = 'awaiting_order' AND d.ordering_key = ? ORDER BY d.endpoint, d.event_time, d.seq
            FOR UPDATE OF d
            """, [.text("\(client)\u{1F}\(registration.awb)")]
        ) { row in
            AwaitingOrderPlan.Row(seq: row.int(0),
                                  chain: AwaitingOrderPlan.chain(endpoint: row.text(1) ?? "", orderingKey: row.text(2) ?? ""),
                                  needsOrderCode: row.bool(3), expired: false)
        }
        return try await apply(AwaitingOrderPlan(rows), now: now, connection: connection).released
    }

    static func apply(_ plan: AwaitingOrderPlan, now: Int64, connection: PGConnection) async throws
        -> (released: Int, dead: Int)
    {
        if !plan.release.isEmpty {
            try await connection.query(
                """
                UPDATE deliveries SET state = 'pending', next_attempt_at = ?, updated_at = ?, held_at = NULL
                WHERE seq = ANY(?) AND state = 'awaiting_order'
                """, [.integer(now), .integer(now), .integers(plan.release)])
            try await PostgresDeliveries.notify(connection)
        }
        if !plan.expire.isEmpty {
            try await connection.query(
                """
                UPDATE deliveries SET state = 'dead', dead_at = ?, updated_at = ?, failure_class = 'unroutable',
                    held_at = NULL WHERE seq = ANY(?) AND state = 'awaiting_order'
                """, [.integer(now), .integer(now), .integers(plan.expire)])
        }
        return (plan.release.count, plan.expire.count)
    }

    public func expireAwaitingOrder(heldBefore cutoff: EventTime, now: EventTime) async throws
        -> (dead: Int, released: Int)
    {
        let any = try await read { connection in
            try await connection.query(
                "SELECT 1 FROM deliveries WHERE state = 'awaiting_order' AND held_at <= ? LIMIT 1",
                [.integer(cutoff.epochMilliseconds)]).isEmpty == false
        }
        guard any else { return (0, 0) }
        let lockKey = PostgresSchema.lockKey(PostgresSchema.normalisationLock, schema: schema)
        return try await transaction { connection in
            // The normalisation lock: no held delivery is added to these chains meanwhile (nor released by a
            // registration), and instances expire one at a time.
            try await connection.query("SELECT pg_advisory_xact_lock(?)", [.integer(lockKey)])
            let cutoffValue = PGValue.integer(cutoff.epochMilliseconds)
            let rows = try await connection.query(
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
            let applied = try await Self.apply(AwaitingOrderPlan(rows), now: now.epochMilliseconds, connection: connection)
            return (applied.dead, applied.released)
        }
    }

    public func awaitingOrderCount() async throws -> Int {
        try await read { connection in
            Int(try await connection.query("SELECT count(*) FROM deliveries WHERE state = 'awaiting_order'")[0].int(0))
        }
    }

    /// The state a replayed dead letter takes (bind: now): pending, or held again (`awaiting_order`) while its
    /// notification still has no order code (an `unroutable` letter whose AWB is not registered yet).
    static let replayedState = """
        state = CASE WHEN (SELECT awaiting_order FROM notifications n WHERE n.seq = deliveries.notification_seq)
            THEN 'awaiting_order' ELSE 'pending' END,
        held_at = CASE WHEN (SELECT awaiting_order FROM notifications n WHERE n.seq = deliveries.notification_seq)
            THEN ?::bigint END
        """
}
