import Foundation
import RelayCore
import RelayStore
import Testing

/// Issue #13, decision 9 in the store, the same tests on each backend: deliveries of a notification without an order
/// code are held (`awaiting_order`), a later one of the same chain waits behind them, registering the AWB fills the
/// payload and releases them in order, and an expired hold becomes an `unroutable` dead letter.
@Suite("Store: notifications awaiting an order code (SQLite and PostgreSQL)")
struct AwaitingOrderStoreTests {
    /// Ingests and normalises a Clickpost callback for `awb`; `orderId` nil leaves the order id out.
    static func receive(_ store: any RelayStore, awb: String, code: Int, time: String, orderId: String?) async throws {
        let input = try await ingest(store, awb: awb, code: code, time: time, orderId: orderId)
        _ = try await store.normalise([input], using: StoreTests.normalise)
    }

    /// Ingests a Clickpost callback for `awb` and returns it ready to normalise.
    static func ingest(_ store: any RelayStore, awb: String, code: Int, time: String, orderId: String?) async throws
        -> NormalisationInput
    {
        let order = orderId.map { #","additional":{"order_id":"\#($0)"}"# } ?? ""
        let body = Array(#"{"waybill":"\#(awb)","clickpost_status_code":\#(code),"timestamp":"\#(time)"\#(order)}"#.utf8)
        let parsed = try CallbackParser.parse(aggregator: .clickpost, body: body, contentType: "application/json")
        let inbound = InboundCallback(client: "acme", aggregator: .clickpost, receivedAt: WallClock.now(),
                                      contentType: "application/json", headers: [], body: body)
        let outcome = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
        let stored = StoredCallback(seq: outcome.seq, id: outcome.callbackId, client: "acme", aggregator: .clickpost,
                                    receivedAt: inbound.receivedAt, contentType: "application/json", body: body)
        return NormalisationInput(callback: stored, parsed: parsed)
    }

    /// The notification endpoint's delivery of each notification of `awb`, oldest first: (notification, delivery).
    static func chain(_ store: any RelayStore, awb: String) async throws -> [(StoredNotification, StoredDelivery)] {
        var result: [(StoredNotification, StoredDelivery)] = []
        for notification in try await store.notifications(client: "acme", awb: awb) {
            for delivery in try await store.deliveries(notificationId: notification.id, limit: 10)
            where delivery.endpointId == "acme/notification" {
                result.append((notification, delivery))
            }
        }
        return result
    }

    static func payload(_ notification: StoredNotification) throws -> JSONValue {
        try JSONValue.parse(notification.payload)
    }

    @Test("held without an order code, a later notification waits behind, registration releases both in order",
          arguments: StoreBackend.available)
    func heldAndReleased(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await Self.receive(store, awb: "H1", code: 5, time: "2024-03-07T04:00:00Z", orderId: nil)
            try await Self.receive(store, awb: "H1", code: 6, time: "2024-03-08T04:00:00Z", orderId: "CB-1")
            try await Self.receive(store, awb: "OK1", code: 6, time: "2024-03-07T04:00:00Z", orderId: "CB-2")
            var held = try await Self.chain(store, awb: "H1")
            #expect(held.map(\.1.state) == ["awaiting_order", "awaiting_order"])
            #expect(try Self.payload(held[0].0)["forwardOrderCode"] == .null)
            #expect(try Self.payload(held[1].0)["forwardOrderCode"] == "CB-1")

            // Only the other shipment leaves; the held ones are visible as a count, per endpoint and in the trace.
            let claimed = try await StoreDeliveryTests.claimAll(store)
            #expect(claimed.map(\.orderingKey) == ["acme\u{1F}OK1"])
            #expect(try await store.awaitingOrderCount() == 2)
            let statistics = try await store.endpointStatistics(since: EventTime(epochMilliseconds: 0))
            #expect(statistics["acme/notification"]?.awaitingOrder == 2)
            let trace = try await store.trace(client: "acme", awb: "H1")
            #expect(trace.filter { $0.kind == "delivery" && $0.detail.contains("awaiting_order") }.count == 2)
            // Not expired yet.
            let early = try await store.expireAwaitingOrder(
                heldBefore: EventTime(epochMilliseconds: WallClock.now().epochMilliseconds - 3_600_000), now: WallClock.now())
            #expect(early.dead == 0 && early.released == 0)

            // A later notification of the same chain arriving now still waits behind the held one.
            try await Self.receive(store, awb: "H1", code: 8, time: "2024-03-09T04:00:00Z", orderId: "CB-1")
            #expect(try await Self.chain(store, awb: "H1").map(\.1.state).last == "awaiting_order")

            let registration = ShipmentRegistration(awb: "H1", forwardOrderCode: "REG-1", forwardShipmentCode: "SHP-1",
                                                    warehouseCode: "WH-1")
            // (The DELIVERED's delivery to the extra endpoint, a chain with nothing held, left as usual.)
            let released = try await store.register(registration, client: "acme", now: WallClock.now())
            #expect(released == 3)
            held = try await Self.chain(store, awb: "H1")
            #expect(held.map(\.1.state) == ["pending", "pending", "pending"])
            let first = try Self.payload(held[0].0)
            #expect(first["forwardOrderCode"] == "REG-1")
            #expect(first["forwardShipmentCode"] == "SHP-1")
            #expect(first["warehouseCode"] == "WH-1")
            #expect(try await store.awaitingOrderCount() == 0)

            // They leave in event order (PostgreSQL's claim lets only a chain's head go; the engine orders SQLite's).
            let next = try await StoreDeliveryTests.claimAll(store).filter { $0.endpointId == "acme/notification" }
            #expect(next.first?.notificationId == held[0].0.id)
            #expect(next.map(\.eventTime) == next.map(\.eventTime).sorted())
            let sent = try JSONValue.parse(try #require(next.first).payload)
            #expect(sent["forwardOrderCode"] == "REG-1")
        }
    }

    @Test("in one batch, a notification of a chain whose earlier one is held is held too; other chains are not",
          arguments: StoreBackend.available)
    func heldWithinOneBatch(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let batch = [
                try await Self.ingest(store, awb: "B1", code: 5, time: "2024-03-07T04:00:00Z", orderId: nil),
                try await Self.ingest(store, awb: "B2", code: 5, time: "2024-03-07T04:00:00Z", orderId: "CB-9"),
                try await Self.ingest(store, awb: "B1", code: 6, time: "2024-03-08T04:00:00Z", orderId: "CB-1"),
                try await Self.ingest(store, awb: "B2", code: 6, time: "2024-03-08T04:00:00Z", orderId: "CB-9"),
            ]
            let summary = try await store.normalise(batch, using: StoreTests.normalise)
            #expect(summary.callbacks == 4)
            #expect(try await Self.chain(store, awb: "B1").map(\.1.state) == ["awaiting_order", "awaiting_order"])
            #expect(try await Self.chain(store, awb: "B2").map(\.1.state) == ["pending", "pending"])
            #expect(try await store.awaitingOrderCount() == 2)
        }
    }

    @Test("an expired hold is an unroutable dead letter; what waited behind it leaves; a replay holds again until registered",
          arguments: StoreBackend.available)
    func expiredUnroutable(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await Self.receive(store, awb: "H2", code: 5, time: "2024-03-07T04:00:00Z", orderId: nil)
            try await Self.receive(store, awb: "H2", code: 6, time: "2024-03-08T04:00:00Z", orderId: "CB-2")
            let now = WallClock.now()
            let expired = try await store.expireAwaitingOrder(
                heldBefore: EventTime(epochMilliseconds: now.epochMilliseconds + 1000), now: now)
            #expect(expired.dead == 1)
            #expect(expired.released == 1)
            var chain = try await Self.chain(store, awb: "H2")
            #expect(chain.map(\.1.state) == ["dead", "pending"])
            #expect(chain[0].1.failureClass == "unroutable")
            let letters = try await store.deadLetters(DeadLetterFilter(failure: "unroutable"))
            #expect(letters.map(\.seq) == [chain[0].1.seq])

            // Replayed before the AWB is registered: held again, never sent without an order code.
            #expect(try await store.replay(deadLetter: chain[0].1.seq, now: WallClock.now()))
            chain = try await Self.chain(store, awb: "H2")
            #expect(chain[0].1.state == "awaiting_order")
            #expect(try await store.register(ShipmentRegistration(awb: "H2", forwardOrderCode: "REG-2"), client: "acme",
                                             now: WallClock.now()) == 1)
            chain = try await Self.chain(store, awb: "H2")
            #expect(chain[0].1.state == "pending")
            #expect(try Self.payload(chain[0].0)["forwardOrderCode"] == "REG-2")

            // A letter that died before its AWB was registered is filled by the registration and replays as usual.
            try await Self.receive(store, awb: "H3", code: 5, time: "2024-03-07T04:00:00Z", orderId: nil)
            _ = try await store.expireAwaitingOrder(
                heldBefore: EventTime(epochMilliseconds: WallClock.now().epochMilliseconds + 1000), now: WallClock.now())
            #expect(try await store.register(ShipmentRegistration(awb: "H3", forwardOrderCode: "REG-3"), client: "acme",
                                             now: WallClock.now()) == 0)
            let dead = try #require(try await Self.chain(store, awb: "H3").first)
            #expect(dead.1.state == "dead")
            #expect(try Self.payload(dead.0)["forwardOrderCode"] == "REG-3")
            #expect(try await store.replay(deadLetter: dead.1.seq, now: WallClock.now()))
            #expect(try await Self.chain(store, awb: "H3").first?.1.state == "pending")
        }
    }
}
