import Foundation

/// Versioned schema of the PostgreSQL store. Migrations run in one transaction under an advisory lock, so several
/// instances starting at once apply each migration exactly once (the others wait, then find it applied).
enum PostgresSchema {
    /// Advisory lock keys (arbitrary constants of this product).
    static let migrationLock: Int64 = 0x5245_4C41_0001
    static let normalisationLock: Int64 = 0x5245_4C41_0002

    /// A lock key of its own per schema: stores on other schemas of one database never wait for each other.
    static func lockKey(_ base: Int64, schema: String?) -> Int64 {
        var key = UInt64(bitPattern: base)
        for byte in (schema ?? "").utf8 { key = (key ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return Int64(bitPattern: key)
    }

    /// Settings of every connection of the store (startup parameters). The relay's statements are key probes and
    /// ordered index range reads; with sequential scans and hash or merge joins ruled out, the generic plan PostgreSQL
    /// caches for a prepared statement is an index plan whatever the tables' sizes when it was made, so it cannot go
    /// stale as they grow. (A table without a usable index is still scanned: "off" only prices the plan shape out,
    /// by a cost so high that it would set off JIT compilation, tens of milliseconds at every run of an ops count:
    /// JIT is off too. Nothing the relay runs is long enough to gain from it.) Before, a generic plan of the lease
    /// made while `deliveries` was small kept a sequential scan as the table grew; planning every run instead cost
    /// a third of PostgreSQL's CPU (docs/BENCHMARKS.md, issue #14).
    ///
    /// Generic plans are forced, not merely allowed: the plan `PostgresPlanTests` checks is then the plan that runs.
    /// Left to choose (`auto`), PostgreSQL kept planning the one-statement claim at every run (0.5 ms of planning
    /// per claim): its estimates for the bound endpoint limits favoured a custom plan, the same index plan. No
    /// statement of the relay compares a bound value with a partial index's condition (those are literals), so a
    /// generic plan loses no index a custom one could use.
    static let sessionSettings: [(String, String)] = [
        ("plan_cache_mode", "force_generic_plan"),
        ("enable_seqscan", "off"),
        ("enable_hashjoin", "off"),
        ("enable_mergejoin", "off"),
        ("jit", "off"),
    ]

    static let migrations: [Migration] = [
        PostgresMigrations.v0001,
        PostgresMigrations.v0002,
        PostgresMigrations.v0003,
        PostgresMigrations.v0004,
        PostgresMigrations.v0005,
        PostgresMigrations.v0006,
        PostgresMigrations.v0007,
        PostgresMigrations.v0008,
        PostgresMigrations.v0009,
        PostgresMigrations.v0010,
        PostgresMigrations.v0011,
        PostgresMigrations.v0012,
        PostgresMigrations.v0013,
        PostgresMigrations.v0014,
        PostgresMigrations.v0015,
    ]

    /// Applies every migration not yet applied, under the migration lock.
    static func migrate(_ connection: PGConnection, schema: String?) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(?)", [.integer(lockKey(migrationLock, schema: schema))])
        if let schema { try await connection.query("CREATE SCHEMA IF NOT EXISTS \"\(schema)\"") }
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)
            """)
        let applied = Set(try await connection.query("SELECT version FROM schema_migrations") { $0.int(0) })
        for migration in migrations where !applied.contains(Int64(migration.version)) {
            // Several statements in one simple query: split on the statement terminator.
            for statement in migration.sql.split(separator: ";") {
                let sql = statement.trimmingCharacters(in: .whitespacesAndNewlines)
                if !sql.isEmpty { try await connection.query(sql) }
            }
            try await connection.query(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, extract(epoch from now())::bigint)",
                [.integer(Int64(migration.version))])
        }
    }
}
