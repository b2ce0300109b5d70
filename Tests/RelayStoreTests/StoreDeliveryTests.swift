import Foundation
import RelayCore
@testable import RelayStore
import Testing

/// Delivery, OMS and ops operations, the same tests on each backend.
@Suite("Store deliveries and ops (SQLite and PostgreSQL)")
struct StoreDeliveryTests {
    /// Ingests and normalises a Clickpost callback; returns the callback's outcome.
    @discardableResult
    static func deliver(_ store: any RelayStore, awb: String, code: Int = 8, time: String = "2024-03-08T06:12:00Z")
        async throws -> IngestOutcome
    {
        let (inbound, parsed) = StoreTests.callback(awb: awb, code: code, time: time)
        let outcome = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
        let stored = StoredCallback(seq: outcome.seq, id: outcome.callbackId, client: "acme", aggregator: .clickpost,
                                    receivedAt: inbound.receivedAt, contentType: "application/json", body: inbound.body)
        _ = try await store.normalise([NormalisationInput(callback: stored, parsed: parsed)], using: StoreTests.normalise)
        return outcome
    }

    /// Two events for each of `count` shipments (`prefix<n>`): a shipment's second notification waits for its first.
    static func deliverChains(_ store: any RelayStore, prefix: String, count: Int) async throws {
        for index in 0..<count {
            try await deliver(store, awb: "\(prefix)\(index)", code: 6, time: "2024-03-08T01:00:00Z")
            try await deliver(store, awb: "\(prefix)\(index)", code: 8, time: "2024-03-08T06:12:00Z")
        }
    }

    static func claimAll(_ store: any RelayStore, owner: String = "test", leaseSeconds: Int64 = 60) async throws
        -> [DueDelivery]
    {
        let now = WallClock.now()
        // A shared store claims in one statement, as the delivery engine does.
        if let leased = try await store.claimDue(
            now: EventTime(epochMilliseconds: now.epochMilliseconds + 1), limits: [:], otherLimit: 1000, excluding: [],
            owner: owner, until: EventTime(epochMilliseconds: now.epochMilliseconds + leaseSeconds * 1000))
        {
            return leased
        }
        return try await store.claimDeliveries(
            now: EventTime(epochMilliseconds: now.epochMilliseconds + 1), scan: 1000, owner: owner,
            leaseUntil: EventTime(epochMilliseconds: now.epochMilliseconds + leaseSeconds * 1000), excluding: []
        ) { $0 }
    }

    static let ok = AttemptRecord(startedAt: WallClock.now(), durationMilliseconds: 2, statusCode: 200,
                                  failureClass: nil, responseExcerpt: Array("ok".utf8), error: nil)
    static let failed = AttemptRecord(startedAt: WallClock.now(), durationMilliseconds: 2, statusCode: 500,
                                      failureClass: .http5xx, responseExcerpt: Array("boom".utf8), error: nil)

    @Test("concurrent ingests: each stored once, one of several identical callbacks accepted", arguments: StoreBackend.available)
    func concurrentIngest(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let outcomes = try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
                for index in 0..<300 {
                    group.addTask {
                        // 200 distinct callbacks and 100 more copies of 10 of them
                        let awb = index < 200 ? "C\(index)" : "C\(index % 10)"
                        let (inbound, parsed) = StoreTests.callback(awb: awb)
                        return try await store.ingest(inbound, dedupKey: parsed.dedupKey)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(outcomes.map(\.seq)).count == 300)
            #expect(outcomes.filter { !$0.duplicate }.count == 200)
            let counts = try await store.counts()
            #expect(counts.callbacks == 300)
            #expect(counts.duplicates == 100)
            #expect(counts.unnormalised == 200)
        }
    }

