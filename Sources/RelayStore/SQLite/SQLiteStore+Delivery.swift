public import RelayCore

extension SQLiteStore {
    static let dueColumns = """
        d.seq, d.notification_id, d.client, d.endpoint, d.ordering_key, d.event_time, d.next_attempt_at, d.attempts,
        n.payload
        """

    static func dueRow(_ row: SQLiteStatement) -> DueDelivery {
        DueDelivery(seq: row.int(0), notificationId: row.text(1) ?? "", client: row.text(2) ?? "",
                    endpointId: row.text(3) ?? "", orderingKey: row.text(4) ?? "",
                    eventTime: EventTime(epochMilliseconds: row.int(5)),
                    nextAttemptAt: EventTime(epochMilliseconds: row.int(6)), attempts: Int(row.int(7)),
                    payload: row.blob(8))
    }

    public func dueDeliveries(now: EventTime, limit: Int, excluding: Set<String>) async throws -> [DueDelivery] {
        let excluded = excluding.sorted()
        let exclusion = excluded.isEmpty ? "" : " AND endpoint NOT IN (\(excluded.map { _ in "?" }.joined(separator: ", ")))"
        let excludedValues = excluded.map(SQLiteValue.text)
        // A read on a reader connection: the writer keeps committing meanwhile. What it reads may be a moment old;
        // `lease` only takes what is still due. One process delivers from an SQLite file, so its book orders chains.
        return try await reader.read { connection in
            let nowValue = SQLiteValue.integer(now.epochMilliseconds)
            return try connection.query(
                """
                SELECT seq, notification_id, client, endpoint, ordering_key, event_time, next_attempt_at, attempts, trigger
                FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ?\(exclusion)
                ORDER BY next_attempt_at, seq LIMIT ?
                """, [nowValue] + excludedValues + [.integer(Int64(limit))], Self.candidateRow)
                + (try connection.query(
                    """
                    SELECT seq, notification_id, client, endpoint, ordering_key, event_time, next_attempt_at, attempts,
                        trigger
                    FROM deliveries WHERE state = 'in_flight' AND lease_until < ?\(exclusion) LIMIT ?
                    """, [nowValue] + excludedValues + [.integer(Int64(limit))], Self.candidateRow))
        }
    }

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

    static func candidateRow(_ row: SQLiteStatement) -> DueDelivery {
        DueDelivery(seq: row.int(0), notificationId: row.text(1) ?? "", client: row.text(2) ?? "",
                    endpointId: row.text(3) ?? "", orderingKey: row.text(4) ?? "",
                    eventTime: EventTime(epochMilliseconds: row.int(5)),
                    nextAttemptAt: EventTime(epochMilliseconds: row.int(6)), attempts: Int(row.int(7)), payload: [],
                    trigger: row.text(8) ?? "scheduled")
    }

    public func releaseLeases() async throws {
        _ = try await writer.perform { connection in
            try connection.run("UPDATE deliveries SET state = 'pending', lease_owner = NULL, lease_until = NULL WHERE state = 'in_flight'")
        }
    }

    public func deliveryGauges() async throws -> (pending: Int, dead: Int, oldestDue: EventTime?) {
        try await reader.read { connection in
            let pending = try connection.query("SELECT count(*) FROM deliveries WHERE state = 'pending'") { $0.int(0) }
            let dead = try connection.query("SELECT count(*) FROM deliveries WHERE state = 'dead'") { $0.int(0) }
            let oldest = try connection.query("SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending'") {
                $0.optionalInt(0).map(EventTime.init(epochMilliseconds:))
            }
            return (Int(pending.first ?? 0), Int(dead.first ?? 0), oldest.first ?? nil)
        }
    }

    public func nextDueTime() async throws -> EventTime? {
        try await reader.read { connection in
            try connection.query("SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending'") {
                $0.optionalInt(0).map(EventTime.init(epochMilliseconds:))
            }.first ?? nil
        }
    }

    public func nextDueTime(after now: EventTime) async throws -> EventTime? {
        try await reader.read { connection in
            try connection.query("SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending' AND next_attempt_at > ?",
                                 [.integer(now.epochMilliseconds)]) {
                $0.optionalInt(0).map(EventTime.init(epochMilliseconds:))
            }.first ?? nil
        }
    }

    public func complete(_ completions: [Completion]) async throws {
        guard !completions.isEmpty else { return }
        try await writer.perform { connection in
            for completion in completions { try Self.record(completion, connection) }
        }
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

    public func disableEndpoint(_ id: String, reason: String, now: EventTime) async throws -> Int {
        try await writer.perform { connection in
            try connection.run(
                """
                INSERT INTO endpoints (id, disabled, disabled_at, reason) VALUES (?, 1, ?, ?)
                ON CONFLICT (id) DO UPDATE SET disabled = 1, disabled_at = excluded.disabled_at, reason = excluded.reason
                """, [.text(id), .integer(now.epochMilliseconds), .text(reason)])
            return try connection.run(
                """
                UPDATE deliveries SET state = 'dead', dead_at = ?, updated_at = ?, failure_class = 'endpoint_disabled'
                WHERE state IN ('pending', 'in_flight') AND endpoint = ?
                """, [.integer(now.epochMilliseconds), .integer(now.epochMilliseconds), .text(id)])
        }
    }

    public func disabledEndpoints() async throws -> Set<String> {
        try await reader.read { connection in
            Set(try connection.query("SELECT id FROM endpoints WHERE disabled = 1") { $0.text(0) ?? "" })
        }
    }

    public func retryingDeliveries() async throws -> [DueDelivery] {
        try await reader.read { connection in
            try connection.query(
                """
                SELECT \(Self.dueColumns) FROM deliveries d JOIN notifications n ON n.seq = d.notification_seq
                WHERE d.state = 'pending' AND d.attempts > 0 ORDER BY d.seq
                """, [], Self.dueRow)
        }
    }

    public func deliveries(notificationId: String?, limit: Int) async throws -> [StoredDelivery] {
        try await reader.read { connection in
            let filter = notificationId == nil ? "" : "WHERE notification_id = ?"
            var bindings: [SQLiteValue] = notificationId.map { [.text($0)] } ?? []
            bindings.append(.integer(Int64(limit)))
            return try connection.query(
                """
                SELECT seq, notification_id, endpoint, state, attempts, failure_class, next_attempt_at FROM deliveries
                \(filter) ORDER BY seq LIMIT ?
                """, bindings, StoreRows.delivery)
        }
    }

    public func attempts(delivery seq: Int64) async throws -> [StoredAttempt] {
        try await reader.read { connection in
            try connection.query(
                """
                SELECT delivery_seq, number, started_at, duration_ms, status_code, failure_class, response_excerpt
                FROM attempts WHERE delivery_seq = ? ORDER BY number
                """, [.integer(seq)], StoreRows.attempt)
        }
    }
}
