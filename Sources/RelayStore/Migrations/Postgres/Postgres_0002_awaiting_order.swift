extension PostgresMigrations {
    /// 2: notifications waiting for an order code and their held deliveries (issue #13).
    static let v0002 = Migration(version: 2, sql: """
        ALTER TABLE notifications ADD COLUMN awaiting_order BOOLEAN NOT NULL DEFAULT FALSE;
        ALTER TABLE deliveries ADD COLUMN held_at BIGINT;
        CREATE INDEX notifications_awaiting_order ON notifications(client, shipment) WHERE awaiting_order;
        CREATE INDEX deliveries_awaiting_order ON deliveries(ordering_key, endpoint) WHERE state = 'awaiting_order';
        CREATE INDEX deliveries_held_at ON deliveries(held_at) WHERE state = 'awaiting_order';
        """)
}
