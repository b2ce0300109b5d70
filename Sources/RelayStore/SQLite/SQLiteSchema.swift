/// Versioned schema of the SQLite store. Each migration runs once, in order, inside a transaction.
enum SQLiteSchema {
    static let migrations: [Migration] = [
        SQLiteMigrations.v0001,
        SQLiteMigrations.v0002,
        SQLiteMigrations.v0003,
        SQLiteMigrations.v0004,
        SQLiteMigrations.v0005,
        SQLiteMigrations.v0006,
        SQLiteMigrations.v0007,
        SQLiteMigrations.v0008,
        SQLiteMigrations.v0009,
        SQLiteMigrations.v0010,
        SQLiteMigrations.v0011,
        SQLiteMigrations.v0012,
        SQLiteMigrations.v0013,
        SQLiteMigrations.v0014,
        SQLiteMigrations.v0015,
    ]

    /// Applies the pragmas and every migration not yet applied.
    static func migrate(_ connection: SQLiteConnection) throws {
        try connection.execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA temp_store = MEMORY;
            PRAGMA cache_size = -65536;
            PRAGMA wal_autocheckpoint = 8000;
            CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
            """)
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let applied = Set(try connection.query("SELECT version FROM schema_migrations") { $0.int(0) })
            for migration in migrations where !applied.contains(Int64(migration.version)) {
                try connection.execute(migration.sql)
                try connection.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))",
                                   [.integer(Int64(migration.version))])
            }
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
