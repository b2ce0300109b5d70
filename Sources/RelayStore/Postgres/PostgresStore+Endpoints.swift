public import RelayCore

extension PostgresStore {
    public func endpointStatistics(since: EventTime) async throws -> [String: EndpointStatistics] {
        try await read { connection in
            var result: [String: EndpointStatistics] = [:]
            for row in try await connection.query(
                """
                SELECT endpoint, count(*) FILTER (WHERE state IN ('pending', 'in_flight')),
                    count(*) FILTER (WHERE state = 'dead'), max(updated_at) FILTER (WHERE state = 'delivered')
                FROM deliveries GROUP BY endpoint
                """)
            {
                let id = row.text(0) ?? ""
                result[id, default: .init()].pending = Int(row.int(1))
                result[id, default: .init()].dead = Int(row.int(2))
                result[id, default: .init()].lastSuccess = row.optionalInt(3).map(EventTime.init(epochMilliseconds:))
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
                UPDATE deliveries SET state = 'pending', next_attempt_at = ?, updated_at = ?, trigger = 'manual',
                    dead_at = NULL WHERE endpoint = ? AND state = 'dead' AND dead_at >= ? RETURNING seq
                """, [.integer(now.epochMilliseconds), .integer(now.epochMilliseconds), .text(id),
                      .integer(since.epochMilliseconds)])
            if count > 0 { try await PostgresDeliveries.notify(connection) }
            return count
        }
    }

    public func trace(client: String?, awb: String) async throws -> [TraceEntry] {
        try await read { connection in
            var entries: [TraceEntry] = []
            let clientFilter = client == nil ? "" : " AND e.client = ?"
            var bindings: [PGValue] = [.text(awb)]
            if let client { bindings.append(.text(client)) }
            // Callbacks and the events parsed from them.
            for row in try await connection.query(
                """
                SELECT c.id, c.received_at, c.aggregator, c.status, e.status_code, e.outcome, e.notification_type,
                    e.event_time, e.seq
                FROM events e JOIN callbacks c ON c.seq = e.callback_seq WHERE e.awb = ?\(clientFilter) ORDER BY e.seq
                """, bindings)
            {
                let callbackId = row.text(0) ?? ""
                if !entries.contains(where: { $0.kind == "callback" && $0.id == callbackId }) {
                    entries.append(TraceEntry(at: EventTime(epochMilliseconds: row.int(1)), kind: "callback",
                                              id: callbackId, detail: "\(row.text(2) ?? "") callback (\(row.text(3) ?? ""))"))
                }
                let eventTime = row.optionalInt(7).map { EventTime(epochMilliseconds: $0).iso8601 } ?? "?"
                entries.append(TraceEntry(at: EventTime(epochMilliseconds: row.int(1)), kind: "event", id: "evt_\(row.int(8))",
                                          detail: "status \(row.text(4) ?? "") at \(eventTime) → \(row.text(5) ?? "")"
                                              + (row.text(6).map { " \($0)" } ?? "")))
            }
            let notificationFilter = client == nil ? "" : " AND n.client = ?"
            for row in try await connection.query(
                """
                SELECT n.id, n.created_at, n.type, n.direction, d.seq, d.endpoint, d.state, d.updated_at, d.failure_class
                FROM notifications n LEFT JOIN deliveries d ON d.notification_seq = n.seq
                WHERE (n.awb = ? OR n.shipment = ?)\(notificationFilter) ORDER BY n.seq, d.seq
                """, [.text(awb), .text(awb)] + (client.map { [PGValue.text($0)] } ?? []))
            {
                let id = row.text(0) ?? ""
                if !entries.contains(where: { $0.kind == "notification" && $0.id == id }) {
                    entries.append(TraceEntry(at: EventTime(epochMilliseconds: row.int(1)), kind: "notification", id: id,
                                              detail: "\(row.text(2) ?? "") (\(row.text(3) ?? ""))"))
                }
                if let seq = row.optionalInt(4) {
                    entries.append(TraceEntry(at: EventTime(epochMilliseconds: row.int(7)), kind: "delivery",
                                              id: "dlv_\(seq)",
                                              detail: "\(row.text(5) ?? "") \(row.text(6) ?? "")"
                                                  + (row.text(8).map { " (\($0))" } ?? "")))
                    for attempt in try await connection.query(
                        """
                        SELECT number, started_at, duration_ms, status_code, failure_class, trigger FROM attempts
                        WHERE delivery_seq = ? ORDER BY number
                        """, [.integer(seq)])
                    {
                        entries.append(TraceEntry(
                            at: EventTime(epochMilliseconds: attempt.int(1)), kind: "attempt", id: "dlv_\(seq)#\(attempt.int(0))",
                            detail: "\(attempt.optionalInt(3).map { "HTTP \($0)" } ?? (attempt.text(4) ?? "failed")) in \(attempt.int(2)) ms"
                                + (attempt.text(5) == "manual" ? " (manual)" : "")))
                    }
                }
            }
            return entries.sorted { ($0.at, $0.kind) < ($1.at, $1.kind) }
        }
    }
}
