public import RelayCore

/// The PostgreSQL delivery queue's writes (the reads are written once, in `DeliveryQueue+SQL`): a batch is leased
/// with one statement that skips rows another instance is leasing, and a batch of completions is one statement.
extension PostgresStore {
    public func lease(_ deliveries: [DueDelivery], owner: String, until: EventTime, now: EventTime) async throws
        -> [DueDelivery]
    {
        guard !deliveries.isEmpty else { return [] }
        let nowValue = PGValue.integer(now.epochMilliseconds)
        // One statement: rows another instance is leasing right now are skipped, not waited for; a row that is no
        // longer due (leased or finished since it was read) is left alone. The payloads are joined to the leased
        // rows after the update (joined inside it, PostgreSQL was seen to hash whole tables: 1.8 ms per lease).
        let rows = try await read { connection in
            try await connection.query(
                """
                WITH taken AS (
                    SELECT seq FROM deliveries WHERE seq = ANY(?) AND ((state = 'pending' AND next_attempt_at <= ?)
                        OR (state = 'in_flight' AND lease_until < ?))
                    FOR UPDATE SKIP LOCKED
                ),
                leased AS (
                    UPDATE deliveries d SET state = 'in_flight', lease_owner = ?, lease_until = ?
                    FROM taken t WHERE d.seq = t.seq
                    RETURNING d.seq, d.attempts, d.notification_seq
                )
                SELECT l.seq, l.attempts, n.payload, coalesce(c.received_at, n.created_at)
                FROM leased l JOIN notifications n ON n.seq = l.notification_seq
                    LEFT JOIN callbacks c ON c.seq = n.callback_seq
                """, [.integers(deliveries.map(\.seq)), nowValue, nowValue, .text(owner), .integer(until.epochMilliseconds)]
            ) { ($0.int(0), (attempts: Int($0.int(1)), payload: $0.blob(2), receivedAt: $0.int(3))) }
        }
        let leased = Dictionary(rows, uniquingKeysWith: { first, _ in first })
        return deliveries.compactMap { delivery in
            guard let row = leased[delivery.seq] else { return nil }
            var delivery = delivery
            delivery.attempts = row.attempts
            delivery.payload = row.payload
            delivery.receivedAt = EventTime(epochMilliseconds: row.receivedAt)
            return delivery
        }
    }

    /// Leases of a stopped instance cannot be told from those of a running one: in-flight deliveries return to
    /// pending when their lease expires (the claim query takes them then), not on start.
    public func releaseLeases() async throws {}

    /// Completions per statement (15 values each, well under PostgreSQL's 65,535 bind limit).
    static let completionChunk = 1000

    public func complete(_ completions: [Completion]) async throws {
        guard !completions.isEmpty else { return }
        // Completions arriving while a batch commits wait and go together in the next one.
        try await completionBatcher.submit(completions) { [self] batches in
            try await write(Array(batches.joined()))
            return Array(repeating: (), count: batches.count)
        }
    }

    /// Writes completions, `completionChunk` per statement.
    private func write(_ completions: [Completion]) async throws {
        var start = 0
        while start < completions.count {
            let chunk = completions[start..<min(completions.count, start + Self.completionChunk)]
            start += chunk.count
            var values: [PGValue] = []
            values.reserveCapacity(chunk.count * 15)
            for completion in chunk {
                let outcome = completion.outcome
                var nextAttempt: Int64?
                if case .retry(let at, _) = outcome { nextAttempt = at.epochMilliseconds }
                var deadAt: Int64?
                if case .dead = outcome { deadAt = completion.now.epochMilliseconds }
                let attempt = completion.attempt
                values += [
                    .integer(completion.seq), .integer(orNull: completion.expectedAttempts.map(Int64.init)),
                    .bool(attempt != nil), .text(outcome.state.rawValue), .integer(orNull: nextAttempt),
                    .integer(completion.now.epochMilliseconds), .text(orNull: outcome.failureClass?.rawValue),
                    .integer(orNull: deadAt),
                    .integer(attempt?.startedAt.epochMilliseconds ?? 0), .integer(attempt?.durationMilliseconds ?? 0),
                    .integer(orNull: attempt?.statusCode.map(Int64.init)), .text(orNull: attempt?.failureClass?.rawValue),
                    attempt.map { .blob($0.responseExcerpt) } ?? .null, .text(orNull: attempt?.error),
                    .text(attempt?.trigger ?? "scheduled"),
                ]
            }
            let list = PostgresSQL.valuesList(rows: chunk.count, casts: [
                "bigint", "bigint", "boolean", "text", "bigint", "bigint", "text", "bigint", "bigint", "bigint", "integer",
                "text", "bytea", "text", "text",
            ])
            // One statement for the batch: each delivery's new state and its attempt commit together; a completion
            // whose expected attempt count no longer matches updates nothing and so records no attempt.
            let bindings = values
            try await read { connection in
                try await connection.query(
                    """
                    WITH input (seq, expected, has_attempt, state, next_at, now, failure, dead_at, started_at,
                        duration_ms, status_code, attempt_failure, excerpt, error, trigger) AS (VALUES \(list)),
                    updated AS (
                        UPDATE deliveries d SET attempts = d.attempts + CASE WHEN i.has_attempt THEN 1 ELSE 0 END,
                            state = i.state, next_attempt_at = coalesce(i.next_at, d.next_attempt_at), updated_at = i.now,
                            failure_class = i.failure, dead_at = coalesce(i.dead_at, d.dead_at), lease_until = NULL
                        FROM input i WHERE d.seq = i.seq AND d.attempts = coalesce(i.expected, d.attempts)
                        RETURNING d.seq, d.attempts
                    )
                    INSERT INTO attempts (delivery_seq, number, started_at, duration_ms, status_code, failure_class,
                        response_excerpt, error, trigger)
                    SELECT u.seq, u.attempts, i.started_at, i.duration_ms, i.status_code, i.attempt_failure, i.excerpt,
                        i.error, i.trigger
                    FROM updated u JOIN input i ON i.seq = u.seq WHERE i.has_attempt
                    """, bindings)
            }
        }
    }
}
