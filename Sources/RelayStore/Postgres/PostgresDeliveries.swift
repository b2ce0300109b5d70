/// Inserting deliveries (with the cross-instance wake-up).
enum PostgresDeliveries {
    /// Inserts pending deliveries; each row holds: notification seq, notification id, client,
    /// endpoint, ordering key, event time, now, held. A delivery is held (`awaiting_order`) when `held` says so (no
    /// order code yet, or an earlier row of its chain in this statement is held) or an earlier delivery of its chain
    /// is held: a later notification never overtakes a held one. Every instance's delivery loop is woken at commit.
    static func insert(_ rows: [[PGValue]], connection: PGConnection) async throws {
        // The insert and the wake-up in one round trip (a data-modifying `WITH` runs whatever the query reads).
        try await connection.query(insertAndNotifySQL, deliveryRows.values(rows))
    }

    static let insertAndNotifySQL = "WITH inserted AS (\(insertSQL)) \(notifySQL)"
    static let notifySQL = "SELECT pg_notify('\(PostgresStore.deliveriesChannel)', '')"

    static let insertSQL = """
        INSERT INTO deliveries (notification_seq, notification_id, client, endpoint, ordering_key, event_time,
            state, next_attempt_at, created_at, updated_at, held_at)
        SELECT v.nseq, v.nid, v.client, v.endpoint, v.okey, v.etime,
            CASE WHEN h.held THEN 'awaiting_order' ELSE 'pending' END, v.now, v.now, v.now,
            CASE WHEN h.held THEN v.now END
        FROM (\(deliveryRows.select(["nseq", "nid", "client", "endpoint", "okey", "etime", "now", "held"]))) AS v,
            LATERAL (SELECT v.held OR EXISTS (SELECT 1 FROM deliveries e WHERE e.state = 'awaiting_order'
                AND e.ordering_key = v.okey AND e.endpoint = v.endpoint) AS held) h
        """

    static let deliveryRows = PGUnnest(types: ["bigint", "text", "text", "text", "text", "bigint", "bigint", "boolean"])

    /// Wakes every instance's delivery loop when the transaction commits.
    static func notify(_ connection: PGConnection) async throws {
        try await connection.query(notifySQL)
    }
}
