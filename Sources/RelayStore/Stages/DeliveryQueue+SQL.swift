public import RelayCore

/// The reading half of the delivery queue, written once over the SQL seam. Leasing and recording outcomes are
/// per backend (`SQLiteStore+Delivery`, `PostgresStore+Delivery`): there the statements must differ (PostgreSQL
/// takes a batch with one statement and `SKIP LOCKED`; SQLite's single writer needs neither).
extension DeliveryQueue where Self: SQLBackedStore {
    public func dueDeliveries(now: EventTime, limit: Int, excluding: Set<String>) async throws -> [DueDelivery] {
        let nowValue = SQLValue.integer(now.epochMilliseconds)
        let limitValue = SQLValue.integer(Int64(limit))
        let excluded = SQLValue.texts(excluding.sorted())
        let chainHead = self.chainHead
        // A plain read, no lock: `lease` takes only what is still due when it runs.
        return try await seam.database.hotRead { session in
            let notExcluded = "NOT (\(session.dialect.anyOf("endpoint")))"
            return try await session.query(
                """
                SELECT * FROM (SELECT seq, notification_id, client, endpoint, ordering_key, event_time, next_attempt_at,
                    attempts, trigger
                FROM deliveries d WHERE state = 'pending' AND next_attempt_at <= ? AND \(notExcluded)\(chainHead)
                ORDER BY next_attempt_at, seq LIMIT ?) AS due
                UNION ALL
                SELECT * FROM (SELECT seq, notification_id, client, endpoint, ordering_key, event_time, next_attempt_at,
                    attempts, trigger
                FROM deliveries d WHERE state = 'in_flight' AND lease_until < ? AND \(notExcluded)
                ORDER BY lease_until LIMIT ?) AS expired
                """, [nowValue, excluded, limitValue, nowValue, excluded, limitValue]) { StoreRows.candidate($0) }
        }
    }

    public func dueDeliveries(now: EventTime, limits: [String: Int], otherLimit: Int, excluding: Set<String>)
        async throws -> [DueDelivery]
    {
        let nowValue = SQLValue.integer(now.epochMilliseconds)
        let chain = chainHead
        let columns = "seq, notification_id, client, endpoint, ordering_key, event_time, next_attempt_at, attempts, trigger"
        let endpoints = limits.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        return try await seam.database.hotRead { session in
            // One branch per endpoint, each an index range scan of `deliveries_due_endpoint` (endpoint, due time).
            var branches: [String] = []
            var binds: [SQLValue] = []
            for (index, (endpoint, limit)) in endpoints.enumerated() {
                branches.append("""
                    SELECT * FROM (SELECT \(columns) FROM deliveries d WHERE state = 'pending' AND endpoint = ?
                        AND next_attempt_at <= ?\(chain) ORDER BY next_attempt_at, seq LIMIT ?) AS e\(index)
                    """)
                binds += [.text(endpoint), nowValue, .integer(Int64(limit))]
            }
            if otherLimit > 0 {
                branches.append("""
                    SELECT * FROM (SELECT \(columns) FROM deliveries d WHERE state = 'pending' AND next_attempt_at <= ?
                        AND NOT (\(session.dialect.anyOf("endpoint")))\(chain)
                        ORDER BY next_attempt_at, seq LIMIT ?) AS others
                    """)
                binds += [nowValue, .texts(limits.keys.sorted()), .integer(Int64(otherLimit))]
            }
            branches.append("""
                SELECT * FROM (SELECT \(columns) FROM deliveries d WHERE state = 'in_flight' AND lease_until < ?
                    AND NOT (\(session.dialect.anyOf("endpoint"))) ORDER BY lease_until LIMIT ?) AS expired
                """)
            binds += [nowValue, .texts(excluding.sorted()), .integer(Int64(max(32, endpoints.map(\.value).max() ?? 0)))]
            return try await session.query(branches.joined(separator: "\nUNION ALL\n"), binds) {
                StoreRows.candidate($0)
            }
        }
    }

    /// Only a shared store needs the chain condition in SQL: several processes deliver, so a delivery is due only
    /// when no earlier one of its (endpoint, shipment) chain is pending or in flight anywhere (a chain's head moves
    /// forward only when its delivery finishes). One process on an SQLite file orders chains in its book.
    ///
    /// `OFFSET 0` keeps the check a per-row probe of `deliveries_chain` on (endpoint, ordering key, event time, seq):
    /// flattened into an anti-join, PostgreSQL was seen (with a fresh table's statistics) to probe on the endpoint
    /// alone and filter every chain of it, 18,846 index entries per candidate, 112 ms per read.
    private var chainHead: String {
        isShared ? """
             AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.endpoint = d.endpoint
                AND e.ordering_key = d.ordering_key AND e.state IN ('pending', 'in_flight')
                AND (e.event_time, e.seq) < (d.event_time, d.seq) OFFSET 0)
            """ : ""
    }

    public func nextDueTime(after now: EventTime) async throws -> EventTime? {
        let nowValue = SQLValue.integer(now.epochMilliseconds)
        return try await seam.database.read { session in
            try await session.query(
                """
                SELECT min(t) FROM (
                    SELECT min(next_attempt_at) AS t FROM deliveries WHERE state = 'pending' AND next_attempt_at > ?
                    UNION ALL
                    SELECT min(lease_until) FROM deliveries WHERE state = 'in_flight' AND lease_until > ?
                ) AS times
                """, [nowValue, nowValue]
            ) { $0.optionalInt(0).map(EventTime.init(epochMilliseconds:)) }.first ?? nil
        }
    }

    public func retryingDeliveries() async throws -> [DueDelivery] {
        try await seam.database.read { session in
            try await session.query(
                """
                SELECT seq, notification_id, client, endpoint, ordering_key, event_time, next_attempt_at, attempts, trigger
                FROM deliveries WHERE state = 'pending' AND attempts > 0 ORDER BY seq
                """, []) { StoreRows.candidate($0) }
        }
    }
}
