import Foundation
import Logging
import RelayStore
import Synchronization
import Testing

/// The group-committing writer's failure rules, on a real SQLite file.
@Suite("SQLite writer")
struct SQLiteWriterTests {
    struct Planned: Error {}

    static func withWriter(
        onRollback: (@Sendable (SQLiteConnection) -> Void)? = nil,
        _ body: (SQLiteWriter, SQLiteConnection) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-writer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("writer.sqlite").path
        let setup = try SQLiteConnection(path: path)
        try setup.execute("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER NOT NULL)")
        let writer = SQLiteWriter(connection: try SQLiteConnection(path: path), groupCommit: true, maxBatch: 64,
                                  logger: Logger(label: "test"))
        writer.onRollback = onRollback
        writer.start()
        try await body(writer, setup)
        writer.stop()
    }

    static func values(_ connection: SQLiteConnection) throws -> [Int64] {
        try connection.query("SELECT v FROM t ORDER BY v") { $0.int(0) }
    }

    @Test("an isolated job that throws after writing leaves nothing behind, even alone in its batch")
    func isolatedFailureUndoesItsWrites() async throws {
        try await Self.withWriter { writer, reader in
            await #expect(throws: Planned.self) {
                try await writer.perform { connection in
                    try connection.run("INSERT INTO t (v) VALUES (1)")
                    throw Planned()
                }
            }
            _ = try await writer.perform { connection in try connection.run("INSERT INTO t (v) VALUES (2)") }
            #expect(try Self.values(reader) == [2])
        }
    }

    @Test("a job without a savepoint that throws after writing rolls its whole batch back and says so")
    func unisolatedFailureRollsBackTheBatch() async throws {
        let rollbacks = Mutex(0)
        try await Self.withWriter(onRollback: { _ in rollbacks.withLock { $0 += 1 } }) { writer, reader in
            await #expect(throws: Planned.self) {
                try await writer.perform(isolated: false) { connection in
                    try connection.run("INSERT INTO t (v) VALUES (1)")
                    throw Planned()
                }
            }
            #expect(try Self.values(reader) == [])
            #expect(rollbacks.withLock { $0 } == 1)
            // Concurrent jobs: every one either committed or failed, and no failing job's write is visible.
            let outcomes = try await withThrowingTaskGroup(of: (Int64, Bool).self) { group in
                for value in Int64(10)..<Int64(60) {
                    group.addTask {
                        do {
                            try await writer.perform(isolated: false) { connection in
                                try connection.run("INSERT INTO t (v) VALUES (?)", [.integer(value)])
                                if value == 30 { throw Planned() }
                            }
                            return (value, true)
                        } catch {
                            return (value, false)
                        }
                    }
                }
                var outcomes: [(Int64, Bool)] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            let committed = Set(outcomes.filter(\.1).map(\.0))
            #expect(!committed.contains(30))
            #expect(Set(try Self.values(reader)) == committed)
        }
    }
}
