import Foundation
import Logging
import RelayCore
import RelayDelivery
@testable import RelayStore
import Synchronization
import Testing

/// The normalisation stage: snapshot → pure normalise → commit, and what happens when another writer comes between
/// the snapshot and the commit (the same tests on each backend).
@Suite("Normalisation stage: snapshot, commit, conflicts (SQLite and PostgreSQL)")
struct NormalisationStageTests {
    /// Ingests a Clickpost callback; returns it as the normaliser gets it.
    static func ingest(_ store: any RelayStore, awb: String, code: Int, time: String) async throws -> NormalisationInput {
        let (inbound, parsed) = StoreTests.callback(awb: awb, code: code, time: time)
        let outcome = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
        let stored = StoredCallback(seq: outcome.seq, id: outcome.callbackId, client: "acme", aggregator: .clickpost,
                                    receivedAt: inbound.receivedAt, contentType: "application/json", body: inbound.body)
        return NormalisationInput(callback: stored, parsed: parsed)
    }

    /// Normalises `inputs` against a snapshot of `store` without committing (what one instance has in hand).
    static func prepare(_ store: any RelayStore, _ inputs: [NormalisationInput]) async throws
        -> (results: [CommittedNormalisation], reads: NormalisationSnapshot)
    {
        let requests = inputs.map(StoreTests.normalise)
        var snapshot = NormalisationSnapshot()
        while true {
            switch Normaliser().normalise(batch: requests, snapshot: snapshot) {
            case .needs(let keys):
                snapshot.merge(try await store.snapshot(for: keys))
            case .complete(let results, let reads):
                let committed = zip(inputs, results).map {
                    CommittedNormalisation(callback: $0.callback, requeued: $0.requeued, result: $1)
                }
                return (committed, reads)
            }
        }
    }

    static func key(_ awb: String) -> ShipmentKey { ShipmentKey(client: "acme", shipment: awb, leg: .forward) }

