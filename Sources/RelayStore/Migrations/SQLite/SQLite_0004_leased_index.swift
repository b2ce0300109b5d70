extension SQLiteMigrations {
    /// 4: finds expired leases.
    static let v0004 = Migration(version: 4, sql: """
        CREATE INDEX deliveries_leased ON deliveries(lease_until) WHERE state = 'in_flight';
        """)
}
