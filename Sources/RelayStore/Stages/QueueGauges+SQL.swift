public import RelayCore

/// The queue's gauges, written once over the SQL seam. Each branch reads only the rows of one partial index
/// (`deliveries_due`, `deliveries_dead`), never the delivered history.
extension QueueGauges where Self: SQLBackedStore {
    public func deliveryGauges() async throws -> (pending: Int, dead: Int, oldestDue: EventTime?) {
        try await seam.database.read { session in
            let row = try await session.query(
                """
                SELECT (SELECT count(*) FROM deliveries WHERE state = 'pending'),
                    (SELECT count(*) FROM deliveries WHERE state = 'dead'),
                    (SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending')
                """, []
            ) { (Int($0.int(0)), Int($0.int(1)), $0.optionalInt(2).map(EventTime.init(epochMilliseconds:))) }
            return row.first ?? (0, 0, nil)
        }
    }

    public func endpointQueueGauges() async throws -> [String: EndpointQueueGauge] {
        try await seam.database.read { session in
            let rows = try await session.query(
                """
                SELECT endpoint, sum(pending), min(due), sum(dead) FROM (
                    SELECT endpoint, 1 AS pending, next_attempt_at AS due, 0 AS dead FROM deliveries
                    WHERE state = 'pending'
                    UNION ALL
                    SELECT endpoint, 0, NULL, 1 FROM deliveries WHERE state = 'dead'
                ) AS queue GROUP BY endpoint
                """, []
            ) { row in
                (row.text(0) ?? "", EndpointQueueGauge(
                    pending: Int(row.int(1)), oldestDue: row.optionalInt(2).map(EventTime.init(epochMilliseconds:)),
                    dead: Int(row.int(3))))
            }
            return Dictionary(rows, uniquingKeysWith: { first, _ in first })
        }
    }
}
