import RelayCore

extension SQLiteStore {
    public func endpointQueueGauges() async throws -> [String: EndpointQueueGauge] {
        try await reader.read { connection in
            var result: [String: EndpointQueueGauge] = [:]
            // Each branch reads only the rows of one partial index (deliveries_due, deliveries_dead), never the
            // delivered history.
            _ = try connection.query(
                """
                SELECT endpoint, sum(pending), min(due), sum(dead) FROM (
                    SELECT endpoint, 1 AS pending, next_attempt_at AS due, 0 AS dead FROM deliveries
                    WHERE state = 'pending'
                    UNION ALL
                    SELECT endpoint, 0, NULL, 1 FROM deliveries WHERE state = 'dead'
                ) GROUP BY endpoint
                """
            ) { row in
                result[row.text(0) ?? ""] = EndpointQueueGauge(
                    pending: Int(row.int(1)), oldestDue: row.optionalInt(2).map(EventTime.init(epochMilliseconds:)),
                    dead: Int(row.int(3)))
            }
            return result
        }
    }
}
