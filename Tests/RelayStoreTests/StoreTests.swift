import Foundation
import Logging
import RelayCore
@testable import RelayStore
import Testing

@Suite("Store (SQLite and PostgreSQL)")
struct StoreTests {
    static let client = Client(id: "acme", endpoints: [
        Endpoint(id: "acme/notification", kind: .notification, url: "http://127.0.0.1:1/n"),
        Endpoint(id: "acme/extra/erp", kind: .extra, url: "http://127.0.0.1:1/e", types: [.delivered]),
    ])

    static func withSQLite(groupCommit: Bool = true, _ body: (SQLiteStore, String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("relay.sqlite").path
        let store = try SQLiteStore(configuration: .init(path: path, groupCommit: groupCommit), logger: Logger(label: "test"))
        try await body(store, path)
        await store.close()
    }

    static func callback(awb: String, code: Int = 8, time: String = "2024-03-08T06:12:00Z") -> (InboundCallback, ParsedCallback) {
        let body = Array(#"{"waybill":"\#(awb)","clickpost_status_code":\#(code),"timestamp":"\#(time)","additional":{"order_id":"O-\#(awb)"}}"#.utf8)
        let parsed = try! CallbackParser.parse(aggregator: .clickpost, body: body, contentType: "application/json")
        let inbound = InboundCallback(client: "acme", aggregator: .clickpost, receivedAt: WallClock.now(),
                                      contentType: "application/json", headers: [("user-agent", "test")], body: body)
        return (inbound, parsed)
    }

    /// What the normaliser gets for a stored callback in these tests (the server's service does the same with the
    /// configured client).
    static let normalise: @Sendable (NormalisationInput) -> NormalisationRequest? = { input in
        input.parsed.map { NormalisationRequest(events: $0.events, client: client, receivedAt: input.callback.receivedAt) }
    }

    @Test("an ingested callback is durable and a replay of it is a duplicate", arguments: StoreBackend.available)
    func ingestAndDuplicate(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (inbound, parsed) = Self.callback(awb: "A1")
            let first = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
            let second = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
            #expect(!first.duplicate)
            #expect(second.duplicate)
            #expect(first.callbackId != second.callbackId)
            let counts = try await store.counts()
            #expect(counts.callbacks == 2)
            #expect(counts.duplicates == 1)
            #expect(counts.unnormalised == 1)
        }
    }

    @Test("callbacks arriving together, some repeating stored ones and some each other: each key is accepted once",
          arguments: StoreBackend.available)
    func duplicatesInOneBatch(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            // Stored first: D0…D4. Then at once (so that they share batches): D0…D4 again, N0…N9 twice each.
            for i in 0..<5 {
                let (inbound, parsed) = Self.callback(awb: "D\(i)")
                #expect(try await !store.ingest(inbound, dedupKey: parsed.dedupKey).duplicate)
            }
            let awbs = (0..<5).map { "D\($0)" } + (0..<10).map { "N\($0)" } + (0..<10).map { "N\($0)" }
            let outcomes = try await withThrowingTaskGroup(of: (String, IngestOutcome).self) { group in
                for awb in awbs.shuffled() {
                    group.addTask {
                        let (inbound, parsed) = Self.callback(awb: awb)
                        return (awb, try await store.ingest(inbound, dedupKey: parsed.dedupKey))
                    }
                }
                return try await group.reduce(into: [(String, IngestOutcome)]()) { $0.append($1) }
            }
            let accepted = outcomes.filter { !$0.1.duplicate }.map(\.0)
            #expect(accepted.sorted() == (0..<10).map { "N\($0)" })
            let counts = try await store.counts()
            #expect(counts.callbacks == 30)
            #expect(counts.duplicates == 15)
            #expect(counts.unnormalised == 15)
        }
    }

