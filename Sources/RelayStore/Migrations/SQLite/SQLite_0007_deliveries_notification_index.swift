extension SQLiteMigrations {
    /// 7: deliveries by notification.
    static let v0007 = Migration(version: 7, sql: """
        CREATE INDEX deliveries_notification ON deliveries(notification_seq);
        """)
}
