import RelayCore
import Testing

/// Issue #13, decision 9: a notification without an order code is never produced with `forwardOrderCode` "" (nor
/// the AWB in its place): it is marked `awaitingOrder`, and registering the AWB fills the registry's fields in.
@Suite("No empty order code (issue #13, decision 9)")
struct AwaitingOrderTests {
    static let client = Client(
        id: "acme", metadata: [(key: "Account Code", value: "ACME01")],
        endpoints: [Endpoint(id: "acme/notification", kind: .notification, url: "http://127.0.0.1:1/n")])
    static let received = EventTime(epochSeconds: 1_710_000_000)

    /// A Clickpost callback; `orderId` nil leaves `order_id` out.
    static func clickpost(code: Int, time: String, awb: String = "AWB1", orderId: String?) -> String {
        let order = orderId.map { #","order_id":"\#($0)""# } ?? ""
        return #"{"waybill":"\#(awb)","cp_id":4,"account_code":"DEL","status":"s","location":"l","timestamp":"\#(time)","clickpost_status_code":\#(code),"additional":{"is_rvp":false\#(order)}}"#
    }

    static func normalise(_ json: String, context: InMemoryNormalisationContext) throws -> NormalisationResult {
        let parsed = try CallbackParser.parse(aggregator: .clickpost, body: Array(json.utf8), contentType: "application/json")
        return Normaliser().normalise(events: parsed.events, client: client, receivedAt: received, context: context)
    }

    @Test("neither registry nor callback gives an order code: the notification awaits one, its code is null")
    func heldWithoutOrderCode() throws {
        var context = InMemoryNormalisationContext()
        let result = try Self.normalise(Self.clickpost(code: 6, time: "2024-03-07T04:00:00Z", orderId: nil),
                                        context: context)
        let draft = try #require(result.notifications.first)
        #expect(draft.awaitingOrder)
        #expect(draft.payload["forwardOrderCode"] == .null)
        #expect(draft.payload["forwardAwb"] == "AWB1")
        #expect(AwaitingOrder.needsOrderCode(draft.payload))
        // The shipment's state moves on as for any produced notification (the held one keeps its place in order).
        context.apply(result)
        let later = try Self.normalise(Self.clickpost(code: 8, time: "2024-03-08T04:00:00Z", orderId: nil),
                                       context: context)
        #expect(later.notifications.map(\.type.name) == ["DELIVERED"])
        #expect(later.notifications.first?.awaitingOrder == true)
    }

    @Test("the callback's order id or the registry's order code: nothing is held")
    func notHeldWithOrderCode() throws {
        let fromCallback = try Self.normalise(Self.clickpost(code: 6, time: "2024-03-07T04:00:00Z", orderId: "ORD-1"),
                                              context: InMemoryNormalisationContext())
        #expect(fromCallback.notifications.first?.awaitingOrder == false)
        #expect(fromCallback.notifications.first?.payload["forwardOrderCode"] == "ORD-1")

        var context = InMemoryNormalisationContext()
        context.register(client: "acme", ShipmentRegistration(awb: "AWB1", forwardOrderCode: "REG-1"))
        let fromRegistry = try Self.normalise(Self.clickpost(code: 6, time: "2024-03-07T04:00:00Z", orderId: nil),
                                              context: context)
        #expect(fromRegistry.notifications.first?.awaitingOrder == false)
        #expect(fromRegistry.notifications.first?.payload["forwardOrderCode"] == "REG-1")
    }

    @Test("registering fills the held payload as if the AWB had been registered first")
    func filledByRegistration() throws {
        let registration = ShipmentRegistration(
            awb: "AWB1", forwardOrderCode: "ORD-9", forwardShipmentCode: "SHP-9", warehouseCode: "WH-1",
            items: [NotificationItem(itemId: "1", sku: "SKU-1", quantity: 2)])
        let held = try #require(try Self.normalise(
            Self.clickpost(code: 6, time: "2024-03-07T04:00:00Z", orderId: nil),
            context: InMemoryNormalisationContext()).notifications.first?.payload)
        var context = InMemoryNormalisationContext()
        context.register(client: "acme", registration)
        let registeredFirst = try #require(try Self.normalise(
            Self.clickpost(code: 6, time: "2024-03-07T04:00:00Z", orderId: nil), context: context).notifications.first?.payload)
        let filled = AwaitingOrder.filled(held, with: registration)
        #expect(filled == registeredFirst)
        #expect(filled["forwardOrderCode"] == "ORD-9")
        #expect(filled["forwardShipmentCode"] == "SHP-9")
        #expect(filled["warehouseCode"] == "WH-1")
        #expect(!AwaitingOrder.needsOrderCode(filled))

        // An RTO's returnOrderId is its order code.
        let rto = try #require(try Self.normalise(Self.clickpost(code: 21, time: "2024-03-09T10:00:00Z", orderId: nil),
                                                  context: InMemoryNormalisationContext()).notifications.first)
        #expect(rto.awaitingOrder)
        #expect(rto.payload["returnOrderInfo"]?["returnOrderId"] == .null)
        let rtoFilled = AwaitingOrder.filled(rto.payload, with: registration)
        #expect(rtoFilled["forwardOrderCode"] == "ORD-9")
        #expect(rtoFilled["returnOrderInfo"]?["returnOrderId"] == "ORD-9")

        // A registration without an order code fills nothing that would release it.
        #expect(AwaitingOrder.needsOrderCode(AwaitingOrder.filled(held, with: ShipmentRegistration(awb: "AWB1"))))
    }

    @Test("delivery.hold_unregistered_hours: 24 by default, fractions allowed, must be positive")
    func holdConfiguration() throws {
        func configuration(_ delivery: JSONValue) throws -> RelayConfiguration {
            var root = ConfigurationTests.config(ConfigurationTests.goodClient).object!
            root["delivery"] = delivery
            return try RelayConfiguration(json: .object(root), environment: ["CP_KEY": "k"])
        }
        #expect(try configuration([:]).delivery.holdUnregisteredHours == 24)
        #expect(try configuration(["hold_unregistered_hours": 0.5]).delivery.holdUnregisteredHours == 0.5)
        #expect {
            try configuration(["hold_unregistered_hours": 0])
        } throws: { error in
            (error as? ConfigurationError)?.issues.contains { $0.path == "delivery.hold_unregistered_hours" } == true
        }
    }
}