    @Test("unnormalised callbacks can be asked for by age (a shared store's sweep takes only old ones)",
          arguments: StoreBackend.available)
    func unnormalisedByAge(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            var (old, oldParsed) = Self.callback(awb: "AGE1")
            old.receivedAt = EventTime(epochMilliseconds: WallClock.now().epochMilliseconds - 60_000)
            let oldOutcome = try await store.ingest(old, dedupKey: oldParsed.dedupKey)
            let (recent, recentParsed) = Self.callback(awb: "AGE2")
            let recentOutcome = try await store.ingest(recent, dedupKey: recentParsed.dedupKey)
            let cutoff = EventTime(epochMilliseconds: WallClock.now().epochMilliseconds - 30_000)
            let aged = try await store.unnormalisedCallbacks(afterSeq: 0, receivedBefore: cutoff, limit: 10)
            #expect(aged.map(\.id) == [oldOutcome.callbackId])
            let all = try await store.unnormalisedCallbacks(afterSeq: 0, limit: 10)
            #expect(all.map(\.id) == [oldOutcome.callbackId, recentOutcome.callbackId])
        }
    }

    @Test("normalisation stores events, notifications and one delivery per matching endpoint, exactly once", arguments: StoreBackend.available)
    func normaliseOnce(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (inbound, parsed) = Self.callback(awb: "A2")
            let outcome = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
            let stored = try await store.unnormalisedCallbacks(afterSeq: 0, limit: 10)
            #expect(stored.map(\.id) == [outcome.callbackId])
            let input = NormalisationInput(callback: stored[0], parsed: parsed)
            let summary = try await store.normalise([input], using: Self.normalise)
            #expect(summary.notifications == 1)
            #expect(summary.deliveries == 2)  // DELIVERED → notification URL + the ERP extra endpoint
            // Normalising the same callback again (a crash-recovery overlap) changes nothing.
            let again = try await store.normalise([input], using: Self.normalise)
            #expect(again.alreadyDone == 1)
            let counts = try await store.counts()
            #expect(counts.notifications == 1)
            #expect(counts.deliveries == 2)
            #expect(counts.pendingDeliveries == 2)
            #expect(counts.unnormalised == 0)
            let notifications = try await store.notifications(client: "acme", awb: "A2")
            #expect(notifications.map(\.type) == ["DELIVERED"])
            let payload = try JSONValue.parse(notifications[0].payload)
            #expect(payload["forwardAwb"] == "A2")
        }
    }

    @Test("quarantined bytes are kept exactly", arguments: StoreBackend.available)
    func quarantine(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let bytes: [UInt8] = Array("not json \u{00}\u{FF}".utf8)
            let inbound = InboundCallback(client: "acme", aggregator: .eshipz, receivedAt: WallClock.now(),
                                          contentType: "text/plain", headers: [], body: bytes)
            let id = try await store.quarantine(inbound, error: "body_not_json", detail: "x")
            let kept = try await store.quarantined(client: nil, before: nil, limit: 10)
            #expect(kept.map(\.id) == [id])
            #expect(kept.first?.body == bytes)
            #expect(try await store.counts().quarantined == 1)
        }
    }

    @Test("the quarantine is read newest first, a page at a time, one client's when asked", arguments: StoreBackend.available)
    func quarantinePages(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            var ids: [String] = []
            for (index, client) in ["acme", "beta", "acme", "acme"].enumerated() {
                let inbound = InboundCallback(client: client, aggregator: .eshipz, receivedAt: WallClock.now(),
                                              contentType: "text/plain", headers: [], body: Array("bad \(index)".utf8))
                ids.append(try await store.quarantine(inbound, error: "body_not_json", detail: "x"))
            }
            let first = try await store.quarantined(client: "acme", before: nil, limit: 2)
            #expect(first.map(\.id) == [ids[3], ids[2]])
            let second = try await store.quarantined(client: "acme", before: first.last?.seq, limit: 2)
            #expect(second.map(\.id) == [ids[0]])
            #expect(try await store.quarantined(client: nil, before: nil, limit: 10).map(\.id) == ids.reversed())
            #expect(try await store.quarantined(client: "nobody", before: nil, limit: 10).isEmpty)
        }
    }

    @Test("SQLite group commit: concurrent writes share transactions")
    func groupCommit() async throws {
        try await Self.withSQLite { store, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<400 {
                    group.addTask {
                        let (inbound, parsed) = Self.callback(awb: "G\(index)")
                        _ = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
                    }
                }
                try await group.waitForAll()
            }
            let statistics = store.commitStatistics
            #expect(statistics.writes == 400)
            #expect(statistics.commits < 400)
            #expect(try await store.counts().callbacks == 400)
        }
    }

    @Test("one commit per request when group commit is off")
    func noGroupCommit() async throws {
        try await Self.withSQLite(groupCommit: false) { store, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let (inbound, parsed) = Self.callback(awb: "N\(index)")
                        _ = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
                    }
                }
                try await group.waitForAll()
            }
            #expect(store.commitStatistics.commits == 50)
        }
    }

    @Test("data survives reopening the file")
    func reopen() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("relay.sqlite").path
        let first = try SQLiteStore(configuration: .init(path: path), logger: Logger(label: "test"))
        let (inbound, parsed) = Self.callback(awb: "R1")
        _ = try await first.ingest(inbound, dedupKey: parsed.dedupKey)
        await first.close()
        let second = try SQLiteStore(configuration: .init(path: path), logger: Logger(label: "test"))
        #expect(try await second.counts().callbacks == 1)
        #expect(try await second.ingest(inbound, dedupKey: parsed.dedupKey).duplicate)
        await second.close()
    }
}

