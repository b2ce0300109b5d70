extension PostgresMigrations {
    /// 5: what is due, per endpoint. The delivery engine reads each endpoint's due deliveries on its own, so a
    /// backlog of an endpoint at its in-flight cap is never scanned while the others are read.
    static let v0005 = Migration(version: 5, sql: """
        CREATE INDEX deliveries_due_endpoint ON deliveries(endpoint, next_attempt_at, seq) WHERE state = 'pending';
        """)
}
