extension PostgresMigrations {
    /// 9: `deliveries_notification` leaves out deliveries in flight. A lease is an update that PostgreSQL cannot make
    /// HOT (it changes `state`), so it added an entry to every index whose condition the leased row meets, this one
    /// included; now a delivery has an entry here when queued and when finished, not also while in flight. The two
    /// readers by notification (the trace's deliveries, retention's "no delivery left") look for the in-flight ones
    /// by `state = 'in_flight'`, which `deliveries_leased` holds (a few per endpoint, its in-flight cap).
    static let v0009 = Migration(version: 9, sql: """
        DROP INDEX deliveries_notification;
        CREATE INDEX deliveries_notification ON deliveries(notification_seq) WHERE state <> 'in_flight';
        """)
}
