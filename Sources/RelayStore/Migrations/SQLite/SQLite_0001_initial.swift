extension SQLiteMigrations {
    /// 1: callbacks, the inbox, dedup keys, events, notifications, deliveries, shipment states and the registry.
    static let v0001 = Migration(version: 1, sql: """
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
        """)
}
