import Foundation
import RelayCore
import PostgresNIO
@testable import RelayStore
import Testing

/// The audit log on both stores, and the PostgreSQL TLS policy toward remote hosts (issue #12, points 8 and 9).
@Suite("Audit log and PostgreSQL TLS policy")
struct AuditStoreTests {
    @Test("audit entries are stored durably, listed newest first with a seq cursor", arguments: StoreBackend.available)
    func auditLog(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            #expect(try await store.auditLog(before: nil, limit: 10).isEmpty)
            for index in 0..<5 {
                try await store.recordAudit(AuditEntry(
                    at: EventTime(epochMilliseconds: 1_700_000_000_000 + Int64(index)), actor: "alice",
                    action: index.isMultiple(of: 2) ? "replay" : "discard", target: "dlv_\(index)",
                    detail: "detail \(index)", via: index < 3 ? "api" : "ops"))
            }
            let first = try await store.auditLog(before: nil, limit: 3)
            #expect(first.map(\.target) == ["dlv_4", "dlv_3", "dlv_2"])
            #expect(first[0].actor == "alice" && first[0].action == "replay" && first[0].via == "ops")
            #expect(first[0].at.epochMilliseconds == 1_700_000_000_004 && first[0].detail == "detail 4")
            let second = try await store.auditLog(before: first.last?.seq, limit: 3)
            #expect(second.map(\.target) == ["dlv_1", "dlv_0"])
        }
    }

    @Test("PostgreSQL URL: remote hosts default to and are upgraded to sslmode=require; disable is warned about")
    func sslmodePolicy() throws {
        let remote = try PostgresURL.resolve("postgres://relay:pw@db.example.internal:5432/relay")
        #expect(remote.effectiveMode == "require" && remote.warning == nil)
        for mode in ["prefer", "allow"] {
            let upgraded = try PostgresURL.resolve("postgres://relay:pw@10.0.0.5/relay?sslmode=\(mode)")
            #expect(upgraded.effectiveMode == "require")
            #expect(upgraded.warning?.contains("treated as require") == true)
        }
        let plain = try PostgresURL.resolve("postgres://relay:pw@db.example.internal/relay?sslmode=disable")
        #expect(plain.effectiveMode == "disable")
        #expect(plain.warning?.contains("NOT encrypted") == true)
        for host in ["127.0.0.1", "localhost", "[::1]"] {
            let local = try PostgresURL.resolve("postgres://postgres@\(host):5432/postgres")
            #expect(local.effectiveMode == "prefer" && local.warning == nil, "\(host)")
        }
        #expect(throws: PostgresStoreError.self) { try PostgresURL.resolve("postgres://h/relay?sslmode=bogus") }
    }

    @Test("PostgreSQL URL: a host parameter naming a directory connects through the server's Unix-domain socket")
    func unixSocket() throws {
        let socket = try PostgresURL.resolve("postgres://relay@/relaydb?host=/var/run/postgresql&port=5433")
        #expect(socket.configuration.unixSocketPath == "/var/run/postgresql/.s.PGSQL.5433")
        #expect(socket.configuration.database == "relaydb" && socket.configuration.username == "relay")
        #expect(socket.effectiveMode == "disable" && socket.warning == nil)
        let defaultPort = try PostgresURL.resolve("postgres://relay@/relaydb?host=/run/pg/")
        #expect(defaultPort.configuration.unixSocketPath == "/run/pg/.s.PGSQL.5432")
        #expect(throws: PostgresStoreError.self) { try PostgresURL.resolve("postgres://relay@/db?host=relative/dir") }
        #expect(throws: PostgresStoreError.self) {
            try PostgresURL.resolve("postgres://relay@/db?host=/run/pg&sslmode=require")
        }
        #expect(throws: PostgresStoreError.self) { try PostgresURL.resolve("postgres://relay@/db?host=/run/pg&port=x") }
        #expect(throws: PostgresStoreError.self) { try PostgresURL.resolve("postgres://relay@db.internal/db?host=/run/pg") }
    }
}
