public import RelayCore

extension SQLiteStore {
    public func endpointStatistics(since: EventTime) async throws -> [String: EndpointStatistics] {
        try await reader.read { connection in
            var result: [String: EndpointStatistics] = [:]
            _ = try connection.query(
                """
                SELECT endpoint, sum(state = 'pending' OR state = 'in_flight'), sum(state = 'dead'),
                    max(CASE WHEN state = 'delivered' THEN updated_at END), sum(state = 'awaiting_order')
                FROM deliveries GROUP BY endpoint
                """
            ) { row in
                let id = row.text(0) ?? ""
                result[id, default: .init()].pending = Int(row.int(1))
                result[id, default: .init()].dead = Int(row.int(2))
                result[id, default: .init()].lastSuccess = row.optionalInt(3).map(EventTime.init(epochMilliseconds:))
                result[id, default: .init()].awaitingOrder = Int(row.int(4))
            }
            _ = try connection.query(
                """
                SELECT d.endpoint, count(*), sum(a.failure_class IS NOT NULL) FROM attempts a
                JOIN deliveries d ON d.seq = a.delivery_seq WHERE a.started_at >= ? GROUP BY d.endpoint
                """, [.integer(since.epochMilliseconds)]
            ) { row in
                let id = row.text(0) ?? ""
                result[id, default: .init()].recentAttempts = Int(row.int(1))
                result[id, default: .init()].recentFailures = Int(row.int(2))
            }
            _ = try connection.query("SELECT id, disabled, reason FROM endpoints") { row in
                let id = row.text(0) ?? ""
                result[id, default: .init()].disabled = row.int(1) != 0
                result[id, default: .init()].disabledReason = row.text(2)
            }
            return result
        }
    }

    public func setEndpoint(_ id: String, disabled: Bool, reason: String?, now: EventTime) async throws {
        _ = try await writer.perform { connection in
            try connection.run(
                """
                INSERT INTO endpoints (id, disabled, disabled_at, reason) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET disabled = excluded.disabled, disabled_at = excluded.disabled_at,
                    reason = excluded.reason
                """, [.text(id), .integer(disabled ? 1 : 0), .integer(orNull: disabled ? now.epochMilliseconds : nil),
                      .text(orNull: reason)])
        }
    }

    public func recover(endpoint id: String, since: EventTime, now: EventTime) async throws -> Int {
        try await writer.perform { connection in
            try connection.run(
                """
                UPDATE deliveries SET \(Self.replayedState), next_attempt_at = ?, updated_at = ?, trigger = 'manual',
                    dead_at = NULL WHERE endpoint = ? AND state = 'dead' AND dead_at >= ?
                """, [.integer(now.epochMilliseconds), .integer(now.epochMilliseconds), .integer(now.epochMilliseconds),
                      .text(id), .integer(since.epochMilliseconds)])
        }
    }

    public func trace(client: String?, awb: String) async throws -> [TraceEntry] {
        try await reader.read { connection in
            var trace = TraceBuilder()
            let clientBinding = client.map { [SQLiteValue.text($0)] } ?? []
            _ = try connection.query(TraceBuilder.eventsSQL(client: client), [.text(awb)] + clientBinding) {
                trace.addEvent($0)
            }
            _ = try connection.query(TraceBuilder.notificationsSQL(client: client), [.text(awb), .text(awb)] + clientBinding) {
                guard let seq = trace.addNotification($0) else { return }
                _ = try connection.query(TraceBuilder.attemptsSQL, [.integer(seq)]) { trace.addAttempt($0, delivery: seq) }
            }
            return trace.trace
        }
    }
}
