/// The SQL seam over SQLite: reads run on the reader connection's queue; writes borrow the single writer's
/// connection for one job of its next group commit (`SQLiteWriter.lend`), so they stay serialised with ingest and
/// share its fsync.
struct SQLiteDatabase: SQLDatabase {
    let writer: SQLiteWriter
    let reader: SQLiteReader
    /// Told after the commit of a write that made deliveries due (`SQLiteStore.onDeliveriesChanged`).
    let announcer: DeliveryAnnouncer

    var dialect: SQLDialect { .sqlite }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await body(SQLiteSession(mode: .reader(reader)))
    }

    func hotRead<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await body(SQLiteSession(mode: .now(reader)))
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        let announced = AnnouncementFlag()
        let result = try await writer.lend { connection in
            try await body(SQLiteSession(mode: .lent(connection, announced)))
        }
        // Durable now: the delivery loop may read what this write made due.
        if announced.isRaised { announcer.announce() }
        return result
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> Int {
        // One statement needs no lending: it runs on the writer thread like any other job.
        try await writer.perform { connection in try connection.run(sql, binds) }
    }
}

/// The statements of one SQLite read (each on the reader's queue) or write (on the lent writer connection, on the
/// borrowing task, while the writer thread waits).
struct SQLiteSession: SQLSession {
    enum Mode: Sendable {
        case reader(SQLiteReader)
        /// Each statement on the calling thread (`SQLiteReader.readNow`).
        case now(SQLiteReader)
        case lent(SQLiteConnection, AnnouncementFlag)
    }

    let mode: Mode

    var dialect: SQLDialect { .sqlite }

    func query<T: Sendable>(_ sql: String, _ binds: [SQLValue], _ map: @escaping @Sendable (any SQLRow) throws -> T)
        async throws -> [T]
    {
        switch mode {
        case .reader(let reader):
            return try await reader.read { connection in try connection.query(sql, binds) { try map($0) } }
        case .now(let reader):
            return try reader.readNow { connection in try connection.query(sql, binds) { try map($0) } }
        case .lent(let connection, _):
            return try connection.query(sql, binds) { try map($0) }
        }
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> Int {
        switch mode {
        case .reader(let reader): return try await reader.read { connection in try connection.run(sql, binds) }
        case .now(let reader): return try reader.readNow { connection in try connection.run(sql, binds) }
        case .lent(let connection, _): return try connection.run(sql, binds)
        }
    }

    func announceDeliveries() async throws {
        if case .lent(_, let announced) = mode { announced.raise() }
    }

    func excludeNormalisation() async throws {}
}
