public import RelayCore

extension PostgresStore {
    public func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter] {
        let query = DeadLetterQuery(filter)
        let bindings = query.bindings(text: PGValue.text, integer: PGValue.integer)
        return try await read { connection in
            try await connection.query(query.sql, bindings, StoreRows.deadLetter)
        }
    }

    public func deadLetter(seq: Int64) async throws -> DeadLetter? {
        try await read { connection in
            try await connection.query(
                """
                SELECT \(StoreRows.deadLetterColumns) FROM deliveries d JOIN notifications n ON n.seq = d.notification_seq
                WHERE d.seq = ?
                """, [.integer(seq)], StoreRows.deadLetter
            ).first
        }
    }

    public func replay(deadLetter seq: Int64, now: EventTime) async throws -> Bool {
        try await transaction { connection in
            let replayed = try await connection.count(
                """
                UPDATE deliveries SET \(Self.replayedState), next_attempt_at = ?, updated_at = ?, trigger = 'manual',
                    dead_at = NULL WHERE seq = ? AND state = 'dead' RETURNING seq
                """, [.integer(now.epochMilliseconds), .integer(now.epochMilliseconds), .integer(now.epochMilliseconds),
                      .integer(seq)]) == 1
            if replayed { try await PostgresDeliveries.notify(connection) }
            return replayed
        }
    }

    public func discard(deadLetter seq: Int64, now: EventTime) async throws -> Bool {
        try await transaction { connection in
            try await connection.count(
                "UPDATE deliveries SET state = 'discarded', updated_at = ? WHERE seq = ? AND state = 'dead' RETURNING seq",
                [.integer(now.epochMilliseconds), .integer(seq)]) == 1
        }
    }
}
