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
                    RETURNING d.seq, d.attempts, d.notification_seq, d.received_at
                )
                SELECT l.seq, l.attempts, n.payload, coalesce(l.received_at, n.created_at)
                FROM leased l JOIN notifications n ON n.seq = l.notification_seq
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

    /// What is due, read and leased in one statement: each branch of the due read (`dueSelect`) locks the rows it
    /// takes `FOR UPDATE … SKIP LOCKED` (rows another instance is leasing are stepped over, not waited for), and one
    /// `UPDATE … RETURNING` leases them all. One round trip per claim instead of a read and then a lease; the chain
    /// condition of the read keeps one delivery per (endpoint, shipment) chain in flight across instances.
    public func claimDue(now: EventTime, limits: [String: Int], otherLimit: Int, excluding: Set<String>,
                         owner: String, until: EventTime) async throws -> [DueDelivery]?
    {
        let due = Self.dueSelect(dialect: .postgres, now: now, limits: limits, otherLimit: otherLimit,
                                 excluding: excluding, chain: chainHead, claim: true)
        let sql = """
            WITH due AS (
            \(due.sql)
            ),
            leased AS (
                UPDATE deliveries d SET state = 'in_flight', lease_owner = ?, lease_until = ?
                FROM due WHERE d.seq = due.seq
                RETURNING \(Self.dueColumns(of: "d")), d.notification_seq, d.received_at
            )
            SELECT \(Self.dueColumns(of: "l")), n.payload, coalesce(l.received_at, n.created_at)
            FROM leased l JOIN notifications n ON n.seq = l.notification_seq
            """
        let binds = due.binds + [.text(owner), .integer(until.epochMilliseconds)]
        let leased = try await read { connection in
            try await connection.query(sql, binds) { row in
                var delivery = StoreRows.candidate(row)
                delivery.payload = row.blob(9)
                delivery.receivedAt = EventTime(epochMilliseconds: row.int(10))
                return delivery
            }
        }
        return leased.sorted { ($0.eventTime, $0.seq) < ($1.eventTime, $1.seq) }
    }

    /// Leases of a stopped instance cannot be told from those of a running one: in-flight deliveries return to
    /// pending when their lease expires (the claim query takes them then), not on start.
    public func releaseLeases() async throws {}

    /// Completions per statement.
    static let completionChunk = 1000

    @discardableResult
    public func complete(_ completions: [Completion]) async throws -> [DueDelivery] {
        guard !completions.isEmpty else { return [] }
        // Completions arriving while a batch commits wait and go together in the next one; each caller gets the
        // successors handed off for its own completions.
        return try await completionBatcher.submit(completions) { [self] batches in
            let handed = try await write(Array(batches.joined()))
            return batches.map { batch in batch.compactMap { handed[$0.seq] } }
        }
    }

    /// Writes completions, `completionChunk` per statement, and returns the deliveries handed off, by the seq of
    /// the delivery whose completion leased them. The batch is bound as one array per column (`PGUnnest`), so the
    /// statement's text is the same for every batch size and runs prepared.
    private func write(_ completions: [Completion]) async throws -> [Int64: DueDelivery] {
        var handed: [Int64: DueDelivery] = [:]
        var start = 0
        while start < completions.count {
            let chunk = completions[start..<min(completions.count, start + Self.completionChunk)]
            start += chunk.count
            let values = try Self.completionRows.values(chunk.map(Self.completionRow))
            // One statement for the batch: each delivery's new state and its attempt commit together; a completion
            // whose expected attempt count no longer matches updates nothing, records no attempt, hands nothing off.
            // Only a chunk with a hand-off runs the statement that looks for successors: its outcome rows are kept
            // for two readers (attempts and successors), which every other batch need not pay for.
            let sql = chunk.contains { $0.handOff != nil } ? Self.completeAndHandOnSQL : Self.completeSQL
            let rows = try await read { connection in
                try await connection.query(sql, values) { row -> (Int64, DueDelivery) in
                    var delivery = StoreRows.candidate(row, from: 1)
                    delivery.payload = row.blob(10)
                    delivery.receivedAt = EventTime(epochMilliseconds: row.int(11))
                    return (row.int(0), delivery)
                }
            }
            for (predecessor, delivery) in rows { handed[predecessor] = delivery }
        }
        return handed
    }

    /// A completion's row of `completionRows`.
    static func completionRow(_ completion: Completion) -> [SQLValue] {
        let outcome = completion.outcome
        let attempt = completion.attempt
        var nextAttempt: Int64?
        if case .retry(let at, _) = outcome { nextAttempt = at.epochMilliseconds }
        var deadAt: Int64?
        if case .dead = outcome { deadAt = completion.now.epochMilliseconds }
        return [
            .integer(completion.seq), .integer(orNull: completion.expectedAttempts.map(Int64.init)),
            .bool(attempt != nil), .text(outcome.state.rawValue), .integer(orNull: nextAttempt),
            .integer(completion.now.epochMilliseconds), .text(orNull: outcome.failureClass?.rawValue),
            .integer(orNull: deadAt), .integer(attempt?.startedAt.epochMilliseconds ?? 0),
            .integer(attempt?.durationMilliseconds ?? 0), .integer(orNull: attempt?.statusCode.map(Int64.init)),
            .text(orNull: attempt?.failureClass?.rawValue), .blob(attempt?.responseExcerpt ?? []),
            .text(orNull: attempt?.error), .text(attempt?.trigger ?? "scheduled"),
            .text(orNull: completion.handOff?.owner), .integer(orNull: completion.handOff?.until.epochMilliseconds),
        ]
    }

    static let completionRows = PGUnnest(types: [
        "bigint", "bigint?", "boolean", "text", "bigint?", "bigint", "text?", "bigint?", "bigint", "bigint", "bigint?",
        "text?", "bytea", "text?", "text", "text?", "bigint?",
    ])

    /// The update returns each attempt's columns with its delivery (`RETURNING` may name the `FROM` list's input),
    /// so the attempts are inserted from what it returns: joining the two back together was a nested loop over both
    /// lists, the batch's size squared (hash and merge joins are off, `PostgresSchema.sessionSettings`).
    ///
    /// A completion with a hand-off (`Completion.handOff`) that finished its delivery also leases the next one of
    /// its chain, the claim's chain rule (`chainHead`) applied to the chain's earliest pending delivery: due, and no
    /// other delivery of the chain pending or in flight before it. The finished delivery still reads as in flight
    /// here (every part of one statement sees the same snapshot), so it is the one left out of that test. The
    /// successor is locked `FOR UPDATE SKIP LOCKED` like a claim's rows: a claim of another instance taking it at the
    /// same moment is stepped over (it could not have, while the finished delivery was in flight). Returns the
    /// deliveries handed off: the finished delivery's seq, then the due columns, payload and receive time.
    static func completeStatement(handingOn: Bool) -> String {
        let updated = """
            WITH input AS (
                \(completionRows.select(["seq", "expected", "has_attempt", "state", "next_at", "now", "failure",
                                         "dead_at", "started_at", "duration_ms", "status_code", "attempt_failure",
                                         "excerpt", "error", "trigger", "hand_owner", "hand_until"]))
            ),
            updated AS (
                UPDATE deliveries d SET attempts = d.attempts + CASE WHEN i.has_attempt THEN 1 ELSE 0 END,
                    state = i.state, next_attempt_at = coalesce(i.next_at, d.next_attempt_at), updated_at = i.now,
                    failure_class = i.failure, dead_at = coalesce(i.dead_at, d.dead_at), lease_until = NULL,
                    first_started_at = CASE WHEN \(keptFirst("d.attempts = 0")) THEN i.started_at
                        ELSE d.first_started_at END,
                    first_duration_ms = CASE WHEN \(keptFirst("d.attempts = 0")) THEN i.duration_ms
                        ELSE d.first_duration_ms END,
                    first_status_code = CASE WHEN \(keptFirst("d.attempts = 0")) THEN i.status_code
                        ELSE d.first_status_code END,
                    first_excerpt = CASE WHEN \(keptFirst("d.attempts = 0")) THEN i.excerpt ELSE d.first_excerpt END
                FROM input i WHERE d.seq = i.seq AND d.attempts = coalesce(i.expected, d.attempts)
                RETURNING d.seq, d.attempts, i.has_attempt, i.started_at, i.duration_ms, i.status_code,
                    i.attempt_failure, i.excerpt, i.error, i.trigger, \(keptFirst("d.attempts = 1")) AS kept\(
                        handingOn ? ", d.endpoint, d.ordering_key, i.state, i.now, i.hand_owner, i.hand_until" : "")
            )
            """
        let attempts = """
            INSERT INTO attempts (delivery_seq, number, started_at, duration_ms, status_code, failure_class,
                response_excerpt, error, trigger)
            SELECT seq, attempts, started_at, duration_ms, status_code, attempt_failure, excerpt, error, trigger
            FROM updated WHERE has_attempt AND NOT kept
            """
        guard handingOn else { return updated + "\n" + attempts }
        return updated + """
            ,
            recorded AS (
            \(attempts)
            ),
            following AS (
                SELECT n.seq, u.seq AS after, u.hand_owner, u.hand_until FROM updated u,
                    LATERAL (SELECT e.seq FROM deliveries e WHERE e.endpoint = u.endpoint
                        AND e.ordering_key = u.ordering_key AND e.state = 'pending' AND e.next_attempt_at <= u.now
                        AND NOT EXISTS (SELECT 1 FROM deliveries f WHERE f.endpoint = e.endpoint
                            AND f.ordering_key = e.ordering_key AND f.state IN ('pending', 'in_flight')
                            AND f.seq <> u.seq AND (f.event_time, f.seq) < (e.event_time, e.seq) OFFSET 0)
                        ORDER BY e.event_time, e.seq LIMIT 1 FOR UPDATE OF e SKIP LOCKED) n
                WHERE u.hand_until IS NOT NULL AND u.state IN ('delivered', 'dead')
            ),
            handed AS (
                UPDATE deliveries d SET state = 'in_flight', lease_owner = x.hand_owner, lease_until = x.hand_until
                FROM following x WHERE d.seq = x.seq
                RETURNING x.after, \(dueColumns(of: "d")), d.notification_seq, d.received_at
            )
            SELECT h.after, \(dueColumns(of: "h")), n.payload, coalesce(h.received_at, n.created_at)
            FROM handed h JOIN notifications n ON n.seq = h.notification_seq
            """
    }
    /// Outcomes and their attempts; returns no rows.
    static let completeSQL = completeStatement(handingOn: false)
    /// `completeSQL`, and the successors handed on, returned as above.
    static let completeAndHandOnSQL = completeStatement(handingOn: true)

    /// Whether a completion's attempt is kept in its delivery's row (`first_*`, migration 12) instead of an `attempts`
    /// row: a first attempt (`first`: the count before the update is 0, in `SET`; after it, 1, in `RETURNING`),
    /// scheduled, without a failure or an error, that delivered (all a kept attempt can hold). `AttemptSQL` reads
    /// such an attempt back with the others.
    static func keptFirst(_ first: String) -> String {
        "(i.has_attempt AND \(first) AND i.state = 'delivered' AND i.trigger = 'scheduled'"
            + " AND i.attempt_failure IS NULL AND i.error IS NULL)"
    }
}