@Suite("Store retention (SQLite and PostgreSQL)")
struct RetentionTests {
    @Test("cleanup deletes old callbacks, events, finished deliveries, their attempts and notifications; dead letters stay (with their events)",
          arguments: StoreBackend.available)
    func cleanup(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            // given: two shipments normalised; one delivery delivered, one dead
            for awb in ["OLD1", "OLD2"] {
                let (inbound, parsed) = StoreTests.callback(awb: awb)
                let outcome = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
                let stored = StoredCallback(seq: outcome.seq, id: outcome.callbackId, client: "acme",
                                            aggregator: .clickpost, receivedAt: inbound.receivedAt,
                                            contentType: "application/json", body: inbound.body)
                _ = try await store.normalise([NormalisationInput(callback: stored, parsed: parsed)],
                                              using: StoreTests.normalise)
            }
            let deliveries = try await store.deliveries(notificationId: nil, limit: 100)
            let attempt = AttemptRecord(startedAt: WallClock.now(), durationMilliseconds: 3, statusCode: 200,
                                        failureClass: nil, responseExcerpt: [], error: nil)
            for delivery in deliveries {
                let dead = delivery.notificationId == deliveries.last?.notificationId
                try await store.complete(delivery: delivery.seq, attempt: attempt,
                                         outcome: dead ? .dead(.http5xx) : .delivered, now: WallClock.now())
            }
            // when: everything is older than the cutoff
            let cutoff = EventTime(epochMilliseconds: WallClock.now().epochMilliseconds + 86_400_000)
            var deleted = 0
            while true {
                let batch = try await store.cleanup(olderThan: cutoff, batch: 2)
                if batch == 0 { break }
                deleted += batch
            }
            // then
            let counts = try await store.counts()
            #expect(deleted > 0)
            #expect(counts.callbacks == 0)
            // the event that produced the kept notification stays in its row (migration 13); no `events` row is left
            #expect(counts.events == 1)
            let remaining = try await store.deliveries(notificationId: nil, limit: 100)
            #expect(remaining.map(\.state).allSatisfy { $0 == "dead" })
            #expect(!remaining.isEmpty)
            #expect(try await store.attempts(delivery: remaining[0].seq).count == 1)
            // the delivered ones' attempts went, the dead ones' stayed
            let database = try #require(store as? any SQLBackedStore).seam.database
            let attemptRows = try await database.read { session in
                try await session.query("SELECT count(*) FROM attempts", []) { $0.int(0) }
            }
            #expect(attemptRows == [Int64(remaining.count)])
            #expect(try await database.read { session in
                try await session.query("SELECT count(*) FROM events", []) { $0.int(0) }
            } == [0])
            #expect(counts.notifications == 1)
            #expect(try await store.deadLetters(DeadLetterFilter()).count == remaining.count)
        }
    }
}
