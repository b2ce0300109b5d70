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

    public func claimDeliveries(now: EventTime, scan: Int, owner: String, leaseUntil: EventTime, excluding: Set<String>,
                                choose: @escaping @Sendable ([DueDelivery]) -> [DueDelivery]) async throws -> [DueDelivery]
    {
        let excluded = PGValue.texts(excluding.sorted())
        return try await transaction { connection in
            let nowValue = PGValue.integer(now.epochMilliseconds)
            // Rows another instance is claiming right now are locked: skipped, not waited for.
            let candidates = try await connection.query(
                """
                SELECT seq, notification_id, client, endpoint, ordering_key, event_time, next_attempt_at, attempts, trigger
                FROM deliveries d WHERE state = 'pending' AND next_attempt_at <= ? AND endpoint <> ALL(?)
                    AND \(Self.chainHead)
                ORDER BY next_attempt_at, seq LIMIT ? FOR UPDATE SKIP LOCKED
                """, [nowValue, excluded, .integer(Int64(scan))], Self.candidateRow)
                + (try await connection.query(
                    """
                    SELECT seq, notification_id, client, endpoint, ordering_key, event_time, next_attempt_at, attempts,
                        trigger
                    FROM deliveries d WHERE state = 'in_flight' AND lease_until < ? AND endpoint <> ALL(?)
                    ORDER BY lease_until LIMIT ? FOR UPDATE SKIP LOCKED
                    """, [nowValue, excluded, .integer(Int64(scan))], Self.candidateRow))
            guard !candidates.isEmpty else { return [] }
            var chosen = choose(candidates)
            guard !chosen.isEmpty else { return [] }
            let payloads = try await connection.query(
                """
                UPDATE deliveries d SET state = 'in_flight', lease_owner = ?, lease_until = ?
                FROM notifications n WHERE n.seq = d.notification_seq AND d.seq = ANY(?)
                RETURNING d.seq, n.payload
                """, [.text(owner), .integer(leaseUntil.epochMilliseconds), .integers(chosen.map(\.seq))]
            ) { ($0.int(0), $0.blob(1)) }
            let bySeq = Dictionary(payloads, uniquingKeysWith: { first, _ in first })
            for index in chosen.indices { chosen[index].payload = bySeq[chosen[index].seq] ?? [] }
            return chosen
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

    public func complete(delivery seq: Int64, attempt: AttemptRecord?, outcome: DeliveryOutcome, now: EventTime,
                         expectedAttempts: Int?) async throws
    {
        var state = "delivered"
        var nextAttempt: Int64?
        var failure: String?
        var deadAt: Int64?
        switch outcome {
        case .delivered: break
        case .retry(let at, let failureClass):
            state = "pending"
            nextAttempt = at.epochMilliseconds
            failure = failureClass.rawValue
        case .dead(let failureClass):
            state = "dead"
            failure = failureClass.rawValue
            deadAt = now.epochMilliseconds
        }
        // Both statements see the rows as they were before this one: with an expected count, either both apply or
        // neither does.
        let expected = PGValue.integer(orNull: expectedAttempts.map(Int64.init))
        let update: [PGValue] = [
            .integer(attempt == nil ? 0 : 1), .text(state), .integer(orNull: nextAttempt), .integer(now.epochMilliseconds),
            .text(orNull: failure), .integer(orNull: deadAt), .integer(seq), expected,
        ]
        let values: [PGValue]
        let insertAttempt: String
        if let attempt {
            insertAttempt = """
                WITH recorded AS (
                    INSERT INTO attempts (delivery_seq, number, started_at, duration_ms, status_code, failure_class,
                        response_excerpt, error, trigger)
                    SELECT seq, attempts + 1, ?, ?, ?, ?, ?, ?, ? FROM deliveries
                    WHERE seq = ? AND attempts = coalesce(?::bigint, attempts)
                )
                """
            values = [.integer(attempt.startedAt.epochMilliseconds), .integer(attempt.durationMilliseconds),
                      .integer(orNull: attempt.statusCode.map(Int64.init)), .text(orNull: attempt.failureClass?.rawValue),
                      .blob(attempt.responseExcerpt), .text(orNull: attempt.error), .text(attempt.trigger),
                      .integer(seq), expected] + update
        } else {
            insertAttempt = ""
            values = update
        }
        // One statement: the attempt and the delivery's new state commit together. (This instance's loop wakes
        // itself for the next delivery of the chain; other instances need no NOTIFY.)
        try await read { connection in
            try await connection.query(
                """
                \(insertAttempt)
                UPDATE deliveries SET attempts = attempts + ?, state = ?,
                    next_attempt_at = coalesce(?::bigint, next_attempt_at), updated_at = ?, failure_class = ?,
                    dead_at = coalesce(?::bigint, dead_at), lease_until = NULL
                WHERE seq = ? AND attempts = coalesce(?::bigint, attempts)
                """, values)
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
