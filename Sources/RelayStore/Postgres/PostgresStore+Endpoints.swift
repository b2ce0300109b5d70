public import RelayCore

extension PostgresStore {
    public func endpointStatistics(since: EventTime) async throws -> [String: EndpointStatistics] {
        try await read { connection in
            var result: [String: EndpointStatistics] = [:]
            for row in try await connection.query(
                """
                SELECT endpoint, count(*) FILTER (WHERE state IN ('pending', 'in_flight')),
                    count(*) FILTER (WHERE state = 'dead'), max(updated_at) FILTER (WHERE state = 'delivered'),
                    count(*) FILTER (WHERE state = 'awaiting_order')
                FROM deliveries GROUP BY endpoint
                """)
            {
                let id = row.text(0) ?? ""
                result[id, default: .init()].pending = Int(row.int(1))
                result[id, default: .init()].dead = Int(row.int(2))
                result[id, default: .init()].lastSuccess = row.optionalInt(3).map(EventTime.init(epochMilliseconds:))
                result[id, default: .init()].awaitingOrder = Int(row.int(4))
            }
            for row in try await connection.query(
                """
                SELECT d.endpoint, count(*), count(*) FILTER (WHERE a.failure_class IS NOT NULL) FROM attempts a
                JOIN deliveries d ON d.seq = a.delivery_seq WHERE a.started_at >= ? GROUP BY d.endpoint
                """, [.integer(since.epochMilliseconds)])
            {
                let id = row.text(0) ?? ""
                result[id, default: .init()].recentAttempts = Int(row.int(1))
                result[id, default: .init()].recentFailures = Int(row.int(2))
            }
            for row in try await connection.query("SELECT id, disabled, reason FROM endpoints") {
                let id = row.text(0) ?? ""
                result[id, default: .init()].disabled = row.bool(1)
                result[id, default: .init()].disabledReason = row.text(2)
            }
            return result
        }
    }

    public func setEndpoint(_ id: String, disabled: Bool, reason: String?, now: EventTime) async throws {
        try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO endpoints (id, disabled, disabled_at, reason) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET disabled = excluded.disabled, disabled_at = excluded.disabled_at,
                    reason = excluded.reason
                """, [.text(id), .bool(disabled), .integer(orNull: disabled ? now.epochMilliseconds : nil),
                      .text(orNull: reason)])
            if !disabled { try await PostgresDeliveries.notify(connection) }
        }
    }

    public func recover(endpoint id: String, since: EventTime, now: EventTime) async throws -> Int {
        try await transaction { connection in
            let count = try await connection.count(
                """
                UPDATE deliveries SET \(Self.replayedState), next_attempt_at = ?, updated_at = ?, trigger = 'manual',
                    dead_at = NULL WHERE endpoint = ? AND state = 'dead' AND dead_at >= ? RETURNING seq
                """, [.integer(now.epochMilliseconds), .integer(now.epochMilliseconds), .integer(now.epochMilliseconds),
                      .text(id), .integer(since.epochMilliseconds)])
            if count > 0 { try await PostgresDeliveries.notify(connection) }
            return count
        }
    }

    public func trace(client: String?, awb: String) async throws -> [TraceEntry] {
        try await read { connection in
            var trace = TraceBuilder()
            let clientBinding = client.map { [PGValue.text($0)] } ?? []
            for row in try await connection.query(TraceBuilder.eventsSQL(client: client), [.text(awb)] + clientBinding) {
                trace.addEvent(row)
            }
            for row in try await connection.query(TraceBuilder.notificationsSQL(client: client),
                                                  [.text(awb), .text(awb)] + clientBinding) {
                guard let seq = trace.addNotification(row) else { continue }
                for attempt in try await connection.query(TraceBuilder.attemptsSQL, [.integer(seq)]) {
                    trace.addAttempt(attempt, delivery: seq)
                }
            }
            return trace.trace
        }
    }
}
