import Foundation
import Logging
import RelayCore
@testable import RelayStore
import Testing

/// The store implementations the suite runs against: SQLite always, PostgreSQL when `RELAY_TEST_POSTGRES_URL` is
/// set (the README's test command starts a throwaway server and sets it).
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static var postgresURL: String? { ProcessInfo.processInfo.environment["RELAY_TEST_POSTGRES_URL"] }

    static var available: [StoreBackend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }

    static var logger: Logger {
        var logger = Logger(label: "store-test")
        logger.logLevel = .warning
        return logger
    }

    /// A fresh, empty store of this kind, closed (and removed) after `body`.
    func withStore(_ body: (any RelayStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-store-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("relay.sqlite").path),
                                        logger: Self.logger)
            do { try await body(store) } catch {
                await store.close()
                throw error
            }
            await store.close()
        case .postgres:
            try await Self.withPostgresSchema { schema in
                let store = try await Self.openPostgres(schema: schema)
                do { try await body(store) } catch {
                    await store.close()
                    throw error
                }
                await store.close()
            }
        }
    }

    /// `count` stores on one fresh database: on PostgreSQL each is an instance of its own; SQLite has one store per
    /// file, so there every entry is the same store (its batches still run at once).
    func withStores(_ count: Int, _ body: ([any RelayStore]) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            try await withStore { store in try await body(Array(repeating: store, count: count)) }
        case .postgres:
            try await Self.withPostgresSchema { schema in
                var stores: [PostgresStore] = []
                do {
                    for _ in 0..<count { stores.append(try await Self.openPostgres(schema: schema)) }
                    try await body(stores)
                } catch {
                    for store in stores { await store.close() }
                    throw error
                }
                for store in stores { await store.close() }
            }
        }
    }

    /// Runs a statement on a store of this kind behind its back (to plant data the store would never write).
    func execute(_ sql: String, on store: any RelayStore) async throws {
        if let sqlite = store as? SQLiteStore {
            _ = try await sqlite.writer.perform { try $0.run(sql) }
        } else if let postgres = store as? PostgresStore {
            try await postgres.transaction { try await $0.query(sql) }
        }
    }

    /// A schema of its own in the test database, dropped afterwards; stores opened on it see only their tables.
    static func withPostgresSchema(_ body: (String) async throws -> Void) async throws {
        let url = try #require(postgresURL)
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        var failure: (any Error)?
        do { try await body(schema) } catch { failure = error }
        // Dropped through a store opened on the default schema.
        if let admin = try? await PostgresStore.open(url: url, maxConnections: 4, logger: logger) {
            _ = try? await admin.transaction { try await $0.query("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
            await admin.close()
        }
        if let failure { throw failure }
    }

    static func openPostgres(schema: String, operationTimeout: Duration = .seconds(30)) async throws -> PostgresStore {
        // Few connections each: the suites open many stores at once on one test server. Generous timeouts, callback
        // commits included: on a loaded CI machine a commit of the shared test server took over 3 s (the
        // production default), and these tests are about what is stored, not about answering 503.
        try await PostgresStore.open(url: try #require(postgresURL), schema: schema, maxConnections: 6,
                                     operationTimeout: operationTimeout, ingestTimeout: operationTimeout,
                                     logger: logger)
    }
}
