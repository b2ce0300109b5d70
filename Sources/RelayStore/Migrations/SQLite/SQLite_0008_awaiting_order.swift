extension SQLiteMigrations {
    /// 8: notifications waiting for an order code and their held deliveries (issue #13).
    static let v0008 = Migration(version: 8, sql: """
        ALTER TABLE notifications ADD COLUMN awaiting_order INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE deliveries ADD COLUMN held_at INTEGER;
        CREATE INDEX notifications_awaiting_order ON notifications(client, shipment) WHERE awaiting_order = 1;
        CREATE INDEX deliveries_awaiting_order ON deliveries(ordering_key, endpoint) WHERE state = 'awaiting_order';
        CREATE INDEX deliveries_held_at ON deliveries(held_at) WHERE state = 'awaiting_order';
        """)
}
