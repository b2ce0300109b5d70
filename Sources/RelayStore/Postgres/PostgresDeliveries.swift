/// Inserting deliveries (with the cross-instance wake-up).
enum PostgresDeliveries {
    /// Inserts `rows` pending deliveries; `values` holds, per row: notification seq, notification id, client,
    /// endpoint, ordering key, event time, now, held. A delivery is held (`awaiting_order`) when `held` says so (no
    /// order code yet, or an earlier row of its chain in this statement is held) or an earlier delivery of its chain
    /// is held: a later notification never overtakes a held one. Every instance's delivery loop is woken at commit.
    static func insert(rows: Int, values: [PGValue], connection: PGConnection) async throws {
        let list = PostgresSQL.valuesList(rows: rows, casts: [
            "bigint", "text", "text", "text", "text", "bigint", "bigint", "boolean",
        ])
        try await connection.query(
            """
            INSERT INTO deliveries (notification_seq, notification_id, client, endpoint, ordering_key, event_time,
                state, next_attempt_at, created_at, updated_at, held_at)
            SELECT v.nseq, v.nid, v.client, v.endpoint, v.okey, v.etime,
                CASE WHEN h.held THEN 'awaiting_order' ELSE 'pending' END, v.now, v.now, v.now,
                CASE WHEN h.held THEN v.now END
            FROM (VALUES \(list)) AS v (nseq, nid, client, endpoint, okey, etime, now, held),
                LATERAL (SELECT v.held OR EXISTS (SELECT 1 FROM deliveries e WHERE e.state = 'awaiting_order'
                    AND e.ordering_key = v.okey AND e.endpoint = v.endpoint) AS held) h
            """, values)
        try await notify(connection)
    }

    /// Wakes every instance's delivery loop when the transaction commits.
    static func notify(_ connection: PGConnection) async throws {
        try await connection.query("SELECT pg_notify('\(PostgresStore.deliveriesChannel)', '')")
    }
}