    @Test("a snapshot answers every key asked, with versions; an absent state is version 0", arguments: StoreBackend.available)
    func snapshotVersions(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let input = try await Self.ingest(store, awb: "V1", code: 6, time: "2024-03-08T01:00:00Z")
            let keys = NormalisationKeys(states: [Self.key("V1"), Self.key("V0")],
                                         registrations: [ShipmentRegistrationKey(client: "acme", awb: "V1")])
            let before = try await store.snapshot(for: keys)
            #expect(before.states[Self.key("V1")] == .absent)
            #expect(before.keys == keys)
            _ = try await store.normalise([input], using: StoreTests.normalise)
            let after = try await store.snapshot(for: keys)
            #expect(after.states[Self.key("V1")]?.version == 1)
            #expect(after.states[Self.key("V1")]?.state?.newestRelayed != nil)
            #expect(after.states[Self.key("V0")] == .absent)
            let registration = ShipmentRegistrationKey(client: "acme", awb: "V1")
            #expect(after.registrations.keys.contains(registration))
            #expect(after.registrations[registration].flatMap { $0 } == nil)
        }
    }

    @Test("a state changed between snapshot and commit: the commit writes nothing, the retry loses no update",
          arguments: StoreBackend.available)
    func stateChangedBetweenSnapshotAndCommit(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            // given: two callbacks of one shipment, each normalised against the same (empty) state, as two
            // instances would
            let early = try await Self.ingest(store, awb: "C1", code: 5, time: "2024-03-08T01:00:00Z")
            let late = try await Self.ingest(store, awb: "C1", code: 6, time: "2024-03-08T02:00:00Z")
            let first = try await Self.prepare(store, [early])
            let second = try await Self.prepare(store, [late])
            // when: the first commits, then the second
            guard case .committed(let summary) = try await store.commit(first.results, reads: first.reads) else {
                Issue.record("the first commit conflicted")
                return
            }
            #expect(summary.notifications == 1)
            let outcome = try await store.commit(second.results, reads: second.reads)
            // then: the second conflicts on the shipment's state and wrote nothing
            guard case .conflict(let conflict) = outcome else {
                Issue.record("the second commit overwrote a state it had not read")
                return
            }
            #expect(conflict.changedStates == [Self.key("C1")])
            #expect(conflict.alreadyNormalised.isEmpty)
            #expect(try await store.counts().notifications == 1)
            #expect(try await store.counts().unnormalised == 1)
            // and the loop (read again, normalise again) commits it on top of the first
            let retried = try await store.normalise([late], using: StoreTests.normalise)
            #expect(retried.notifications == 1)
            let notifications = try await store.notifications(client: "acme", awb: "C1")
            #expect(notifications.map(\.type) == ["IN_TRANSIT", "OUT_FOR_DELIVERY"])
            // the state remembers both notifications: the first one's update was not lost
            let state = try #require(try await store.snapshot(for: NormalisationKeys(states: [Self.key("C1")]))
                .states[Self.key("C1")])
            #expect(state.version == 2)
            #expect(state.state?.notificationKeys.count == 2)
        }
    }

    @Test("a callback with nothing to normalise (client gone, body no longer parses) leaves the queue marked, in quarantine",
          arguments: StoreBackend.available)
    func nothingToNormaliseIsQuarantined(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let input = try await Self.ingest(store, awb: "GONE1", code: 8, time: "2024-03-08T01:00:00Z")
            let kept = try await Self.ingest(store, awb: "KEPT1", code: 8, time: "2024-03-08T01:00:00Z")
            let summary = try await NormalisationLoop(store: store).run([input, kept]) { item in
                item.callback.seq == input.callback.seq ? nil : StoreTests.normalise(item)
            }
            #expect(summary.callbacks == 2)
            #expect(try await store.counts().unnormalised == 0)
            #expect(try await store.notifications(client: "acme", awb: "KEPT1").count == 1)
            let quarantined = try await store.quarantined(client: nil, before: nil, limit: 10)
            #expect(quarantined.map(\.id) == [input.callback.id])
            #expect(quarantined.first?.error == "unmapped")
            #expect(quarantined.first?.detail.contains("not normalised") == true)
            // Found by id, so ops can normalise it again once the configuration is fixed.
            #expect(try await store.quarantinedCallback(id: input.callback.id)?.rejected == false)
        }
    }

    @Test("a callback normalised by another instance meanwhile is not normalised twice", arguments: StoreBackend.available)
    func alreadyNormalisedElsewhere(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let input = try await Self.ingest(store, awb: "D1", code: 8, time: "2024-03-08T01:00:00Z")
            let other = try await Self.ingest(store, awb: "D2", code: 8, time: "2024-03-08T01:00:00Z")
            let mine = try await Self.prepare(store, [input, other])
            let theirs = try await Self.prepare(store, [input])
            guard case .committed = try await store.commit(theirs.results, reads: theirs.reads) else {
                Issue.record("the other instance's commit conflicted")
                return
            }
            guard case .conflict(let conflict) = try await store.commit(mine.results, reads: mine.reads) else {
                Issue.record("a callback was normalised twice")
                return
            }
            #expect(conflict.alreadyNormalised == [input.callback.seq])
            // the loop drops it and commits the rest
            let summary = try await store.normalise([input, other], using: StoreTests.normalise)
            #expect(summary.alreadyDone == 1)
            #expect(summary.callbacks == 1)
            #expect(try await store.notifications(client: "acme", awb: "D1").count == 1)
            #expect(try await store.notifications(client: "acme", awb: "D2").count == 1)
            #expect(try await store.counts().unnormalised == 0)
        }
    }

    @Test("a registration changed between snapshot and commit is a conflict", arguments: StoreBackend.available)
    func registrationChanged(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let input = try await Self.ingest(store, awb: "R1", code: 6, time: "2024-03-08T01:00:00Z")
            let prepared = try await Self.prepare(store, [input])
            try await store.register(ShipmentRegistration(awb: "R1", forwardOrderCode: "SO-1"), client: "acme",
                                     now: WallClock.now())
            guard case .conflict(let conflict) = try await store.commit(prepared.results, reads: prepared.reads) else {
                Issue.record("a notification was committed without the registration that arrived meanwhile")
                return
            }
            #expect(conflict.changedRegistrations == [ShipmentRegistrationKey(client: "acme", awb: "R1")])
            _ = try await store.normalise([input], using: StoreTests.normalise)
            let payload = try JSONValue.parse(try #require(try await store.notifications(client: "acme", awb: "R1").first).payload)
            #expect(payload["forwardOrderCode"] == "SO-1")
        }
    }

    @Test("batches of one shipment's callbacks normalised at once (two instances on PostgreSQL): every update kept",
          arguments: StoreBackend.available)
    func concurrentBatches(_ backend: StoreBackend) async throws {
        // Eight statuses of distinct, non-terminal types at one time: each is relayed whatever the order.
        let codes = [25, 3, 4, 5, 18, 20, 1004, 6]
        let awbs = (0..<4).map { "P\($0)" }
        try await backend.withStores(2) { stores in
            var inputs: [NormalisationInput] = []
            for code in codes {
                for awb in awbs {
                    inputs.append(try await Self.ingest(stores[0], awb: awb, code: code, time: "2024-03-08T01:00:00Z"))
                }
            }
            // Each instance takes every other callback, one callback per batch, at the same time.
            let halves = [inputs.enumerated().filter { $0.offset % 2 == 0 }.map(\.element),
                          inputs.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (store, half) in zip(stores, halves) {
                    group.addTask {
                        for input in half { _ = try await store.normalise([input], using: StoreTests.normalise) }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await stores[0].counts().unnormalised == 0)
            let keys = NormalisationKeys(states: Set(awbs.map(Self.key)))
            let snapshot = try await stores[1].snapshot(for: keys)
            for awb in awbs {
                let notifications = try await stores[0].notifications(client: "acme", awb: awb)
                #expect(notifications.count == codes.count, "\(awb)")
                #expect(Set(notifications.map(\.type)).count == codes.count, "\(awb)")
                #expect(snapshot.states[Self.key(awb)]?.state?.notificationKeys.count == codes.count, "\(awb)")
            }
        }
    }

    @Test("a registration that cannot be read fails the batch: nothing is normalised against missing state",
          arguments: StoreBackend.available)
    func unreadableRegistration(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let input = try await Self.ingest(store, awb: "E1", code: 6, time: "2024-03-08T01:00:00Z")
            try await store.register(ShipmentRegistration(awb: "E1", forwardOrderCode: "SO-1"), client: "acme",
                                     now: WallClock.now())
            try await backend.execute("UPDATE shipment_registry SET data = 'not json'", on: store)
            await #expect(throws: (any Error).self) {
                _ = try await store.normalise([input], using: StoreTests.normalise)
            }
            #expect(try await store.counts().unnormalised == 1)
            #expect(try await store.counts().notifications == 0)
        }
    }

    @Test("the queue's takeNow hands over what waits, up to the limit, without waiting")
    func queueTakeNow() async throws {
        try await StoreBackend.sqlite.withStore { store in
            let queue = NormalisationQueue()
            #expect(queue.takeNow(limit: 16).isEmpty)  // empty: returns at once
            var inputs: [NormalisationInput] = []
            for index in 0..<3 {
                inputs.append(try await Self.ingest(store, awb: "Q\(index)", code: 6, time: "2024-03-08T01:00:00Z"))
            }
            for input in inputs { queue.submit(input) }
            let first = queue.takeNow(limit: 2)
            #expect(first.map(\.callback.seq) == inputs.prefix(2).map(\.callback.seq))
            #expect(!queue.isQueued(inputs[0].callback.seq))
            #expect(queue.isQueued(inputs[2].callback.seq))
            let rest = try #require(await queue.next(limit: 16))
            #expect(rest.items.map(\.callback.seq) == [inputs[2].callback.seq])
            #expect(!rest.overflowed)
        }
    }

    @Test("the service logs a batch whose snapshot fails and leaves its callbacks for the retry",
          arguments: StoreBackend.available)
    func serviceReadError(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let input = try await Self.ingest(store, awb: "F1", code: 6, time: "2024-03-08T01:00:00Z")
            let lines = LogLines()
            let logger = Logger(label: "normalisation-test") { _ in lines }
            let configuration = RelayConfiguration(clients: [StoreTests.client])
            let failing = FailingSnapshots(base: store)
            let service = NormalisationService(store: store, normalisationStore: failing, queue: NormalisationQueue(),
                                               live: LiveConfiguration(configuration), logger: logger)
            await service.normalise([input])
            #expect(service.failedBatchCount == 1)
            #expect(lines.messages.contains { $0.level == .error && $0.message.contains("normalisation batch failed") })
            #expect(try await store.counts().unnormalised == 1)
            #expect(try await store.counts().notifications == 0)
            // the retry (the next sweep) normalises it once the store answers
            failing.fails.store(false, ordering: .relaxed)
            try await service.catchUp()
            #expect(try await store.counts().unnormalised == 0)
            #expect(try await store.counts().notifications == 1)
        }
    }

    @Test("a callback whose notification PostgreSQL refuses (NUL in its text) is found by splitting its batch and left in quarantine; the rest are normalised",
          arguments: StoreBackend.available.filter { $0 == .postgres })
    func refusedDataIsIsolated(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            var inputs: [NormalisationInput] = []
            for index in 0..<5 {
                inputs.append(try await Self.ingest(store, awb: "ISO\(index)", code: 6, time: "2024-03-08T01:00:00Z"))
            }
            // What the parser now refuses at the route, handed over as if parsed (a callback stored before the
            // parser refused NUL, or a cause nobody foresaw): PostgreSQL text cannot hold NUL.
            var poisoned = try #require(inputs[2].parsed)
            poisoned.events[0].awb = "ISO2\u{0}"
            inputs[2] = NormalisationInput(callback: inputs[2].callback, parsed: poisoned)
            let lines = LogLines()
            let logger = Logger(label: "normalisation-test") { _ in lines }
            let service = NormalisationService(store: store, queue: NormalisationQueue(),
                                               live: LiveConfiguration(RelayConfiguration(clients: [StoreTests.client])),
                                               logger: logger)
            await service.normalise(inputs)
            #expect(service.failedBatchCount == 0)
            #expect(try await store.counts().unnormalised == 0)
            for index in [0, 1, 3, 4] {
                #expect(try await store.notifications(client: "acme", awb: "ISO\(index)").count == 1, "ISO\(index)")
            }
            let quarantined = try await store.quarantined(client: nil, before: nil, limit: 10)
            #expect(quarantined.map(\.id) == [inputs[2].callback.id])
            #expect(quarantined.first?.detail.contains("the store refused") == true)
            #expect(lines.messages.contains { $0.level == .error && $0.message.contains("the store refused") })
        }
    }

    @Test("the service resolves a conflict with another instance without losing or doubling a notification",
          arguments: StoreBackend.available)
    func serviceConflict(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let mine = try await Self.ingest(store, awb: "G1", code: 6, time: "2024-03-08T02:00:00Z")
            let theirs = try await Self.ingest(store, awb: "G1", code: 5, time: "2024-03-08T01:00:00Z")
            // Another instance commits `theirs` between this instance's snapshot and its commit.
            let interfering = Interfering(base: store) {
                _ = try await store.normalise([theirs], using: StoreTests.normalise)
            }
            let configuration = RelayConfiguration(clients: [StoreTests.client])
            var logger = Logger(label: "normalisation-test")
            logger.logLevel = .warning
            let service = NormalisationService(store: store, normalisationStore: interfering,
                                               queue: NormalisationQueue(), live: LiveConfiguration(configuration),
                                               logger: logger)
            await service.normalise([mine])
            #expect(service.failedBatchCount == 0)
            #expect(interfering.commits.load(ordering: .relaxed) == 2)  // a conflict, then the commit
            let notifications = try await store.notifications(client: "acme", awb: "G1")
            #expect(notifications.map(\.type) == ["IN_TRANSIT", "OUT_FOR_DELIVERY"])
            #expect(try await store.counts().unnormalised == 0)
        }
    }
}