    @Test("a repeated fact in a later batch is deduplicated through the stored shipment state",
          arguments: StoreBackend.available)
    func dedupAcrossBatches(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await Self.deliver(store, awb: "D1", code: 6, time: "2024-03-08T06:12:00Z")
            // the same status again with another timestamp: a new callback, the same fact
            try await Self.deliver(store, awb: "D1", code: 6, time: "2024-03-08T06:12:00+00:00")
            // an older in-transit event after out-for-delivery: stale
            try await Self.deliver(store, awb: "D1", code: 5, time: "2024-03-08T05:00:00Z")
            try await Self.deliver(store, awb: "D1", code: 8, time: "2024-03-08T09:00:00Z")
            let types = try await store.notifications(client: "acme", awb: "D1").map(\.type)
            #expect(types == ["OUT_FOR_DELIVERY", "DELIVERED"])
            let outcomes = try await store.events(client: "acme", awb: "D1").map(\.outcome)
            #expect(outcomes.count == 4)
        }
    }

    @Test("an attempt recorded again with the count it was claimed at changes nothing", arguments: StoreBackend.available)
    func recordingTwice(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await Self.deliver(store, awb: "R1")
            let claimed = try await Self.claimAll(store)
            let first = try #require(claimed.first)
            let retryAt = EventTime(epochMilliseconds: WallClock.now().epochMilliseconds + 3_600_000)
            // given: a failed attempt recorded, then recorded again (the first commit's answer was lost)
            for _ in 0..<2 {
                try await store.complete(delivery: first.seq, attempt: Self.failed, outcome: .retry(at: retryAt, .http5xx),
                                         now: WallClock.now(), expectedAttempts: first.attempts)
            }
            // then: one attempt; a result for a stale count (a taken-over attempt) is not recorded either
            try await store.complete(delivery: first.seq, attempt: Self.ok, outcome: .delivered, now: WallClock.now(),
                                     expectedAttempts: first.attempts)
            #expect(try await store.attempts(delivery: first.seq).map(\.number) == [1])
            let stored = try #require(try await store.deliveries(notificationId: nil, limit: 100).first { $0.seq == first.seq })
            #expect(stored.attempts == 1)
            #expect(stored.state == "pending")
            // without an expected count it is recorded as before
            try await store.complete(delivery: first.seq, attempt: Self.ok, outcome: .delivered, now: WallClock.now())
            #expect(try await store.attempts(delivery: first.seq).map(\.number) == [1, 2])
        }
    }

    @Test("a first attempt that delivers reads back like any other attempt, wherever the store keeps it",
          arguments: StoreBackend.available)
    func firstAttemptKept(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await Self.deliver(store, awb: "F1")
            let claimed = try await Self.claimAll(store)
            #expect(claimed.count == 2)
            let at = WallClock.now()
            // given: one delivered by its first attempt, the other failed once and then delivered
            try await store.complete(delivery: claimed[0].seq, attempt: Self.ok, outcome: .delivered, now: at)
            try await store.complete(delivery: claimed[1].seq, attempt: Self.failed,
                                     outcome: .retry(at: at, .http5xx), now: at)
            try await store.complete(delivery: claimed[1].seq, attempt: Self.ok, outcome: .delivered, now: at)
            // then: every reader sees three attempts
            let once = try await store.attempts(delivery: claimed[0].seq)
            #expect(once.map(\.number) == [1] && once.first?.statusCode == 200)
            #expect(once.first?.responseExcerpt == Self.ok.responseExcerpt && once.first?.failureClass == nil)
            #expect(once.first?.startedAt == Self.ok.startedAt && once.first?.durationMilliseconds == 2)
            #expect(try await store.attempts(delivery: claimed[1].seq).map(\.statusCode) == [500, 200])
            let traced = try await store.trace(client: nil, awb: "F1").filter { $0.kind == "attempt" }
            #expect(traced.map(\.id).sorted() == ["dlv_\(claimed[0].seq)#1", "dlv_\(claimed[1].seq)#1",
                                                   "dlv_\(claimed[1].seq)#2"].sorted(), "\(traced)")
            let stats = try await store.endpointStatistics(since: EventTime(epochMilliseconds: 0))
            #expect(stats.values.map(\.recentAttempts).reduce(0, +) == 3)
            #expect(stats.values.map(\.recentFailures).reduce(0, +) == 1)
            // and PostgreSQL keeps the first-time success in its delivery's row, not in `attempts`
            let database = try #require(store as? any SQLBackedStore).seam.database
            let rows = try await database.read { session in
                try await session.query("SELECT count(*) FROM attempts", []) { $0.int(0) }
            }
            #expect(rows == [backend == .postgres ? 2 : 3])
        }
    }

    @Test("a dead-letter limit is clamped to 1…10,000 where it is set, so a full page is known to be full")
    func deadLetterLimitClamped() {
        #expect(DeadLetterFilter(limit: 20_000).limit == DeadLetterFilter.maxLimit)
        #expect(DeadLetterFilter(limit: 0).limit == 1)
        var filter = DeadLetterFilter()
        filter.limit = 50_000
        #expect(filter.limit == 10_000)
    }

    @Test("claim, retry, dead letter, replay and discard", arguments: StoreBackend.available)
    func deliveryLifecycle(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await Self.deliver(store, awb: "L1")
            let claimed = try await Self.claimAll(store)
            #expect(claimed.count == 2)
            #expect(claimed.allSatisfy { !$0.payload.isEmpty })
            // claimed deliveries are in flight: not claimable again while leased
            #expect(try await Self.claimAll(store).isEmpty)
            let first = claimed[0]
            let second = claimed[1]
            try await store.complete(delivery: first.seq, attempt: Self.ok, outcome: .delivered, now: WallClock.now())
            let retryAt = EventTime(epochMilliseconds: WallClock.now().epochMilliseconds + 3_600_000)
            try await store.complete(delivery: second.seq, attempt: Self.failed, outcome: .retry(at: retryAt, .http5xx),
                                     now: WallClock.now())
            #expect(try await store.nextDueTime() == retryAt)
            #expect(try await Self.claimAll(store).isEmpty)  // not due yet
            try await store.complete(delivery: second.seq, attempt: Self.failed, outcome: .dead(.http5xx),
                                     now: WallClock.now())
            let attempts = try await store.attempts(delivery: second.seq)
            #expect(attempts.map(\.number) == [1, 2])
            #expect(attempts.last?.responseExcerpt == Array("boom".utf8))
            let letters = try await store.deadLetters(DeadLetterFilter(client: "acme"))
            #expect(letters.map(\.seq) == [second.seq])
            #expect(letters.first?.failureClass == "http_5xx")
            #expect(try await store.deadLetter(seq: second.seq)?.awb == "L1")
            let gauges = try await store.deliveryGauges()
            #expect(gauges.dead == 1)
            #expect(gauges.pending == 0)
            // replay: due now, sent with trigger manual
            #expect(try await store.replay(deadLetter: second.seq, now: WallClock.now()))
            #expect(try await !store.replay(deadLetter: second.seq, now: WallClock.now()))
            let again = try await Self.claimAll(store)
            #expect(again.map(\.seq) == [second.seq])
            #expect(again.first?.trigger == "manual")
            try await store.complete(delivery: second.seq, attempt: Self.failed, outcome: .dead(.http5xx),
                                     now: WallClock.now())
            #expect(try await store.discard(deadLetter: second.seq, now: WallClock.now()))
            #expect(try await store.deadLetters(DeadLetterFilter()).isEmpty)
            let trace = try await store.trace(client: "acme", awb: "L1")
            #expect(Set(trace.map(\.kind)) == ["callback", "event", "notification", "delivery", "attempt"])
        }
    }

    @Test("endpoints: disable dead-letters pending deliveries, statistics, recover", arguments: StoreBackend.available)
    func endpoints(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await Self.deliver(store, awb: "E1")
            try await Self.deliver(store, awb: "E2")
            let dead = try await store.disableEndpoint("acme/notification", reason: "410 Gone", now: WallClock.now())
            #expect(dead == 2)
            #expect(try await store.disabledEndpoints() == ["acme/notification"])
            // excluded endpoints are not claimed
            let now = WallClock.now()
            let claimed = try await store.claimDeliveries(
                now: now, scan: 100, owner: "t", leaseUntil: EventTime(epochMilliseconds: now.epochMilliseconds + 60_000),
                excluding: ["acme/notification"]) { $0 }
            #expect(claimed.allSatisfy { $0.endpointId == "acme/extra/erp" })
            let statistics = try await store.endpointStatistics(since: EventTime(epochMilliseconds: 0))
            #expect(statistics["acme/notification"]?.disabled == true)
            #expect(statistics["acme/notification"]?.dead == 2)
            try await store.setEndpoint("acme/notification", disabled: false, reason: nil, now: WallClock.now())
            #expect(try await store.disabledEndpoints().isEmpty)
            let recovered = try await store.recover(endpoint: "acme/notification",
                                                    since: EventTime(epochMilliseconds: 0), now: WallClock.now())
            #expect(recovered == 2)
        }
    }

    @Test("OMS messages are idempotent on their key; registrations enrich and can be removed",
          arguments: StoreBackend.available)
    func omsAndRegistry(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Schemas/examples/order-posting/seed_outward_order_create.json")
            let message = try OMSValidator.orderPosting(try JSONValue.parse(Array(try Data(contentsOf: example))))
            let first = try await store.storeMessage(message, client: "acme", endpointIds: ["acme/order_posting"],
                                                     receivedAt: WallClock.now())
            let second = try await store.storeMessage(message, client: "acme", endpointIds: ["acme/order_posting"],
                                                      receivedAt: WallClock.now())
            #expect(!first.duplicate)
            #expect(second.duplicate)
            #expect(second.notificationId == first.notificationId)
            #expect(try await store.deliveries(notificationId: first.notificationId, limit: 10).count == 1)

            let registration = try #require(ShipmentRegistration(
                json: try JSONValue.parse(#"{"forwardOrderCode":"SO-9"}"#), awb: "R9"))
            try await store.register(registration, client: "acme", now: WallClock.now())
            #expect(try await store.registration(client: "acme", awb: "R9") != nil)
            #expect(try await store.unregister(client: "acme", awb: "R9"))
            #expect(try await !store.unregister(client: "acme", awb: "R9"))
            #expect(try await store.registration(client: "acme", awb: "R9") == nil)
        }
    }

    @Test("a quarantined callback requeued after a fix is accepted and normalised", arguments: StoreBackend.available)
    func requeue(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (inbound, parsed) = StoreTests.callback(awb: "Q1")
            let id = try await store.quarantine(inbound, error: "unrecognised", detail: "test")
            let kept = try #require(try await store.quarantinedCallback(id: id))
            #expect(kept.rejected)
            let outcome = try await store.requeue(quarantined: kept.callback, rejected: true, dedupKey: parsed.dedupKey)
            #expect(!outcome.duplicate)
            let pending = try await store.unnormalisedCallbacks(afterSeq: 0, limit: 10)
            #expect(pending.map(\.id) == [id])
            _ = try await store.normalise([NormalisationInput(callback: pending[0], parsed: parsed, requeued: true)],
                                          using: StoreTests.normalise)
            #expect(try await store.notifications(client: "acme", awb: "Q1").count == 1)
        }
    }
}
