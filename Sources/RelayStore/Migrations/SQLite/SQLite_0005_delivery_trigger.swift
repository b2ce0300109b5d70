extension SQLiteMigrations {
    /// 5: scheduled or manual (replayed) deliveries.
    static let v0005 = Migration(version: 5, sql: """
        ALTER TABLE deliveries ADD COLUMN trigger TEXT NOT NULL DEFAULT 'scheduled';
        """)
}
