import RelayCore
import RelayDelivery
@testable import RelayStore
import Synchronization
import Testing

@Suite("Fresh deliveries leased by their commit")
struct FreshLeaseTests {
    /// Ingests a callback and normalises it as the server does, with `taker` offered the new deliveries.
    static func deliver(_ store: any RelayStore, awb: String, code: Int, time: String, taker: RecordingTaker)
        async throws
    {
        let (inbound, parsed) = StoreTests.callback(awb: awb, code: code, time: time)
        let outcome = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
        let stored = StoredCallback(seq: outcome.seq, id: outcome.callbackId, client: "acme", aggregator: .clickpost,
                                    receivedAt: inbound.receivedAt, contentType: "application/json", body: inbound.body)
        _ = try await NormalisationLoop(store: store, taker: taker)
            .run([NormalisationInput(callback: stored, parsed: parsed)], request: StoreTests.normalise)
    }

    static func states(_ store: any RelayStore) async throws -> [(state: String, owner: String?)] {
        let database = try #require(store as? any SQLBackedStore).seam.database
        return try await database.read { session in
            try await session.query("SELECT state, lease_owner FROM deliveries ORDER BY seq", []) {
                ($0.text(0) ?? "", $0.text(1))
            }
        }
    }

    @Test("PostgreSQL leases a new delivery that heads its chain, within the reserved slots; SQLite leases none",
          arguments: StoreBackend.available)
    func leasesChainHeads(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            // given an engine with one slot per commit for the notification endpoint, none for the extra one
            let taker = RecordingTaker(slots: ["acme/notification": 1])
            // when a callback yields a notification for the notification endpoint
            try await Self.deliver(store, awb: "F1", code: 6, time: "2024-03-08T06:12:00Z", taker: taker)
            #expect(taker.settled.withLock { $0.map(\.slots) } == [["acme/notification": 1]])
            let taken = taker.taken.withLock { $0 }
            guard store.isShared else {
                // then SQLite queues it pending, and the engine claims it as before
                #expect(taken.isEmpty)
                #expect(try await Self.states(store).map(\.state) == ["pending"])
                #expect(try await StoreDeliveryTests.claimAll(store).count == 1)
                return
            }
            // then PostgreSQL inserts it leased to the engine and hands over what it needs to be sent
            let leased = try #require(taken.first)
            #expect(taken.count == 1)
            #expect(leased.endpointId == "acme/notification" && leased.attempts == 0 && leased.receivedAt != nil)
            let notification = try #require(try await store.notifications(client: "acme", awb: "F1").first)
            #expect(leased.notificationId == notification.id)
            #expect(leased.payload == notification.payload)
            #expect(try await Self.states(store).map(\.state) == ["in_flight"])
            #expect(try await Self.states(store).first?.owner == "fresh-test")
            #expect(try await StoreDeliveryTests.claimAll(store).isEmpty)
            // when a later status of the same shipment arrives while it is in flight (for two endpoints, one of
            // them without a reserved slot)
            try await Self.deliver(store, awb: "F1", code: 8, time: "2024-03-08T07:00:00Z", taker: taker)
            // then neither is leased: the notification endpoint's waits behind its chain, the other is claimed
            #expect(taker.taken.withLock { $0.count } == 1)
            #expect(try await Self.states(store).map(\.state) == ["in_flight", "pending", "pending"])
            #expect(try await StoreDeliveryTests.claimAll(store).map(\.endpointId) == ["acme/extra/erp"])
            // and another shipment's is leased at once
            try await Self.deliver(store, awb: "F2", code: 6, time: "2024-03-08T06:00:00Z", taker: taker)
            #expect(taker.taken.withLock { $0.count } == 2)
            // once the first is delivered, a claim takes the next of its chain
            try await store.complete(delivery: leased.seq, attempt: StoreDeliveryTests.ok, outcome: .delivered,
                                     now: WallClock.now(), expectedAttempts: 0)
            let next = try await StoreDeliveryTests.claimAll(store)
            #expect(next.map(\.endpointId) == ["acme/notification"])
            #expect(next.first?.notificationId != leased.notificationId)
        }
    }
}
