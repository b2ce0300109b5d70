public import RelayCore

/// The SQLite delivery queue's writes (the reads are written once, in `DeliveryQueue+SQL`): one process delivers from
/// an SQLite file, so a lease needs no row locks, and the single writer group-commits every batch of completions.
extension SQLiteStore {
    public func lease(_ deliveries: [DueDelivery], owner: String, until: EventTime, now: EventTime) async throws
        -> [DueDelivery]
    {
        guard !deliveries.isEmpty else { return [] }
        let seqs = deliveries.map { SQLiteValue.integer($0.seq) }
        let list = Array(repeating: "?", count: seqs.count).joined(separator: ", ")
        let nowValue = SQLiteValue.integer(now.epochMilliseconds)
        let leased = try await writer.perform { connection -> [Int64: (attempts: Int, payload: [UInt8], receivedAt: EventTime)] in
            let taken = try connection.query(
                """
                UPDATE deliveries SET state = 'in_flight', lease_owner = ?, lease_until = ?
                WHERE seq IN (\(list)) AND ((state = 'pending' AND next_attempt_at <= ?)
                    OR (state = 'in_flight' AND lease_until < ?))
                RETURNING seq
                """, [.text(owner), .integer(until.epochMilliseconds)] + seqs + [nowValue, nowValue]) { $0.int(0) }
            guard !taken.isEmpty else { return [:] }
            let rows = try connection.query(
                """
                SELECT d.seq, d.attempts, n.payload, coalesce(c.received_at, n.created_at)
                FROM deliveries d JOIN notifications n ON n.seq = d.notification_seq
                    LEFT JOIN callbacks c ON c.seq = n.callback_seq
                WHERE d.seq IN (\(Array(repeating: "?", count: taken.count).joined(separator: ", ")))
                """, taken.map(SQLiteValue.integer)) {
                ($0.int(0), (Int($0.int(1)), $0.blob(2), EventTime(epochMilliseconds: $0.int(3))))
            }
            return Dictionary(rows, uniquingKeysWith: { first, _ in first })
        }
        return deliveries.compactMap { delivery in
            guard let row = leased[delivery.seq] else { return nil }
            var delivery = delivery
            delivery.attempts = row.attempts
            delivery.payload = row.payload
            delivery.receivedAt = row.receivedAt
            return delivery
        }
    }

    public func releaseLeases() async throws {
        _ = try await writer.perform { connection in
            try connection.run("UPDATE deliveries SET state = 'pending', lease_owner = NULL, lease_until = NULL WHERE state = 'in_flight'")
        }
    }

    /// Hands nothing off (`Completion.handOff`): the one delivering process orders chains in its book.
    @discardableResult
    public func complete(_ completions: [Completion]) async throws -> [DueDelivery] {
        guard !completions.isEmpty else { return [] }
        try await writer.perform { connection in
            for completion in completions { try Self.record(completion, connection) }
        }
        return []
    }

    private static func record(_ completion: Completion, _ connection: SQLiteConnection) throws {
        let seq = SQLiteValue.integer(completion.seq)
        let recorded = try connection.query("SELECT attempts FROM deliveries WHERE seq = ?", [seq]) { $0.int(0) }.first ?? 0
        // Recorded already (or by someone else): nothing changes.
        if let expected = completion.expectedAttempts, recorded != Int64(expected) { return }
        if let attempt = completion.attempt {
            try connection.run(
                """
                INSERT INTO attempts (delivery_seq, number, started_at, duration_ms, status_code, failure_class,
                    response_excerpt, error, trigger)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [seq, .integer(recorded + 1), .integer(attempt.startedAt.epochMilliseconds),
                 .integer(attempt.durationMilliseconds), .integer(orNull: attempt.statusCode.map(Int64.init)),
                 .text(orNull: attempt.failureClass?.rawValue), .blob(attempt.responseExcerpt),
                 .text(orNull: attempt.error), .text(attempt.trigger)])
        }
        let outcome = completion.outcome
        let now = SQLiteValue.integer(completion.now.epochMilliseconds)
        var nextAttempt = SQLiteValue.null
        if case .retry(let at, _) = outcome { nextAttempt = .integer(at.epochMilliseconds) }
        var deadAt = SQLiteValue.null
        if case .dead = outcome { deadAt = now }
        try connection.run(
            """
            UPDATE deliveries SET state = ?, attempts = attempts + ?, next_attempt_at = coalesce(?, next_attempt_at),
                updated_at = ?, dead_at = coalesce(?, dead_at), failure_class = ?, lease_until = NULL
            WHERE seq = ?
            """,
            [.text(outcome.state.rawValue), .integer(completion.attempt == nil ? 0 : 1), nextAttempt, now, deadAt,
             .text(orNull: outcome.failureClass?.rawValue), seq])
    }
}
