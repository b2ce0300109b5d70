public import RelayCore

/// Dead letters for ops, written once over the SQL seam.
extension DeadLetterStore where Self: SQLBackedStore {
    public func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter] {
        let query = DeadLetterQuery(filter)
        return try await seam.database.read { session in
            try await session.query(query.sql, query.binds) { StoreRows.deadLetter($0) }
        }
    }

    public func deadLetter(seq: Int64) async throws -> DeadLetter? {
        try await seam.database.read { session in
            try await session.query(
                """
                SELECT \(StoreRows.deadLetterColumns) FROM deliveries d JOIN notifications n ON n.seq = d.notification_seq
                WHERE d.seq = ?
                """, [.integer(seq)]) { StoreRows.deadLetter($0) }.first
        }
    }

    public func replay(deadLetter seq: Int64, now: EventTime) async throws -> Bool {
        let time = SQLValue.integer(now.epochMilliseconds)
        return try await seam.database.write { session in
            let replayed = try await session.execute(
                """
                UPDATE deliveries SET \(DeadLetterSQL.replayedState(session.dialect)), next_attempt_at = ?,
                    updated_at = ?, trigger = 'manual', dead_at = NULL WHERE seq = ? AND state = 'dead'
                """, [time, time, time, .integer(seq)]) == 1
            if replayed { try await session.announceDeliveries() }
            return replayed
        }
    }

    public func discard(deadLetter seq: Int64, now: EventTime) async throws -> Bool {
        try await seam.database.execute(
            "UPDATE deliveries SET state = 'discarded', updated_at = ? WHERE seq = ? AND state = 'dead'",
            [.integer(now.epochMilliseconds), .integer(seq)]) == 1
    }

    public func recover(endpoint id: String, since: EventTime, now: EventTime) async throws -> Int {
        let time = SQLValue.integer(now.epochMilliseconds)
        return try await seam.database.write { session in
            let count = try await session.execute(
                """
                UPDATE deliveries SET \(DeadLetterSQL.replayedState(session.dialect)), next_attempt_at = ?,
                    updated_at = ?, trigger = 'manual', dead_at = NULL WHERE endpoint = ? AND state = 'dead' AND dead_at >= ?
                """, [time, time, time, .text(id), .integer(since.epochMilliseconds)])
            if count > 0 { try await session.announceDeliveries() }
            return count
        }
    }
}

enum DeadLetterSQL {
    /// The state a replayed dead letter takes (bind: now): pending, or held again (`awaiting_order`) while its
    /// notification still has no order code (an `unroutable` letter whose AWB is not registered yet).
    static func replayedState(_ dialect: SQLDialect) -> String {
        let held = dialect.isTrue("(SELECT awaiting_order FROM notifications n WHERE n.seq = deliveries.notification_seq)")
        return """
            state = CASE WHEN \(held) THEN 'awaiting_order' ELSE 'pending' END,
            held_at = CASE WHEN \(held) THEN CAST(? AS BIGINT) END
            """
    }
}
