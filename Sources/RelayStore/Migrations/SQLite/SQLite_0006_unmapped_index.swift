extension SQLiteMigrations {
    /// 6: finds unmapped callbacks for quarantine.
    static let v0006 = Migration(version: 6, sql: """
        CREATE INDEX callbacks_unmapped ON callbacks(seq) WHERE error = 'unmapped';
        """)
}
