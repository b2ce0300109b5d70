extension PostgresMigrations {
    /// 11: a delivery keeps when its callback was received (NULL for one queued by the OMS routes, or before this
    /// migration: a claim then falls back to the notification's creation time, as it did for callback-less
    /// notifications). The claim returns it with each leased delivery, for the end-to-end latency metric, without
    /// reading the callback row by key for every delivery.
    static let v0011 = Migration(version: 11, sql: """
        ALTER TABLE deliveries ADD COLUMN received_at BIGINT;
        """)
}
