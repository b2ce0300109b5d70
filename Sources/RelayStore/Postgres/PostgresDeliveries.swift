/// Inserting deliveries (with the cross-instance wake-up).
enum PostgresDeliveries {
    /// Inserts `rows` pending deliveries; `values` holds, per row: notification seq, notification id, client,
    /// endpoint, ordering key, event time, now. Every instance's delivery loop is woken at commit.
    static func insert(rows: Int, values: [PGValue], connection: PGConnection) async throws {
        let list = PostgresSQL.valuesList(rows: rows, casts: ["bigint", "text", "text", "text", "text", "bigint", "bigint"])
        try await connection.query(
            """
            INSERT INTO deliveries (notification_seq, notification_id, client, endpoint, ordering_key, event_time,
                state, next_attempt_at, created_at, updated_at)
            SELECT v.nseq, v.nid, v.client, v.endpoint, v.okey, v.etime, 'pending', v.now, v.now, v.now
            FROM (VALUES \(list)) AS v (nseq, nid, client, endpoint, okey, etime, now)
            """, values)
        try await notify(connection)
    }

    /// Wakes every instance's delivery loop when the transaction commits.
    static func notify(_ connection: PGConnection) async throws {
        try await connection.query("SELECT pg_notify('\(PostgresStore.deliveriesChannel)', '')")
    }
}
