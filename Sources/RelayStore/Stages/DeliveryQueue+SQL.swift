public import RelayCore

/// The reading half of the delivery queue, written once over the SQL seam. Leasing and recording outcomes are
/// per backend (`SQLiteStore+Delivery`, `PostgresStore+Delivery`): there the statements must differ (PostgreSQL
/// takes a batch with one statement and `SKIP LOCKED`; SQLite's single writer needs neither).
extension DeliveryQueue where Self: SQLBackedStore {
    public func dueDeliveries(now: EventTime, limits: [String: Int], otherLimit: Int, excluding: Set<String>)
        async throws -> [DueDelivery]
    {
        let chain = chainHead
        return try await seam.database.hotRead { session in
            let due = Self.dueSelect(dialect: session.dialect, now: now, limits: limits, otherLimit: otherLimit,
                                     excluding: excluding, chain: chain, claim: false)
            return try await session.query(due.sql, due.binds) { StoreRows.candidate($0) }
        }
    }

    /// The columns of a due delivery (`StoreRows.candidate`), as read from `deliveries d`.
    static func dueColumns(of alias: String? = nil) -> String {
        let prefix = alias.map { "\($0)." } ?? ""
        return ["seq", "notification_id", "client", "endpoint", "ordering_key", "event_time", "next_attempt_at",
                "attempts", "trigger"].map { prefix + $0 }.joined(separator: ", ")
    }

