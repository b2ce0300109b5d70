/// Where attempts are read. An attempt is a row of `attempts`, or, on PostgreSQL, the `first_*` columns of a delivery
/// that its first attempt delivered (migration 12: most deliveries succeed at once, and their attempt rows were
/// written and never read). Each statement here reads both, so every reader (trace, a delivery's attempts, the
/// endpoints' recent attempts) sees the same attempts on either store. A kept first attempt has number 1, no failure
/// class and the trigger `scheduled` (only such an attempt is kept in the row).
enum AttemptSQL {
    /// A delivery's attempts: delivery_seq, number, started_at, duration_ms, status_code, failure_class,
    /// response_excerpt (as `StoreRows.attempt` reads them), then trigger (for a trace). Bind the delivery's seq twice.
    static let ofDelivery = """
        SELECT delivery_seq, number, started_at, duration_ms, status_code, failure_class, response_excerpt, trigger
        FROM attempts WHERE delivery_seq = ?
        UNION ALL
        SELECT seq, 1, first_started_at, first_duration_ms, first_status_code, NULL, first_excerpt, 'scheduled'
        FROM deliveries WHERE seq = ? AND first_started_at IS NOT NULL
        ORDER BY 2
        """

    /// Attempts started since a time, per endpoint: endpoint, attempts, failed attempts. Bind the time twice.
    static let recentPerEndpoint = """
        SELECT endpoint, CAST(sum(n) AS BIGINT), CAST(sum(f) AS BIGINT) FROM (
            SELECT d.endpoint AS endpoint, count(*) AS n,
                sum(CASE WHEN a.failure_class IS NOT NULL THEN 1 ELSE 0 END) AS f FROM attempts a JOIN deliveries d ON d.seq = a.delivery_seq WHERE a.started_at >= ? GROUP BY d.endpoint
            UNION ALL
            SELECT endpoint, count(*), 0 FROM deliveries WHERE first_started_at >= ? GROUP BY endpoint
        ) AS recent GROUP BY endpoint
        """
}
