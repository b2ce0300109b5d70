extension SQLiteMigrations {
    /// 10: shipment-state versions. A normalisation commit writes a state only over the version its snapshot read
    /// (optimistic concurrency; 0 stands for "no row", so existing rows start at 1).
    static let v0010 = Migration(version: 10, sql: """
        ALTER TABLE shipment_states ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        """)
}
