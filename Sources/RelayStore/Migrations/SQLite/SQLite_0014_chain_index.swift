extension SQLiteMigrations {
    /// 14: a delivery is due only when no earlier delivery of its chain (endpoint, shipment) is pending or in flight,
    /// checked in SQL as on PostgreSQL (`chainHead`). Without it, a due read could fill with later statuses waiting
    /// behind their retrying first ones and never reach those first ones: the endpoint stalled for good. The index
    /// holds only the deliveries that can block a chain.
    static let v0014 = Migration(version: 14, sql: """
        CREATE INDEX deliveries_chain ON deliveries(endpoint, ordering_key, event_time, seq)
            WHERE state IN ('pending', 'in_flight');
        """)
}
