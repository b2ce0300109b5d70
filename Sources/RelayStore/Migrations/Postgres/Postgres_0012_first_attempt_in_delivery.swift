extension PostgresMigrations {
    /// 12: a delivery that its first attempt delivered keeps that attempt in its own row (`first_*`) instead of an
    /// `attempts` row: most deliveries succeed at once, and the row (with its key and its block-range entry) was
    /// written and never read again for most of them. Every reader of attempts reads both (`AttemptSQL`); the
    /// recent attempts per endpoint find these by a block-range index on their start time, like `attempts_started`.
    static let v0012 = Migration(version: 12, sql: """
        ALTER TABLE deliveries ADD COLUMN first_started_at BIGINT, ADD COLUMN first_duration_ms BIGINT,
            ADD COLUMN first_status_code INTEGER, ADD COLUMN first_excerpt BYTEA;
        CREATE INDEX deliveries_first_started ON deliveries USING brin (first_started_at);
        """)
}
