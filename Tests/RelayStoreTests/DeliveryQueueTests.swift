import Foundation
import RelayCore
import RelayStore
import Synchronization
import Testing

/// The delivery queue's read → choose → lease → complete cycle, the same tests on each backend.
@Suite("Delivery queue (SQLite and PostgreSQL)")
struct DeliveryQueueTests {
    static func later(_ seconds: Int64) -> EventTime {
        EventTime(epochMilliseconds: WallClock.now().epochMilliseconds + seconds * 1000)
    }

    @Test("a claimed or leased delivery carries its callback's receive time, not its notification's creation time",
          arguments: StoreBackend.available)
    func receiveTime(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            // given a callback received five minutes before it is normalised
            let (fresh, parsed) = StoreTests.callback(awb: "RT1")
            let received = EventTime(epochMilliseconds: WallClock.now().epochMilliseconds - 300_000)
            let inbound = InboundCallback(client: fresh.client, aggregator: fresh.aggregator, receivedAt: received,
                                          contentType: fresh.contentType, headers: fresh.headers, body: fresh.body)
            let outcome = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
            let stored = StoredCallback(seq: outcome.seq, id: outcome.callbackId, client: "acme", aggregator: .clickpost,
                                        receivedAt: received, contentType: "application/json", body: inbound.body)
            _ = try await store.normalise([NormalisationInput(callback: stored, parsed: parsed)], using: StoreTests.normalise)
            // then both ways of leasing report the time it was received
            let due = try await store.dueDeliveries(now: Self.later(1), limit: 1, excluding: [])
            let leased = try await store.lease(due, owner: "one", until: Self.later(60), now: Self.later(1))
            let claimed = try await StoreDeliveryTests.claimAll(store)
            #expect(leased.count == 1 && claimed.count >= 1)
            #expect((leased + claimed).allSatisfy { $0.receivedAt == received }, "\((leased + claimed).map(\.receivedAt))")
        }
    }

    @Test("lease takes only what is still due: a second lease of the same deliveries gets none; it fills in payload, attempts and receive time",
          arguments: StoreBackend.available)
    func leaseOnce(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            for index in 0..<3 { try await StoreDeliveryTests.deliver(store, awb: "L\(index)") }
            let due = try await store.dueDeliveries(now: Self.later(1), limit: 100, excluding: [])
            #expect(due.count >= 3)  // one per callback and matching endpoint
            #expect(due.allSatisfy { $0.payload.isEmpty && $0.receivedAt == nil })
            let first = try await store.lease(due, owner: "one", until: Self.later(60), now: Self.later(1))
            #expect(first.count == due.count)
            #expect(first.allSatisfy { !$0.payload.isEmpty && $0.receivedAt != nil && $0.attempts == 0 })
            // Another process read the same candidates a moment earlier: it gets nothing.
            let second = try await store.lease(due, owner: "two", until: Self.later(60), now: Self.later(1))
            #expect(second.isEmpty)
            #expect(try await store.dueDeliveries(now: Self.later(1), limit: 100, excluding: []).isEmpty)
            // An expired lease is due again and can be taken over, with the attempts it has.
            let takeover = try await store.dueDeliveries(now: Self.later(61), limit: 100, excluding: [])
            #expect(Set(takeover.map(\.seq)) == Set(due.map(\.seq)))
            let taken = try await store.lease(takeover, owner: "two", until: Self.later(120), now: Self.later(61))
            #expect(taken.count == due.count)
            // Excluded endpoints are not read at all.
            try await StoreDeliveryTests.deliver(store, awb: "L9")
            let fresh = try await store.dueDeliveries(now: Self.later(1), limit: 100, excluding: [])
            #expect(!fresh.isEmpty)
            let kept = try await store.dueDeliveries(now: Self.later(1), limit: 100,
                                                     excluding: [fresh[0].endpointId])
            #expect(kept.count == fresh.count - 1 && !kept.contains { $0.endpointId == fresh[0].endpointId })
        }
    }

    @Test("per endpoint: only the endpoints asked for are read, each up to its limit; others only when asked",
          arguments: StoreBackend.available)
    func perEndpoint(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            for index in 0..<4 { try await StoreDeliveryTests.deliver(store, awb: "P\(index)") }
            let all = try await store.dueDeliveries(now: Self.later(1), limit: 100, excluding: [])
            let endpoints = Set(all.map(\.endpointId)).sorted()
            #expect(endpoints.count >= 2)
            let first = endpoints[0]
            let one = try await store.dueDeliveries(now: Self.later(1), limits: [first: 2], otherLimit: 0, excluding: [])
            #expect(one.count == 2 && one.allSatisfy { $0.endpointId == first })
            #expect(one.map(\.seq) == all.filter { $0.endpointId == first }.prefix(2).map(\.seq))
            let others = try await store.dueDeliveries(now: Self.later(1), limits: [first: 0], otherLimit: 100,
                                                       excluding: [])
            #expect(others.count == all.filter { $0.endpointId != first }.count)
            #expect(!others.contains { $0.endpointId == first })
            let none = try await store.dueDeliveries(now: Self.later(1), limits: [:], otherLimit: 0, excluding: [])
            #expect(none.isEmpty)
        }
    }

    @Test("a shared store reads and leases in one statement: limits per endpoint, one delivery per chain, each taken once by concurrent claims, expired leases taken over within the endpoint's slots; SQLite leaves the choice to the engine",
          arguments: StoreBackend.available)
    func claimInOneStatement(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await StoreDeliveryTests.deliverChains(store, prefix: "K", count: 6)
            let now = Self.later(1)
            func claim(_ owner: String, limits: [String: Int] = [:], at time: EventTime? = nil) async throws
                -> [DueDelivery]?
            {
                try await store.claimDue(now: time ?? now, limits: limits, otherLimit: limits.isEmpty ? 1000 : 0,
                                         excluding: [], owner: owner, until: Self.later(60))
            }
            guard store.isShared else {
                #expect(try await claim("a") == nil)
                return
            }
            let heads = try await store.dueDeliveries(now: now, limit: 1000, excluding: [])
            #expect(heads.count >= 6 && Set(heads.map(\.chain)).count == heads.count)
            let first = try #require(Set(heads.map(\.endpointId)).sorted().first)
            let limited = try #require(try await claim("a", limits: [first: 2]))
            #expect(limited.count == 2 && limited.allSatisfy { $0.endpointId == first })
            #expect(limited.allSatisfy { !$0.payload.isEmpty && $0.receivedAt != nil && $0.attempts == 0 })
            // Two processes claiming at the same moment: every head is taken, none twice.
            async let one = claim("b")
            async let two = claim("c")
            let taken = try await limited + (one ?? []) + (two ?? [])
            #expect(taken.count == heads.count && Set(taken.map(\.seq)) == Set(heads.map(\.seq)))
            // The second notifications wait while their chains' first ones are in flight …
            #expect(try await claim("d")?.isEmpty == true)
            try await store.complete(taken.map {
                Completion(seq: $0.seq, attempt: StoreDeliveryTests.ok, outcome: .delivered, now: WallClock.now(),
                           expectedAttempts: $0.attempts)
            })
            // … and are due once those are delivered.
            let seconds = try await store.dueDeliveries(now: now, limit: 1000, excluding: [])
            #expect(seconds.count >= 6 && Set(seconds.map(\.seq)).isDisjoint(with: taken.map(\.seq)))
            let next = try #require(try await claim("d"))
            #expect(Set(next.map(\.seq)) == Set(seconds.map(\.seq)))
            // Expired leases are taken over, with the attempts they have, within the endpoint's free slots.
            let busy = try #require(next.first?.endpointId)
            let single = try #require(try await claim("f", limits: [busy: 1], at: Self.later(61)))
            #expect(single.count == 1 && single.allSatisfy { $0.endpointId == busy && $0.attempts == 0 })
            let takeover = try #require(try await claim("e", at: Self.later(61)))
            #expect(Set((single + takeover).map(\.seq)) == Set(next.map(\.seq)))
        }
    }

    @Test("a finished delivery hands its chain on: delivered or dead, the commit leases the chain's next delivery to the hand-off's owner; a retry, no hand-off or a stale repeat hands nothing; SQLite hands nothing",
          arguments: StoreBackend.available)
    func handOff(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await StoreDeliveryTests.deliverChains(store, prefix: "H", count: 4)
            let heads = try await StoreDeliveryTests.claimAll(store, owner: "first")
            let byAwb = Dictionary(grouping: heads) { $0.orderingKey }
            let chains = try (0..<4).map { index in
                try #require(byAwb.first { $0.key.hasSuffix("H\(index)") }?.value.first)
            }
            let handOff = HandOff(owner: "second", until: Self.later(60))
            func complete(_ delivery: DueDelivery, _ outcome: DeliveryOutcome, _ handOff: HandOff?) async throws
                -> [DueDelivery]
            {
                let attempt = outcome == .delivered ? StoreDeliveryTests.ok : StoreDeliveryTests.failed
                return try await store.complete([Completion(
                    seq: delivery.seq, attempt: attempt, outcome: outcome, now: WallClock.now(),
                    expectedAttempts: delivery.attempts, handOff: handOff)])
            }
            let delivered = try await complete(chains[0], .delivered, handOff)
            let dead = try await complete(chains[1], .dead(.http4xx), handOff)
            let retried = try await complete(chains[2], .retry(at: Self.later(30), .http5xx), handOff)
            let plain = try await complete(chains[3], .delivered, nil)
            let repeated = try await complete(chains[0], .delivered, handOff)
            #expect(retried.isEmpty && plain.isEmpty && repeated.isEmpty)
            guard store.isShared else {
                #expect(delivered.isEmpty && dead.isEmpty)
                return
            }
            // The next of each finished chain, leased with what a claim fills in.
            for (handed, head) in [(delivered, chains[0]), (dead, chains[1])] {
                let next = try #require(handed.first)
                #expect(handed.count == 1 && next.chain == head.chain && next.seq != head.seq)
                #expect(!next.payload.isEmpty && next.receivedAt != nil && next.attempts == 0)
            }
            // Leased: no claim takes them again; the chain completed without a hand-off is claimed as before, and
            // the retried one waits.
            let claimed = try #require(try await store.claimDue(
                now: Self.later(1), limits: [:], otherLimit: 1000, excluding: [], owner: "third",
                until: Self.later(60)))
            let handedSeqs = Set((delivered + dead).map(\.seq))
            #expect(!claimed.contains { handedSeqs.contains($0.seq) })
            #expect(claimed.contains { $0.chain == chains[3].chain })
            #expect(!claimed.contains { $0.chain == chains[2].chain })
            let states = Dictionary(uniqueKeysWithValues: try await store.deliveries(notificationId: nil, limit: 100)
                .map { ($0.seq, $0) })
            for seq in handedSeqs { #expect(states[seq]?.state == DeliveryState.inFlight.rawValue) }
        }
    }

    @Test("one batch of completions: delivered, retry and dead commit with their attempts; a stale repeat changes nothing",
          arguments: StoreBackend.available)
    func batchCompletion(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            for index in 0..<3 { try await StoreDeliveryTests.deliver(store, awb: "B\(index)") }
            let all = try await StoreDeliveryTests.claimAll(store)
            #expect(all.count >= 3)
            let leased = Array(all.prefix(3))
            let now = WallClock.now()
            let retryAt = Self.later(30)
            let outcomes: [DeliveryOutcome] = [.delivered, .retry(at: retryAt, .http5xx), .dead(.http4xx)]
            let attempts = [StoreDeliveryTests.ok, StoreDeliveryTests.failed, StoreDeliveryTests.failed]
            let batch = leased.indices.map {
                Completion(seq: leased[$0].seq, attempt: attempts[$0], outcome: outcomes[$0], now: now,
                           expectedAttempts: leased[$0].attempts)
            }
            try await store.complete(batch)
            // The same batch again (a commit that timed out but landed): nothing changes.
            try await store.complete(batch)
            let states = Dictionary(uniqueKeysWithValues: try await store.deliveries(notificationId: nil, limit: 100)
                .map { ($0.seq, $0) })
            #expect(states[leased[0].seq]?.state == DeliveryState.delivered.rawValue)
            #expect(states[leased[1].seq]?.state == DeliveryState.pending.rawValue)
            #expect(states[leased[1].seq]?.nextAttemptAt == retryAt)
            #expect(states[leased[1].seq]?.failureClass == FailureClass.http5xx.rawValue)
            #expect(states[leased[2].seq]?.state == DeliveryState.dead.rawValue)
            for delivery in leased {
                #expect(states[delivery.seq]?.attempts == 1)
                #expect(try await store.attempts(delivery: delivery.seq).map(\.number) == [1])
            }
            // The others are still leased: untouched.
            for delivery in all.dropFirst(3) { #expect(states[delivery.seq]?.state == DeliveryState.inFlight.rawValue) }
            #expect(try await store.deadLetters(DeadLetterFilter()).map(\.seq) == [leased[2].seq])
        }
    }

    @Test("completions keep what is missing missing: no status code, no expected count, no attempt at all",
          arguments: StoreBackend.available)
    func completionNulls(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            for index in 0..<2 { try await StoreDeliveryTests.deliver(store, awb: "N\(index)") }
            let leased = Array(try await StoreDeliveryTests.claimAll(store).prefix(2))
            #expect(leased.count == 2)
            let now = WallClock.now()
            let refused = AttemptRecord(startedAt: now, durationMilliseconds: 1, statusCode: nil,
                                        failureClass: .connect, responseExcerpt: [], error: "connection refused")
            try await store.complete([
                Completion(seq: leased[0].seq, attempt: refused, outcome: .retry(at: Self.later(5), .connect),
                           now: now, expectedAttempts: leased[0].attempts),
                Completion(seq: leased[1].seq, attempt: nil, outcome: .dead(.endpointRemoved), now: now),
            ])
            let first = try await store.attempts(delivery: leased[0].seq)
            #expect(first.count == 1)
            #expect(first.first?.statusCode == nil)
            #expect(first.first?.failureClass == FailureClass.connect.rawValue)
            #expect(first.first?.responseExcerpt == [])
            #expect(try await store.attempts(delivery: leased[1].seq).isEmpty)
            let states = Dictionary(uniqueKeysWithValues: try await store.deliveries(notificationId: nil, limit: 100)
                .map { ($0.seq, $0) })
            #expect(states[leased[0].seq]?.state == DeliveryState.pending.rawValue)
            #expect(states[leased[0].seq]?.attempts == 1)
            #expect(states[leased[1].seq]?.state == DeliveryState.dead.rawValue)
            #expect(states[leased[1].seq]?.attempts == 0)
            #expect(states[leased[1].seq]?.failureClass == FailureClass.endpointRemoved.rawValue)
        }
    }
}

