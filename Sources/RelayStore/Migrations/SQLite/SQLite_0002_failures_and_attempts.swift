extension SQLiteMigrations {
    /// 2: failure classes and dead letters on deliveries, the attempts table and endpoint switches.
    static let v0002 = Migration(version: 2, sql: """
        ALTER TABLE deliveries ADD COLUMN failure_class TEXT;
        ALTER TABLE deliveries ADD COLUMN dead_at INTEGER;
        DROP INDEX deliveries_due;
        CREATE INDEX deliveries_due ON deliveries(next_attempt_at, seq) WHERE state = 'pending';
        CREATE INDEX deliveries_retrying ON deliveries(seq) WHERE state = 'pending' AND attempts > 0;
        CREATE INDEX deliveries_dead ON deliveries(dead_at) WHERE state = 'dead';
        CREATE TABLE attempts (
            seq INTEGER PRIMARY KEY,
            delivery_seq INTEGER NOT NULL,
            number INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL,
            status_code INTEGER,
            failure_class TEXT,
            response_excerpt BLOB,
            error TEXT,
            trigger TEXT NOT NULL DEFAULT 'scheduled'
        );
        CREATE INDEX attempts_delivery ON attempts(delivery_seq);
        CREATE TABLE endpoints (
            id TEXT PRIMARY KEY,
            disabled INTEGER NOT NULL DEFAULT 0,
            disabled_at INTEGER,
            reason TEXT
        ) WITHOUT ROWID;
        """)
}
