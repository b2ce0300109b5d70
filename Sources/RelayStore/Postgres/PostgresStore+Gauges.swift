import RelayCore

extension PostgresStore {
    public func endpointQueueGauges() async throws -> [String: EndpointQueueGauge] {
        try await read { connection in
            var result: [String: EndpointQueueGauge] = [:]
            // Each branch reads only the rows of one partial index (deliveries_due, deliveries_dead), never the
            // delivered history.
            for row in try await connection.query(
                """
                SELECT endpoint, count(*) FILTER (WHERE pending), min(due), count(*) FILTER (WHERE NOT pending)
                FROM (
                    SELECT endpoint, true AS pending, next_attempt_at AS due FROM deliveries WHERE state = 'pending'
                    UNION ALL
                    SELECT endpoint, false, NULL FROM deliveries WHERE state = 'dead'
                ) AS queue GROUP BY endpoint
                """)
            {
                result[row.text(0) ?? ""] = EndpointQueueGauge(
                    pending: Int(row.int(1)), oldestDue: row.optionalInt(2).map(EventTime.init(epochMilliseconds:)),
                    dead: Int(row.int(3)))
            }
            return result
        }
    }
}