/// The queue announces its own changes: a write that makes deliveries due wakes the delivery loop without the caller
/// remembering to.
@Suite("Delivery announcements (SQLite and PostgreSQL)")
struct DeliveryAnnouncementTests {
    final class Count: Sendable {
        let value = Atomic<Int>(0)
    }

    static func waitFor(_ count: Count, above: Int) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if count.value.load(ordering: .relaxed) > above { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    @Test("replaying a dead letter and enabling an endpoint announce deliveries", arguments: StoreBackend.available)
    func replayAnnounces(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let count = Count()
            store.onDeliveriesChanged { count.value.add(1, ordering: .relaxed) }
            try await StoreDeliveryTests.deliver(store, awb: "A1")
            let leased = try await StoreDeliveryTests.claimAll(store)
            try await store.complete(delivery: leased[0].seq, attempt: StoreDeliveryTests.failed,
                                     outcome: .dead(.http5xx), now: WallClock.now())
            try await Task.sleep(for: .milliseconds(100))
            let before = count.value.load(ordering: .relaxed)
            #expect(try await store.replay(deadLetter: leased[0].seq, now: WallClock.now()))
            #expect(await Self.waitFor(count, above: before))
            let afterReplay = count.value.load(ordering: .relaxed)
            try await store.setEndpoint(leased[0].endpointId, disabled: false, reason: nil, now: WallClock.now())
            #expect(await Self.waitFor(count, above: afterReplay))
        }
    }
}
