import RelayCore
@testable import RelayStore
import Testing

/// PostgreSQL ingest when another instance accepts a callback's key between the batch's probe and its insert.
@Suite("PostgreSQL ingest: a key taken by a concurrent insert", .enabled(if: StoreBackend.postgresURL != nil))
struct TakenKeyTests {
    @Test("the batch waits for the other insert, then stores the callback as its duplicate")
    func concurrentlyTakenKey() async throws {
        try await StoreBackend.withPostgresSchema { schema in
            let store = try await StoreBackend.openPostgres(schema: schema)
            let (inbound, parsed) = StoreTests.callback(awb: "RACE1")
            let key = DedupKey.make([inbound.client, inbound.aggregator.rawValue, parsed.dedupKey])
            // "Another instance": accepts the key in a transaction that stays open for a while, so the ingest's
            // probe cannot see it and its insert waits on the unique index, then fails, and the batch goes again.
            let (inserted, insertedInput) = AsyncStream.makeStream(of: Void.self)
            let other = Task {
                // Ends the wait below however the insert ends (an error then fails the test, not hangs it).
                defer { insertedInput.finish() }
                try await store.transaction { connection in
                    try await connection.query(
                        """
                        INSERT INTO callbacks (id, client, aggregator, received_at, headers, body, dedup_key, status)
                        VALUES ('cb_other', 'acme', 'clickpost', 0, '[]', '\\x00'::bytea, ?, 'accepted')
                        """, [.text(key)])
                    insertedInput.yield()
                    try await Task.sleep(for: .milliseconds(600))
                }
            }
            // Only once the other insert is in (and not yet committed): otherwise the ingest could take the key
            // first on a slow machine.
            for await _ in inserted { break }
            let outcome = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
            try await other.value
            #expect(outcome.duplicate)
            let counts = try await store.counts()
            #expect(counts.callbacks == 2)
            #expect(counts.duplicates == 1)
            #expect(counts.unnormalised == 0)
            let accepted = try await store.transaction { connection in
                try await connection.query("SELECT id FROM callbacks WHERE dedup_key = ? AND status = 'accepted'",
                                           [.text(key)]) { $0.text(0) }
            }
            #expect(accepted == ["cb_other"])
            await store.close()
        }
    }
}