    /// What is due, as one `UNION ALL` of index range reads: one per endpoint of `limits`
    /// (`deliveries_due_endpoint`: endpoint, due time; on PostgreSQL one `LATERAL` read per element of the bound
    /// arrays), one for endpoints neither named nor excluded when `otherLimit` > 0, and one for expired leases.
    /// A `claim` (PostgreSQL's, inside `claimDue`) locks the rows each branch takes (`FOR UPDATE … SKIP LOCKED`
    /// after its `LIMIT`) and counts an endpoint's expired leases against its limit; a read locks nothing and
    /// returns the expired leases of every endpoint not excluded, for the caller to choose from.
    static func dueSelect(dialect: SQLDialect, now: EventTime, limits: [String: Int], otherLimit: Int,
                          excluding: Set<String>, chain: String, claim: Bool) -> (sql: String, binds: [SQLValue])
    {
        let forUpdate = dialect.forUpdate(of: "d")
        let lock = claim && !forUpdate.isEmpty ? " \(forUpdate) SKIP LOCKED" : ""
        let nowValue = SQLValue.integer(now.epochMilliseconds)
        let columns = dueColumns()
        let endpoints = limits.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        var branches: [String] = []
        var binds: [SQLValue] = []
        switch dialect {
        case .postgres where !claim:
            // One text whatever the endpoints: the limits are bound as two arrays and each endpoint's range read is
            // a `LATERAL` subquery, so the statement is prepared once (a text per number of endpoints would use up
            // the statement cache's slots) and "others" is always there (`LIMIT 0` reads nothing).
            branches.append("""
                SELECT x.* FROM unnest(?::text[], ?::bigint[]) AS l (endpoint, lim) CROSS JOIN LATERAL (
                    SELECT \(columns) FROM deliveries d WHERE state = 'pending' AND endpoint = l.endpoint
                    AND next_attempt_at <= ?\(chain) ORDER BY next_attempt_at, seq LIMIT l.lim) AS x
                """)
            binds += [.texts(endpoints.map(\.key)), .integers(endpoints.map { Int64($0.value) }), nowValue]
        case .postgres:
            // A claim: an endpoint's expired leases count against its limit too (first: they have waited longest),
            // so taking over a stopped instance's deliveries never puts more of an endpoint in flight than it has
            // free slots. The outer `LIMIT` stops reading (and locking) once the endpoint's slots are filled.
            // `endpoint || ''` keeps the expired read on `deliveries_leased` (lease time): with `endpoint =`, the
            // generic plan, made while the table was small, read the endpoint's whole chain index instead and
            // filtered 20,000 pending rows at every claim (auto_explain, 8.7 ms per claim).
            branches.append("""
                SELECT x.* FROM unnest(?::text[], ?::bigint[]) AS l (endpoint, lim) CROSS JOIN LATERAL (
                    SELECT * FROM (
                        SELECT * FROM (SELECT \(columns) FROM deliveries d WHERE state = 'in_flight'
                            AND endpoint || '' = l.endpoint AND lease_until < ? ORDER BY lease_until LIMIT l.lim\(lock)) AS a
                        UNION ALL
                        SELECT * FROM (SELECT \(columns) FROM deliveries d WHERE state = 'pending' AND endpoint = l.endpoint
                            AND next_attempt_at <= ?\(chain) ORDER BY next_attempt_at, seq LIMIT l.lim\(lock)) AS p
                    ) AS u LIMIT l.lim) AS x
                """)
            binds += [.texts(endpoints.map(\.key)), .integers(endpoints.map { Int64($0.value) }), nowValue, nowValue]
        case .sqlite:
            for (index, (endpoint, limit)) in endpoints.enumerated() {
                branches.append("""
                    SELECT * FROM (SELECT \(columns) FROM deliveries d WHERE state = 'pending' AND endpoint = ?
                        AND next_attempt_at <= ?\(chain) ORDER BY next_attempt_at, seq LIMIT ?\(lock)) AS e\(index)
                    """)
                binds += [.text(endpoint), nowValue, .integer(Int64(limit))]
            }
        }
        if otherLimit > 0 || dialect == .postgres {
            branches.append("""
                SELECT * FROM (SELECT \(columns) FROM deliveries d WHERE state = 'pending' AND next_attempt_at <= ?
                    AND NOT (\(dialect.anyOf("endpoint")))\(chain)
                    ORDER BY next_attempt_at, seq LIMIT ?\(lock)) AS others
                """)
            binds += [nowValue, .texts(excluding.union(limits.keys).sorted()), .integer(Int64(max(0, otherLimit)))]
        }
        branches.append("""
            SELECT * FROM (SELECT \(columns) FROM deliveries d WHERE state = 'in_flight' AND lease_until < ?
                AND NOT (\(dialect.anyOf("endpoint"))) ORDER BY lease_until LIMIT ?\(lock)) AS expired
            """)
        if !claim {
            // A read: expired leases of any endpoint not excluded; the caller chooses within its caps.
            binds += [nowValue, .texts(excluding.sorted()),
                      .integer(Int64(max(32, otherLimit, endpoints.map(\.value).max() ?? 0)))]
        } else {
            // A claim: those of the named endpoints were taken above, within their limits; here only those of
            // endpoints neither named nor excluded, as many as `otherLimit`.
            binds += [nowValue, .texts(excluding.union(limits.keys).sorted()), .integer(Int64(max(0, otherLimit)))]
        }
        return (branches.joined(separator: "\nUNION ALL\n"), binds)
    }

    /// A delivery is due only when no earlier one of its (endpoint, shipment) chain is pending or in flight (a
    /// chain's head moves forward only when its delivery finishes). In SQL on both stores: with several processes
    /// (PostgreSQL) no book knows every chain, and with one (SQLite) a due read without it could fill up with later
    /// statuses waiting behind retrying first ones, so that the first ones, due later, were never read again and the
    /// endpoint stalled for good (`DeliveryEngineTests.blockedChainsDoNotStallTheEndpoint`).
    ///
    /// A per-row probe of `deliveries_chain` on (endpoint, ordering key, event time, seq). On PostgreSQL `OFFSET 0`
    /// keeps it one: flattened into an anti-join, PostgreSQL was seen (with a fresh table's statistics) to probe on
    /// the endpoint alone and filter every chain of it, 18,846 index entries per candidate, 112 ms per read. On
    /// SQLite the index is partial, on the same `state IN (…)` term.
    var chainHead: String {
        """
         AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.endpoint = d.endpoint
            AND e.ordering_key = d.ordering_key AND e.state IN ('pending', 'in_flight')
            AND (e.event_time, e.seq) < (d.event_time, d.seq) \(isShared ? "OFFSET 0" : "LIMIT 1"))
        """
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
}
