import Foundation
import RelayCore
import RelayStore
import Testing

/// The delivery queue's read → choose → lease → complete cycle, the same tests on each backend.
@Suite("Delivery queue (SQLite and PostgreSQL)")
struct DeliveryQueueTests {
    static func later(_ seconds: Int64) -> EventTime {
        EventTime(epochMilliseconds: WallClock.now().epochMilliseconds + seconds * 1000)
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
            #expect(try await store.retryingDeliveries().map(\.seq) == [leased[1].seq])
            // The others are still leased: untouched.
            for delivery in all.dropFirst(3) { #expect(states[delivery.seq]?.state == DeliveryState.inFlight.rawValue) }
            #expect(try await store.deadLetters(DeadLetterFilter()).map(\.seq) == [leased[2].seq])
        }
    }
}
