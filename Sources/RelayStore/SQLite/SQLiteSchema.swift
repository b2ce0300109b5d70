/// Versioned schema of the SQLite store. Each migration runs once, in order, inside a transaction.
enum SQLiteSchema {
    static let migrations: [(version: Int, sql: String)] = [
        (1, """
        CREATE TABLE callbacks (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            client TEXT NOT NULL,
            aggregator TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            content_type TEXT,
            headers TEXT NOT NULL,
            body BLOB NOT NULL,
            dedup_key TEXT,
            status TEXT NOT NULL,
            error TEXT,
            detail TEXT
        );
        CREATE TABLE unnormalised (
            seq INTEGER PRIMARY KEY
        );
        CREATE INDEX callbacks_rejected ON callbacks(seq) WHERE status = 'rejected';
        CREATE TABLE callback_keys (
            key INTEGER PRIMARY KEY,
            seq INTEGER NOT NULL
        );
        CREATE TABLE store_meta (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            callback_seq INTEGER NOT NULL,
            client TEXT NOT NULL,
            aggregator TEXT NOT NULL,
            awb TEXT,
            status_code TEXT NOT NULL,
            status_text TEXT,
            event_time INTEGER,
            role TEXT NOT NULL,
            outcome TEXT NOT NULL,
            notification_type TEXT,
            direction TEXT,
            notification_id TEXT
        );
        CREATE TABLE notifications (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            client TEXT NOT NULL,
            awb TEXT,
            shipment TEXT NOT NULL,
            type TEXT NOT NULL,
            direction TEXT NOT NULL,
            dedup_key TEXT NOT NULL,
            event_time INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            callback_seq INTEGER,
            payload BLOB NOT NULL
        );
        CREATE TABLE deliveries (
            seq INTEGER PRIMARY KEY,
            notification_seq INTEGER NOT NULL,
            notification_id TEXT NOT NULL,
            client TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            ordering_key TEXT NOT NULL,
            event_time INTEGER NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            lease_owner TEXT,
            lease_until INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            last_error TEXT
        );
        CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE state = 'pending';
        CREATE TABLE shipment_states (
            client TEXT NOT NULL,
            shipment TEXT NOT NULL,
            leg TEXT NOT NULL,
            newest_relayed INTEGER,
            terminal TEXT,
            rto_raised INTEGER NOT NULL DEFAULT 0,
            notification_keys TEXT NOT NULL DEFAULT '',
            event_seqs TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (client, shipment, leg)
        ) WITHOUT ROWID;
        CREATE TABLE shipment_registry (
            client TEXT NOT NULL,
            awb TEXT NOT NULL,
            data TEXT NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (client, awb)
        ) WITHOUT ROWID;
        """),
        (2, """
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
        """),
        (3, """
        CREATE TABLE message_keys (
            key TEXT PRIMARY KEY,
            notification_id TEXT NOT NULL
        ) WITHOUT ROWID;
        """),
        (4, """
        CREATE INDEX deliveries_leased ON deliveries(lease_until) WHERE state = 'in_flight';
        """),
        (5, """
        ALTER TABLE deliveries ADD COLUMN trigger TEXT NOT NULL DEFAULT 'scheduled';
        """),
        (6, """
        CREATE INDEX callbacks_unmapped ON callbacks(seq) WHERE error = 'unmapped';
        """),
        (7, """
        CREATE INDEX deliveries_notification ON deliveries(notification_seq);
        """),
        (8, """
        ALTER TABLE notifications ADD COLUMN awaiting_order INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE deliveries ADD COLUMN held_at INTEGER;
        CREATE INDEX notifications_awaiting_order ON notifications(client, shipment) WHERE awaiting_order = 1;
        CREATE INDEX deliveries_awaiting_order ON deliveries(ordering_key, endpoint) WHERE state = 'awaiting_order';
        CREATE INDEX deliveries_held_at ON deliveries(held_at) WHERE state = 'awaiting_order';
        """),
        // The audit log (admin actions).
        (9, """
        CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL,
            via TEXT NOT NULL
        );
        """),
        // Shipment-state versions: a normalisation commit writes only over the version it read (optimistic
        // concurrency; 0 stands for "no row", so existing rows start at 1). 10 is taken by another branch.
        (11, """
        ALTER TABLE shipment_states ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        """),
    ]

    /// Applies the pragmas and every migration not yet applied.
    static func migrate(_ connection: SQLiteConnection) throws {
        try connection.execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA temp_store = MEMORY;
            PRAGMA cache_size = -65536;
            PRAGMA wal_autocheckpoint = 8000;
            CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
            """)
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let applied = Set(try connection.query("SELECT version FROM schema_migrations") { $0.int(0) })
            for migration in migrations where !applied.contains(Int64(migration.version)) {
                try connection.execute(migration.sql)
                try connection.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))",
                                   [.integer(Int64(migration.version))])
            }
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
