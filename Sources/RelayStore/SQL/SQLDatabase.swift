/// The one SQL seam of the store: the stage stores written once (`DeadLetterStore+SQL.swift`, …) run their statements
/// through it, and an adapter per backend carries them out (`SQLiteDatabase`, `PGDatabase`).
///
/// Statements use `?` placeholders in both backends. A body must not call back into the store: on SQLite a write
/// body holds the single writer until it returns.
protocol SQLDatabase: Sendable {
    /// What the SQL of this backend must spell differently.
    var dialect: SQLDialect { get }

    /// Runs `body` with a session that reads committed state (each statement on its own).
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T

    /// Like `read`, for the few small indexed reads of the hot path (what is due): SQLite runs them on the calling
    /// thread, sparing two thread hand-offs per read; PostgreSQL as `read`.
    func hotRead<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T

    /// Runs `body` in one transaction and returns once it is durable; when `body` throws, none of its writes stay.
    /// On SQLite the transaction is a savepoint of the writer's next group commit.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T

    /// Runs one writing statement in a transaction of its own; returns the rows it changed.
    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> Int
}

/// The statements of one `read` or `write`.
protocol SQLSession: Sendable {
    var dialect: SQLDialect { get }

    /// Runs a statement and maps each row it returns (`… RETURNING` included).
    func query<T: Sendable>(_ sql: String, _ binds: [SQLValue], _ map: @escaping @Sendable (any SQLRow) throws -> T)
        async throws -> [T]

    /// Runs a statement and returns the rows it changed.
    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> Int

    /// Tells every relay process sharing the store that deliveries may have become due, once the transaction
    /// commits (PostgreSQL `NOTIFY`; nothing on SQLite, whose one process signals its own loop).
    func announceDeliveries() async throws

    /// Waits until no normalisation runs, for the rest of the transaction: a registration or an expiry then sees
    /// every held delivery a normalisation added (PostgreSQL advisory lock; SQLite's single writer already does).
    func excludeNormalisation() async throws
}

extension SQLSession {
    func query<T: Sendable>(_ sql: String, _ map: @escaping @Sendable (any SQLRow) throws -> T) async throws -> [T] {
        try await query(sql, [], map)
    }
}

/// A store whose stage methods are written once over the SQL seam: conforming to a stage protocol and to this
/// gives the stage's methods (`extension DeadLetterStore where Self: SQLBackedStore`).
public protocol SQLBackedStore: Sendable {
    /// The store's seam.
    var seam: SQLSeam { get }
}

/// The SQL seam of a store, opaque outside `RelayStore`.
public struct SQLSeam: Sendable {
    let database: any SQLDatabase
}
