public import RelayCore

extension PostgresStore {
    static func candidateRow(_ row: PGRow) -> DueDelivery {
        DueDelivery(seq: row.int(0), notificationId: row.text(1) ?? "", client: row.text(2) ?? "",
                    endpointId: row.text(3) ?? "", orderingKey: row.text(4) ?? "",
                    eventTime: EventTime(epochMilliseconds: row.int(5)),
                    nextAttemptAt: EventTime(epochMilliseconds: row.int(6)), attempts: Int(row.int(7)), payload: [],
                    trigger: row.text(8) ?? "scheduled")
    }

    /// A delivery may leave only as the head of its (endpoint, shipment) chain: no earlier delivery of the chain is
    /// pending or in flight — on this instance or any other.
    static let chainHead = """
        NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.endpoint = d.endpoint AND e.ordering_key = d.ordering_key
            AND e.state IN ('pending', 'in_flight') AND (e.event_time, e.seq) < (d.event_time, d.seq))
        """

    public func dueDeliveries(now: EventTime, limit: Int, excluding: Set<String>) async throws -> [DueDelivery] {
        let excluded = PGValue.texts(excluding.sorted())
        let nowValue = PGValue.integer(now.epochMilliseconds)
        let limitValue = PGValue.integer(Int64(limit))
        // A plain read, no lock and no transaction: `lease` takes only what is still due when it runs. The chain
        // condition holds across instances: a delivery is due only when no earlier one of its chain is pending or in
        // flight anywhere, and a chain's head only moves forward when its delivery finishes.
        return try await read { connection in
            try await connection.query(
                """
                (SELECT seq, notification_id, client, endpoint, ordering_key, event_time, next_attempt_at, attempts,
                    trigger
                FROM deliveries d WHERE state = 'pending' AND next_attempt_at <= ? AND endpoint <> ALL(?)
                    AND \(Self.chainHead)
                ORDER BY next_attempt_at, seq LIMIT ?)
                UNION ALL
                (SELECT seq, notification_id, client, endpoint, ordering_key, event_time, next_attempt_at, attempts,
                    trigger
                FROM deliveries d WHERE state = 'in_flight' AND lease_until < ? AND endpoint <> ALL(?)
                ORDER BY lease_until LIMIT ?)
                """, [nowValue, excluded, limitValue, nowValue, excluded, limitValue], Self.candidateRow)
        }
    }

    public func lease(_ deliveries: [DueDelivery], owner: String, until: EventTime, now: EventTime) async throws
        -> [DueDelivery]
    {
        guard !deliveries.isEmpty else { return [] }
        let nowValue = PGValue.integer(now.epochMilliseconds)
        // One statement: rows another instance is leasing right now are skipped, not waited for; a row that is no
        // longer due (leased or finished since it was read) is left alone.
        let rows = try await read { connection in
            try await connection.query(
                """
                WITH taken AS (
                    SELECT seq FROM deliveries WHERE seq = ANY(?) AND ((state = 'pending' AND next_attempt_at <= ?)
                        OR (state = 'in_flight' AND lease_until < ?))
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE deliveries d SET state = 'in_flight', lease_owner = ?, lease_until = ?
                FROM taken t, notifications n LEFT JOIN callbacks c ON c.seq = n.callback_seq
                WHERE d.seq = t.seq AND n.seq = d.notification_seq
                RETURNING d.seq, d.attempts, n.payload, coalesce(c.received_at, n.created_at)
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

    public func deliveryGauges() async throws -> (pending: Int, dead: Int, oldestDue: EventTime?) {
        try await read { connection in
            let row = try await connection.query(
                """
                SELECT (SELECT count(*) FROM deliveries WHERE state = 'pending'),
                    (SELECT count(*) FROM deliveries WHERE state = 'dead'),
                    (SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending')
                """)[0]
            return (Int(row.int(0)), Int(row.int(1)), row.optionalInt(2).map(EventTime.init(epochMilliseconds:)))
        }
    }

    public func nextDueTime() async throws -> EventTime? {
        try await read { connection in
            try await connection.query(
                """
                SELECT least((SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending'),
                    (SELECT min(lease_until) FROM deliveries WHERE state = 'in_flight'))
                """
            ) { $0.optionalInt(0).map(EventTime.init(epochMilliseconds:)) }.first ?? nil
        }
    }

    public func nextDueTime(after now: EventTime) async throws -> EventTime? {
        try await read { connection in
            try await connection.query(
                """
                SELECT least((SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending' AND next_attempt_at > ?),
                    (SELECT min(lease_until) FROM deliveries WHERE state = 'in_flight' AND lease_until > ?))
                """, [.integer(now.epochMilliseconds), .integer(now.epochMilliseconds)]
            ) { $0.optionalInt(0).map(EventTime.init(epochMilliseconds:)) }.first ?? nil
        }
    }

    /// Completions per statement (15 values each, well under PostgreSQL's 65,535 bind limit).
    static let completionChunk = 1000

    public func complete(_ completions: [Completion]) async throws {
        guard !completions.isEmpty else { return }
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

    public func disableEndpoint(_ id: String, reason: String, now: EventTime) async throws -> Int {
        try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO endpoints (id, disabled, disabled_at, reason) VALUES (?, TRUE, ?, ?)
                ON CONFLICT (id) DO UPDATE SET disabled = TRUE, disabled_at = excluded.disabled_at, reason = excluded.reason
                """, [.text(id), .integer(now.epochMilliseconds), .text(reason)])
            return try await connection.count(
                """
                UPDATE deliveries SET state = 'dead', dead_at = ?, updated_at = ?, failure_class = 'endpoint_disabled'
                WHERE state IN ('pending', 'in_flight') AND endpoint = ? RETURNING seq
                """, [.integer(now.epochMilliseconds), .integer(now.epochMilliseconds), .text(id)])
        }
    }

    public func disabledEndpoints() async throws -> Set<String> {
        try await read { connection in
            Set(try await connection.query("SELECT id FROM endpoints WHERE disabled") { $0.text(0) ?? "" })
        }
    }

    public func retryingDeliveries() async throws -> [DueDelivery] {
        try await read { connection in
            try await connection.query(
                """
                SELECT d.seq, d.notification_id, d.client, d.endpoint, d.ordering_key, d.event_time, d.next_attempt_at,
                    d.attempts, d.trigger
                FROM deliveries d WHERE d.state = 'pending' AND d.attempts > 0 ORDER BY d.seq
                """, [], Self.candidateRow)
        }
    }

    public func deliveries(notificationId: String?, limit: Int) async throws -> [StoredDelivery] {
        try await read { connection in
            let filter = notificationId == nil ? "" : "WHERE notification_id = ?"
            var bindings: [PGValue] = notificationId.map { [.text($0)] } ?? []
            bindings.append(.integer(Int64(limit)))
            return try await connection.query(
                """
                SELECT seq, notification_id, endpoint, state, attempts, failure_class, next_attempt_at FROM deliveries
                \(filter) ORDER BY seq LIMIT ?
                """, bindings, StoreRows.delivery)
        }
    }

    public func attempts(delivery seq: Int64) async throws -> [StoredAttempt] {
        try await read { connection in
            try await connection.query(
                """
                SELECT delivery_seq, number, started_at, duration_ms, status_code, failure_class, response_excerpt
                FROM attempts WHERE delivery_seq = ? ORDER BY number
                """, [.integer(seq)], StoreRows.attempt)
        }
    }
}
