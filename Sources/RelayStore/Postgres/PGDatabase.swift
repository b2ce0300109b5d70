import Logging
import NIOCore
import PostgresNIO

/// The SQL seam over PostgreSQL: reads on a pooled connection, writes in a transaction; every operation fails
/// after the store's operation timeout rather than hold its caller while the database is down.
struct PGDatabase: SQLDatabase {
    let client: PostgresClient
    let logger: Logger
    /// How long one operation may wait (for a connection, or for PostgreSQL to answer).
    let operationTimeout: Duration
    /// The advisory lock normalisation holds (`excludeNormalisation`).
    let normalisationLockKey: Int64

    var dialect: SQLDialect { .postgres }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        let lockKey = normalisationLockKey
        return try await withConnection { connection in
            try await body(PGSession(connection: connection, normalisationLockKey: lockKey))
        }
    }

    func hotRead<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await read(body)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        let lockKey = normalisationLockKey
        return try await transaction { connection in
            try await body(PGSession(connection: connection, normalisationLockKey: lockKey))
        }
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> Int {
        try await transaction { connection in try await connection.execute(sql, binds) }
    }

    /// Runs `body` in one transaction on a pooled connection, failing after `timeout` (default: the operation
    /// timeout). When `body` throws and the rollback goes through, its own error comes out, as on SQLite.
    func transaction<T: Sendable>(timeout: Duration? = nil,
                                  _ body: @escaping @Sendable (PGConnection) async throws -> T) async throws -> T
    {
        let client = self.client
        let logger = self.logger
        return try await Self.withDeadline(timeout ?? operationTimeout) {
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    try await body(PGConnection(connection: connection, logger: logger))
                }
            } catch let error as PostgresTransactionError {
                if let bodyError = error.closureError, error.rollbackError == nil { throw bodyError }
                throw error
            }
        }
    }

    /// Runs `body` on a pooled connection outside a transaction (each statement commits by itself), failing after
    /// `timeout` (default: the operation timeout).
    func withConnection<T: Sendable>(timeout: Duration? = nil,
                                     _ body: @escaping @Sendable (PGConnection) async throws -> T) async throws -> T
    {
        let client = self.client
        let logger = self.logger
        return try await Self.withDeadline(timeout ?? operationTimeout) {
            try await client.withConnection { connection in
                try await body(PGConnection(connection: connection, logger: logger))
            }
        }
    }

    /// Runs `operation`, failing with `unavailable` after `timeout`. The caller never waits longer, even when the
    /// operation ignores cancellation (a connection request during an outage); the operation is cancelled and its
    /// late result dropped. (A late commit is harmless: the caller answered 503 and the aggregator's retry is a
    /// duplicate.)
    static func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T)
        async throws -> T
    {
        let outcome = DeadlineOutcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.start(continuation)
                let work = Task {
                    do { outcome.finish(.success(try await operation())) } catch { outcome.finish(.failure(error)) }
                }
                // On the shared deadline wheel, not a timer of its own: no event-loop wake-up to arm or withdraw it.
                let wheel = DeadlineWheel.shared
                let token = wheel.schedule(at: .now() + TimeAmount(timeout)) {
                    if outcome.finish(.failure(PostgresStoreError.unavailable("PostgreSQL did not answer within \(timeout)"))) {
                        work.cancel()
                    }
                }
                outcome.onFinish { wheel.cancel(token) }
            }
        } onCancel: {
            outcome.finish(.failure(CancellationError()))
        }
    }
}

/// The statements of one PostgreSQL read or transaction.
struct PGSession: SQLSession {
    let connection: PGConnection
    let normalisationLockKey: Int64

    var dialect: SQLDialect { .postgres }

    func query<T: Sendable>(_ sql: String, _ binds: [SQLValue], _ map: @escaping @Sendable (any SQLRow) throws -> T)
        async throws -> [T]
    {
        try await connection.query(sql, binds) { try map($0) }
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> Int {
        try await connection.execute(sql, binds)
    }

    func announceDeliveries() async throws {
        try await PostgresDeliveries.notify(connection)
    }

    func excludeNormalisation() async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(?)", [.integer(normalisationLockKey)])
    }
}
