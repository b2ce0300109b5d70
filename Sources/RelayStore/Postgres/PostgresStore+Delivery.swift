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
        // longer due (leased or finished since it was read) is left alone. Each row is looked up by its key
        // (`LATERAL`): with `seq = ANY(?)` PostgreSQL's generic plan ANDed the key with the partial chain index on
        // the state and read 14,798 index entries per lease (`auto_explain`, 1.5–2 ms per lease).
        let rows = try await read { connection in
            try await connection.query(
                """
                WITH taken AS (
                    SELECT d.seq FROM unnest(?::bigint[]) AS k (seq),
                        LATERAL (SELECT seq FROM deliveries WHERE seq = k.seq
                            AND ((state = 'pending' AND next_attempt_at <= ?) OR (state = 'in_flight' AND lease_until < ?))
                            FOR UPDATE SKIP LOCKED) d
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

    /// Completions per statement.
    static let completionChunk = 1000

    public func complete(_ completions: [Completion]) async throws {
        guard !completions.isEmpty else { return }
        // Completions arriving while a batch commits wait and go together in the next one.
        try await completionBatcher.submit(completions) { [self] batches in
            try await write(Array(batches.joined()))
            return Array(repeating: (), count: batches.count)
        }
    }

    /// Writes completions, `completionChunk` per statement. The batch is bound as one array per column, so the
    /// statement's text is the same for every batch size and runs prepared (`PGStatementCache`).
    private func write(_ completions: [Completion]) async throws {
        var start = 0
        while start < completions.count {
            let chunk = completions[start..<min(completions.count, start + Self.completionChunk)]
            start += chunk.count
            let columns = CompletionColumns(chunk)
            // One statement for the batch: each delivery's new state and its attempt commit together; a completion
            // whose expected attempt count no longer matches updates nothing and so records no attempt.
            try await read { connection in
                try await connection.query(Self.completeSQL, columns.values)
            }
        }
    }

    static let completeSQL = """
        WITH input AS (
            SELECT seq, nullif(expected, \(PGArrays.noInteger)) AS expected, has_attempt, state,
                nullif(next_at, \(PGArrays.noInteger)) AS next_at, now,
                CASE WHEN has_failure THEN failure END AS failure, nullif(dead_at, \(PGArrays.noInteger)) AS dead_at,
                started_at, duration_ms, nullif(status_code, \(PGArrays.noInteger))::integer AS status_code,
                CASE WHEN has_attempt_failure THEN attempt_failure END AS attempt_failure, excerpt,
                CASE WHEN has_error THEN error END AS error, trigger
            FROM unnest(?::bigint[], ?::bigint[], ?::boolean[], ?::text[], ?::bigint[], ?::bigint[], ?::text[],
                ?::boolean[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::boolean[], ?::bytea[],
                ?::text[], ?::boolean[], ?::text[])
                AS u (seq, expected, has_attempt, state, next_at, now, failure, has_failure, dead_at, started_at,
                    duration_ms, status_code, attempt_failure, has_attempt_failure, excerpt, error, has_error, trigger)
        ),
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
        """
}

/// A batch of completions as one array per column (`PostgresStore.completeSQL`).
private struct CompletionColumns {
    var seq: [Int64] = [], expected: [Int64?] = [], hasAttempt: [Bool] = [], state: [String] = []
    var nextAt: [Int64?] = [], now: [Int64] = [], failure: [String?] = [], deadAt: [Int64?] = []
    var startedAt: [Int64] = [], duration: [Int64] = [], statusCode: [Int64?] = [], attemptFailure: [String?] = []
    var excerpt: [[UInt8]] = [], error: [String?] = [], trigger: [String] = []

    init(_ completions: ArraySlice<Completion>) {
        for completion in completions {
            let outcome = completion.outcome
            let attempt = completion.attempt
            seq.append(completion.seq)
            expected.append(completion.expectedAttempts.map(Int64.init))
            hasAttempt.append(attempt != nil)
            state.append(outcome.state.rawValue)
            if case .retry(let at, _) = outcome { nextAt.append(at.epochMilliseconds) } else { nextAt.append(nil) }
            now.append(completion.now.epochMilliseconds)
            failure.append(outcome.failureClass?.rawValue)
            if case .dead = outcome { deadAt.append(completion.now.epochMilliseconds) } else { deadAt.append(nil) }
            startedAt.append(attempt?.startedAt.epochMilliseconds ?? 0)
            duration.append(attempt?.durationMilliseconds ?? 0)
            statusCode.append(attempt?.statusCode.map(Int64.init))
            attemptFailure.append(attempt?.failureClass?.rawValue)
            excerpt.append(attempt?.responseExcerpt ?? [])
            error.append(attempt?.error)
            trigger.append(attempt?.trigger ?? "scheduled")
        }
    }

    /// The values of `completeSQL`'s placeholders.
    var values: [SQLValue] {
        [.integers(seq), PGArrays.integers(expected), .bools(hasAttempt), .texts(state), PGArrays.integers(nextAt),
         .integers(now)] + PGArrays.texts(failure) + [PGArrays.integers(deadAt), .integers(startedAt),
         .integers(duration), PGArrays.integers(statusCode)] + PGArrays.texts(attemptFailure)
            + [.blobs(excerpt)] + PGArrays.texts(error) + [.texts(trigger)]
    }
}
