extension SQLiteMigrations {
    /// 9: the audit log of admin actions.
    static let v0009 = Migration(version: 9, sql: """
        CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL,
            via TEXT NOT NULL
        );
        """)
}
