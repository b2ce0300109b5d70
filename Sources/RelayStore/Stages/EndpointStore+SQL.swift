public import RelayCore

/// Endpoint health and the ops switch, written once over the SQL seam.
extension EndpointStore where Self: SQLBackedStore {
    public func endpointStatistics(since: EventTime) async throws -> [String: EndpointStatistics] {
        try await seam.database.read { session in
            var result: [String: EndpointStatistics] = [:]
            let states = try await session.query(
                """
                SELECT endpoint, sum(CASE WHEN state IN ('pending', 'in_flight') THEN 1 ELSE 0 END),
                    sum(CASE WHEN state = 'dead' THEN 1 ELSE 0 END),
                    max(CASE WHEN state = 'delivered' THEN updated_at END),
                    sum(CASE WHEN state = 'awaiting_order' THEN 1 ELSE 0 END)
                FROM deliveries GROUP BY endpoint
                """
            ) { row in (row.text(0) ?? "", Int(row.int(1)), Int(row.int(2)), row.optionalInt(3), Int(row.int(4))) }
            for (id, pending, dead, lastSuccess, awaitingOrder) in states {
                result[id, default: .init()].pending = pending
                result[id, default: .init()].dead = dead
                result[id, default: .init()].lastSuccess = lastSuccess.map(EventTime.init(epochMilliseconds:))
                result[id, default: .init()].awaitingOrder = awaitingOrder
            }
            let attempts = try await session.query(
                AttemptSQL.recentPerEndpoint, [.integer(since.epochMilliseconds), .integer(since.epochMilliseconds)]
            ) { row in (row.text(0) ?? "", Int(row.int(1)), Int(row.int(2))) }
            for (id, recent, failures) in attempts {
                result[id, default: .init()].recentAttempts = recent
                result[id, default: .init()].recentFailures = failures
            }
            let switches = try await session.query("SELECT id, disabled, reason FROM endpoints") { row in
                (row.text(0) ?? "", row.bool(1), row.text(2))
            }
            for (id, disabled, reason) in switches {
                result[id, default: .init()].disabled = disabled
                result[id, default: .init()].disabledReason = reason
            }
            return result
        }
    }

    public func setEndpoint(_ id: String, disabled: Bool, reason: String?, now: EventTime) async throws {
        try await seam.database.write { session in
            try await session.execute(
                """
                INSERT INTO endpoints (id, disabled, disabled_at, reason) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET disabled = excluded.disabled, disabled_at = excluded.disabled_at,
                    reason = excluded.reason
                """, [.text(id), .bool(disabled), .integer(orNull: disabled ? now.epochMilliseconds : nil),
                      .text(orNull: reason)])
            if !disabled { try await session.announceDeliveries() }
        }
    }

    public func disabledEndpoints() async throws -> Set<String> {
        try await seam.database.read { session in
            Set(try await session.query("SELECT id FROM endpoints WHERE \(session.dialect.isTrue("disabled"))") {
                $0.text(0) ?? ""
            })
        }
    }

    public func disableEndpoint(_ id: String, reason: String, now: EventTime) async throws -> Int {
        try await seam.database.write { session in
            try await session.execute(
                """
                INSERT INTO endpoints (id, disabled, disabled_at, reason) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET disabled = excluded.disabled, disabled_at = excluded.disabled_at,
                    reason = excluded.reason
                """, [.text(id), .bool(true), .integer(now.epochMilliseconds), .text(reason)])
            return try await session.execute(
                """
                UPDATE deliveries SET state = 'dead', dead_at = ?, updated_at = ?, failure_class = 'endpoint_disabled'
                WHERE state IN ('pending', 'in_flight') AND endpoint = ?
                """, [.integer(now.epochMilliseconds), .integer(now.epochMilliseconds), .text(id)])
        }
    }
}