/// A normalisation store whose snapshots fail while `fails` is set.
final class FailingSnapshots: NormalisationStore {
    struct ReadFailed: Error {}
    let base: any NormalisationStore
    let fails = Atomic(true)

    init(base: any NormalisationStore) { self.base = base }

    func snapshot(for keys: NormalisationKeys) async throws -> NormalisationSnapshot {
        if fails.load(ordering: .relaxed) { throw ReadFailed() }
        return try await base.snapshot(for: keys)
    }

    func commit(_ results: [CommittedNormalisation], reads: NormalisationSnapshot, leases: FreshLeases?) async throws
        -> NormalisationCommit
    {
        try await base.commit(results, reads: reads, leases: leases)
    }
}

/// A normalisation store that runs `interfere` (another instance's work) before its first commit.
final class Interfering: NormalisationStore {
    let base: any NormalisationStore
    let interfere: @Sendable () async throws -> Void
    let commits = Atomic(0)

    init(base: any NormalisationStore, interfere: @escaping @Sendable () async throws -> Void) {
        self.base = base
        self.interfere = interfere
    }

    func snapshot(for keys: NormalisationKeys) async throws -> NormalisationSnapshot {
        try await base.snapshot(for: keys)
    }

    func commit(_ results: [CommittedNormalisation], reads: NormalisationSnapshot, leases: FreshLeases?) async throws
        -> NormalisationCommit
    {
        if commits.add(1, ordering: .relaxed).oldValue == 0 { try await interfere() }
        return try await base.commit(results, reads: reads, leases: leases)
    }
}

/// Log lines kept for a test to look at.
final class LogLines: LogHandler, @unchecked Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String)]>([])
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    var messages: [(level: Logger.Level, message: String)] { lines.withLock { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLock { $0.append((event.level, "\(event.message)")) }
    }
}
