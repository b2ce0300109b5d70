public import RelayCore

extension SQLiteStore {
    public func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter] {
        let query = DeadLetterQuery(filter)
        let bindings = query.bindings(text: SQLiteValue.text, integer: SQLiteValue.integer)
        return try await reader.read { connection in
            try connection.query(query.sql, bindings, StoreRows.deadLetter)
        }
    }

    public func deadLetter(seq: Int64) async throws -> DeadLetter? {
        try await reader.read { connection in
            try connection.query(
                """
                SELECT \(StoreRows.deadLetterColumns) FROM deliveries d JOIN notifications n ON n.seq = d.notification_seq
                WHERE d.seq = ?
                """, [.integer(seq)], StoreRows.deadLetter
            ).first
        }
    }

    public func replay(deadLetter seq: Int64, now: EventTime) async throws -> Bool {
        try await writer.perform { connection in
            try connection.run(
                """
                UPDATE deliveries SET \(Self.replayedState), next_attempt_at = ?, updated_at = ?, trigger = 'manual',
                    dead_at = NULL WHERE seq = ? AND state = 'dead'
                """, [.integer(now.epochMilliseconds), .integer(now.epochMilliseconds), .integer(now.epochMilliseconds),
                      .integer(seq)]) == 1
        }
    }

    /// The state a replayed dead letter takes (bind: now): pending, or held again (`awaiting_order`) while its
    /// notification still has no order code (an `unroutable` letter whose AWB is not registered yet).
    static let replayedState = """
        state = CASE WHEN (SELECT awaiting_order FROM notifications n WHERE n.seq = deliveries.notification_seq) = 1
            THEN 'awaiting_order' ELSE 'pending' END,
        held_at = CASE WHEN (SELECT awaiting_order FROM notifications n WHERE n.seq = deliveries.notification_seq) = 1
            THEN ? END
        """

    public func discard(deadLetter seq: Int64, now: EventTime) async throws -> Bool {
        try await writer.perform { connection in
            try connection.run(
                "UPDATE deliveries SET state = 'discarded', updated_at = ? WHERE seq = ? AND state = 'dead'",
                [.integer(now.epochMilliseconds), .integer(seq)]) == 1
        }
    }
}
