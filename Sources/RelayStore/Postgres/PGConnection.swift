import Logging
import NIOCore
import PostgresNIO

/// One connection inside a store operation (a transaction or a single read).
struct PGConnection {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs a statement and returns its rows: as a named prepared statement once its text repeats
    /// (`PGStatementCache`), else unnamed.
    @discardableResult
    func query(_ sql: String, _ values: [SQLValue] = []) async throws -> [PGRow] {
        let query = PostgresSQL.query(sql, values)
        let hasNull = values.contains { if case .null = $0 { true } else { false } }
        if let slot = PGStatementCache.shared.slot(for: query.sql, hasNull: hasNull) {
            return try await PGStatementCache.run(slot: slot, query, on: connection, logger: logger).map(PGRow.init)
        }
        return try await connection.query(query, logger: logger).collect().map(PGRow.init)
    }

    /// Runs a statement and maps its rows.
    func query<T>(_ sql: String, _ values: [SQLValue] = [], _ map: (PGRow) throws -> T) async throws -> [T] {
        try await query(sql, values).map(map)
    }

    /// Runs a statement ending in `RETURNING …` and counts the rows it touched.
    func count(_ sql: String, _ values: [SQLValue] = []) async throws -> Int {
        try await query(sql, values).count
    }

    /// Runs a statement and returns the rows it changed (from the command tag: no `RETURNING` needed).
    @discardableResult
    func execute(_ sql: String, _ values: [SQLValue] = []) async throws -> Int {
        let result: EventLoopFuture<PostgresQueryResult> = connection.query(PostgresSQL.query(sql, values), logger: logger)
        return try await result.get().metadata.rows ?? 0
    }
}
