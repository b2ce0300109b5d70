import Foundation

/// Read-only queries on their own connection and thread, so they never wait behind the writer (WAL readers see the
/// last committed state).
final class SQLiteReader: @unchecked Sendable {
    private let connection: SQLiteConnection
    private let queue = DispatchQueue(label: "relay-sqlite-reader")

    init(path: String) throws {
        connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA query_only = ON")
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [connection] in
                continuation.resume(with: Result { try body(connection) })
            }
        }
    }
}
