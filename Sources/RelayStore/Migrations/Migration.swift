/// One versioned schema change: applied once, in version order, inside the migrating transaction. The SQL of an
/// applied version never changes (databases that ran it must migrate unchanged); a change is a new version.
struct Migration: Sendable {
    let version: Int
    let sql: String
}

/// The SQLite migrations, one per file in `Migrations/SQLite/` (`SQLite_0001_initial.swift` …); `SQLiteSchema`
/// lists them in order.
enum SQLiteMigrations {}

/// The PostgreSQL migrations, one per file in `Migrations/Postgres/`; `PostgresSchema` lists them in order.
enum PostgresMigrations {}
