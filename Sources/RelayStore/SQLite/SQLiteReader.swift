import Foundation
import Synchronization

/// Read-only queries on connections of their own, so they never wait behind the writer (WAL readers see the last
/// committed state).
///
/// Two ways in: `read` runs on the reader's queue (for listings and scans that may take a while), `readNow` runs on
/// the calling thread on a second connection (for the few small indexed reads of the hot path: a normalisation
/// snapshot, what is due). `readNow` saves two thread hand-offs per read, which on the hot path cost more CPU than
/// the reads themselves (a profile of ingest: `finish_task_switch` up, `sqlite3VdbeExec` down).
final class SQLiteReader: @unchecked Sendable {
    private let connection: SQLiteConnection
    private let queue = DispatchQueue(label: "relay-sqlite-reader")
    /// Used by one caller at a time, under its lock, for one statement at a time: never held across an `await`.
    private let hot: Mutex<SQLiteConnection>

    init(path: String) throws {
        connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA query_only = ON")
        let hotConnection = try SQLiteConnection(path: path)
        try hotConnection.execute("PRAGMA query_only = ON")
        // It blocks a thread of the task pool while it waits: a WAL reader is busy only for moments (recovery of
        // the WAL index), so 1 s, not the 10 s the other connections wait.
        try hotConnection.execute("PRAGMA busy_timeout = 1000")
        hot = Mutex(hotConnection)
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [connection] in
                continuation.resume(with: Result { try body(connection) })
            }
        }
    }

    /// Runs `body` now, on the calling thread: for small indexed reads only (WAL readers do not wait for the
    /// writer, so this blocks no longer than the read itself).
    ///
    /// - Parameter snapshot: run the body's statements in one read transaction, so that they all see one moment
    ///   (and the page cache, which a reader drops whenever its transaction begins after a commit of the writer,
    ///   is dropped once, not at each statement). Without it each statement reads on its own. Either way the
    ///   callers check what they read where it matters: a normalisation commit compares the versions it rests on;
    ///   a lease takes only what is still due.
    func readNow<T>(snapshot: Bool = false, _ body: (SQLiteConnection) throws -> T) throws -> T {
        try hot.withLock { connection in
            guard snapshot else { return try body(connection) }
            try connection.execute("BEGIN")
            defer { Self.end(connection) }
            return try body(connection)
        }
    }

    /// Ends a read transaction. It has nothing to lose, but one left open would pin the WAL (no checkpoint could
    /// pass it) and freeze what this connection sees: if it cannot be ended, the process stops rather than serve
    /// stale reads.
    private static func end(_ connection: SQLiteConnection) {
        if (try? connection.execute("COMMIT")) == nil { try? connection.execute("ROLLBACK") }
        precondition(connection.isAutocommit, "a read transaction on the SQLite reader could not be ended")
    }
}
