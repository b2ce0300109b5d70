extension SQLiteMigrations {
    /// 3: idempotency keys of OMS messages.
    static let v0003 = Migration(version: 3, sql: """
        CREATE TABLE message_keys (
            key TEXT PRIMARY KEY,
            notification_id TEXT NOT NULL
        ) WITHOUT ROWID;
        """)
}
