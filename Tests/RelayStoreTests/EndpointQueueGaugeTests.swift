import Foundation
import RelayCore
import RelayStore
import Testing

/// `endpointQueueGauges()`: what the metrics sampler reports per endpoint, the same test on each backend.
@Suite("Store endpoint queue gauges (SQLite and PostgreSQL)")
struct EndpointQueueGaugeTests {
    @Test("pending deliveries with the oldest due time, and dead letters, per endpoint; delivered ones not counted",
          arguments: StoreBackend.available)
    func gaugesPerEndpoint(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            // given: nothing stored
            #expect(try await store.endpointQueueGauges().isEmpty)

            // given: three shipments, each with a delivery to acme/notification and one to acme/extra/erp
            for awb in ["G1", "G2", "G3"] { try await StoreDeliveryTests.deliver(store, awb: awb) }
            let claimed = try await StoreDeliveryTests.claimAll(store)
            #expect(claimed.count == 6)
            let notification = claimed.filter { $0.endpointId == "acme/notification" }.sorted { $0.seq < $1.seq }
            let erp = claimed.filter { $0.endpointId == "acme/extra/erp" }.sorted { $0.seq < $1.seq }
            #expect(notification.count == 3 && erp.count == 3)
            let now = WallClock.now().epochMilliseconds
            let soon = EventTime(epochMilliseconds: now + 60_000)
            let later = EventTime(epochMilliseconds: now + 3_600_000)
            // when: notification — one delivered, two retrying (the earlier due time is the oldest due)
            try await store.complete(delivery: notification[0].seq, attempt: StoreDeliveryTests.ok, outcome: .delivered,
                                     now: WallClock.now())
            try await store.complete(delivery: notification[1].seq, attempt: StoreDeliveryTests.failed,
                                     outcome: .retry(at: later, .http5xx), now: WallClock.now())
            try await store.complete(delivery: notification[2].seq, attempt: StoreDeliveryTests.failed,
                                     outcome: .retry(at: soon, .http5xx), now: WallClock.now())
            // erp — two dead letters, one still in flight (neither pending nor dead)
            for delivery in erp.prefix(2) {
                try await store.complete(delivery: delivery.seq, attempt: StoreDeliveryTests.failed,
                                         outcome: .dead(.http5xx), now: WallClock.now())
            }

            // then
            var gauges = try await store.endpointQueueGauges()
            #expect(gauges["acme/notification"] == EndpointQueueGauge(pending: 2, oldestDue: soon, dead: 0))
            #expect(gauges["acme/extra/erp"] == EndpointQueueGauge(pending: 0, oldestDue: nil, dead: 2))
            #expect(gauges.count == 2)

            // when: a dead letter is replayed (pending again, due now) and another discarded
            let replayedAt = WallClock.now()
            #expect(try await store.replay(deadLetter: erp[0].seq, now: replayedAt))
            #expect(try await store.discard(deadLetter: erp[1].seq, now: WallClock.now()))
            // then
            gauges = try await store.endpointQueueGauges()
            #expect(gauges["acme/extra/erp"] == EndpointQueueGauge(pending: 1, oldestDue: replayedAt, dead: 0))
            #expect(gauges["acme/notification"]?.pending == 2)
        }
    }
}
