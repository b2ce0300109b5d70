extension SQLiteMigrations {
    /// 12: the columns of a first attempt kept in its delivery's row (PostgreSQL's migration 12). SQLite's store
    /// still records every attempt in `attempts`, so they stay NULL here; they exist so that the readers, written
    /// once for both stores (`AttemptSQL`), run on either. The partial index is empty and costs no write.
    static let v0012 = Migration(version: 12, sql: """
        ALTER TABLE deliveries ADD COLUMN first_started_at INTEGER;
        ALTER TABLE deliveries ADD COLUMN first_duration_ms INTEGER;
        ALTER TABLE deliveries ADD COLUMN first_status_code INTEGER;
        ALTER TABLE deliveries ADD COLUMN first_excerpt BLOB;
        CREATE INDEX deliveries_first_started ON deliveries(first_started_at) WHERE first_started_at IS NOT NULL;
        """)
}
