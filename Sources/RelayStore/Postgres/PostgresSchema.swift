import Foundation

/// Versioned schema of the PostgreSQL store. Migrations run in one transaction under an advisory lock, so several
/// instances starting at once apply each migration exactly once (the others wait, then find it applied).
enum PostgresSchema {
    /// Advisory lock keys (arbitrary constants of this product).
    static let migrationLock: Int64 = 0x5245_4C41_0001
    static let normalisationLock: Int64 = 0x5245_4C41_0002

    /// A lock key of its own per schema: stores on other schemas of one database never wait for each other.
    static func lockKey(_ base: Int64, schema: String?) -> Int64 {
        var key = UInt64(bitPattern: base)
        for byte in (schema ?? "").utf8 { key = (key ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return Int64(bitPattern: key)
    }

    static let migrations: [(version: Int, sql: String)] = [
        (1, """
        CREATE TABLE callbacks (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            client TEXT NOT NULL,
            aggregator TEXT NOT NULL,
            received_at BIGINT NOT NULL,
            content_type TEXT,
            headers TEXT NOT NULL,
            body BYTEA NOT NULL,
            dedup_key TEXT,
            status TEXT NOT NULL,
            error TEXT,
            detail TEXT
        );
        CREATE INDEX callbacks_rejected ON callbacks(seq) WHERE status = 'rejected';
        CREATE INDEX callbacks_unmapped ON callbacks(seq) WHERE error = 'unmapped';
        CREATE TABLE unnormalised (
            seq BIGINT PRIMARY KEY
        );
        CREATE TABLE callback_keys (
            key TEXT PRIMARY KEY
        );
        CREATE TABLE events (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            callback_seq BIGINT NOT NULL,
            client TEXT NOT NULL,
            aggregator TEXT NOT NULL,
            awb TEXT,
            status_code TEXT NOT NULL,
            status_text TEXT,
            event_time BIGINT,
            role TEXT NOT NULL,
            outcome TEXT NOT NULL,
            notification_type TEXT,
            direction TEXT,
            notification_id TEXT
        );
        CREATE INDEX events_awb ON events(awb);
        CREATE INDEX events_callback ON events(callback_seq);
        CREATE TABLE notifications (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            client TEXT NOT NULL,
            awb TEXT,
            shipment TEXT NOT NULL,
            type TEXT NOT NULL,
            direction TEXT NOT NULL,
            dedup_key TEXT NOT NULL,
            event_time BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            callback_seq BIGINT,
            payload BYTEA NOT NULL
        );
        CREATE INDEX notifications_awb ON notifications(awb);
        CREATE INDEX notifications_shipment ON notifications(shipment);
        CREATE TABLE deliveries (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            notification_seq BIGINT NOT NULL,
            notification_id TEXT NOT NULL,
            client TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            ordering_key TEXT NOT NULL,
            event_time BIGINT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at BIGINT NOT NULL,
            lease_owner TEXT,
            lease_until BIGINT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            last_error TEXT,
            failure_class TEXT,
            dead_at BIGINT,
            trigger TEXT NOT NULL DEFAULT 'scheduled'
        );
        CREATE INDEX deliveries_due ON deliveries(next_attempt_at, seq) WHERE state = 'pending';
        CREATE INDEX deliveries_retrying ON deliveries(seq) WHERE state = 'pending' AND attempts > 0;
        CREATE INDEX deliveries_dead ON deliveries(dead_at) WHERE state = 'dead';
        CREATE INDEX deliveries_leased ON deliveries(lease_until) WHERE state = 'in_flight';
        CREATE INDEX deliveries_notification ON deliveries(notification_seq);
        CREATE INDEX deliveries_chain ON deliveries(endpoint, ordering_key, event_time, seq)
            WHERE state IN ('pending', 'in_flight');
        CREATE TABLE attempts (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            delivery_seq BIGINT NOT NULL,
            number INTEGER NOT NULL,
            started_at BIGINT NOT NULL,
            duration_ms BIGINT NOT NULL,
            status_code INTEGER,
            failure_class TEXT,
            response_excerpt BYTEA,
            error TEXT,
            trigger TEXT NOT NULL DEFAULT 'scheduled'
        );
        CREATE INDEX attempts_delivery ON attempts(delivery_seq);
        CREATE INDEX attempts_started ON attempts(started_at);
        CREATE TABLE endpoints (
            id TEXT PRIMARY KEY,
            disabled BOOLEAN NOT NULL DEFAULT FALSE,
            disabled_at BIGINT,
            reason TEXT
        );
        CREATE TABLE shipment_states (
            client TEXT NOT NULL,
            shipment TEXT NOT NULL,
            leg TEXT NOT NULL,
            newest_relayed BIGINT,
            terminal TEXT,
            rto_raised BOOLEAN NOT NULL DEFAULT FALSE,
            notification_keys TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (client, shipment, leg)
        );
        CREATE TABLE shipment_registry (
            client TEXT NOT NULL,
            awb TEXT NOT NULL,
            data TEXT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (client, awb)
        );
        CREATE TABLE message_keys (
            key TEXT PRIMARY KEY,
            notification_id TEXT NOT NULL
        );
        """),
        (2, """
        ALTER TABLE notifications ADD COLUMN awaiting_order BOOLEAN NOT NULL DEFAULT FALSE;
        ALTER TABLE deliveries ADD COLUMN held_at BIGINT;
        CREATE INDEX notifications_awaiting_order ON notifications(client, shipment) WHERE awaiting_order;
        CREATE INDEX deliveries_awaiting_order ON deliveries(ordering_key, endpoint) WHERE state = 'awaiting_order';
        CREATE INDEX deliveries_held_at ON deliveries(held_at) WHERE state = 'awaiting_order';
        """),
        // The audit log (admin actions).
        (3, """
        CREATE TABLE audit_log (
            seq BIGSERIAL PRIMARY KEY,
            at BIGINT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL,
            via TEXT NOT NULL
        );
        """),
        // Shipment-state versions: a normalisation commit writes only over the version it read (optimistic
        // concurrency; 0 stands for "no row", so existing rows start at 1). 4 is taken by another branch.
        (5, """
        ALTER TABLE shipment_states ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
        """),
    ]

    /// Applies every migration not yet applied, under the migration lock.
    static func migrate(_ connection: PGConnection, schema: String?) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(?)", [.integer(lockKey(migrationLock, schema: schema))])
        if let schema { try await connection.query("CREATE SCHEMA IF NOT EXISTS \"\(schema)\"") }
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)
            """)
        let applied = Set(try await connection.query("SELECT version FROM schema_migrations") { $0.int(0) })
        for migration in migrations where !applied.contains(Int64(migration.version)) {
            // Several statements in one simple query: split on the statement terminator.
            for statement in migration.sql.split(separator: ";") {
                let sql = statement.trimmingCharacters(in: .whitespacesAndNewlines)
                if !sql.isEmpty { try await connection.query(sql) }
            }
            try await connection.query(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, extract(epoch from now())::bigint)",
                [.integer(Int64(migration.version))])
        }
    }
}
