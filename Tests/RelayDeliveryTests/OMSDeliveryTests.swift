import Foundation
import HTTPTypes
import RelayCore
import RelayDelivery
import RelayStore
import RelayTestSupport
import Testing

@Suite("OMS deliveries (real HTTP receivers on 127.0.0.1)", .serialized)
struct OMSDeliveryTests {
    static let returnAck: JSONValue = [
        "returnOrderCode": "RET-1", "forwardOrderCode": "ORD-1", "locationCode": "WH-1",
        "orderItems": [["itemCode": "I1", "channelSkuCode": "SKU-1", "qcStatus": "FAIL", "qcReason": "torn",
                        "imageUrls": ["https://img.example/1.jpg"]]],
    ]

    @Test("a return ack arrives as a signed PUT at the return-ack endpoint")
    func returnAckByPut() async throws {
        let receiver = TestReceiver()
        try await receiver.start()
        let harness = try DeliveryHarness(endpoints: [
            DeliveryHarness.endpoint(receiver.url + "/n"),
            DeliveryHarness.endpoint(receiver.url + "/ack", kind: .returnAck),
        ])
        harness.start()
        let message = try OMSValidator.returnAck(Self.returnAck)
        let stored = try await harness.store.storeMessage(message, client: "acme", endpointIds: ["acme/return_ack"],
                                                          receivedAt: WallClock.now())
        harness.wakeup.signal()
        #expect(try await harness.eventually { receiver.requests(path: "/ack").count == 1 })
        let request = try #require(receiver.requests(path: "/ack").first)
        #expect(request.method == "PUT")
        #expect(request.headers["webhook-id"] == stored.notificationId)
        #expect(request.headers["webhook-signature"]?.hasPrefix("v1,") == true)
        #expect(try JSONValue.parse(request.body) == Self.returnAck)
        #expect(receiver.requests(path: "/n").isEmpty)
        await harness.stop()
        await receiver.stop()
    }

    @Test("an order posting answered 2xx {hasError: true} is retried and ends a dead letter keeping errorMessage")
    func orderPostingRejected() async throws {
        let receiver = TestReceiver { _, _ in .init(status: .ok, body: #"{"hasError": true, "errorMessage": "x"}"#) }
        try await receiver.start()
        let harness = try DeliveryHarness(endpoints: [
            DeliveryHarness.endpoint(receiver.url + "/n"),
            DeliveryHarness.endpoint(receiver.url + "/op", kind: .orderPosting),
        ], schedule: [0.1, 0.1])
        harness.start()
        let posting: JSONValue = [
            "messageId": 42, "eventType": "OUTWARD_ORDER_CREATE", "orderCode": "SO-1", "partnerCode": "P",
            "partnerLocationCode": "PL", "isPriority": false, "locationCode": "L", "channelName": "WEB",
            "orderTime": "2024-03-01T10:00:00Z", "orderType": "SO", "paymentMethod": "COD",
            "eventTime": "2024-03-01T10:00:00Z",
            "orderItems": [["orderItemCode": "OI1", "channelSkuCode": "SKU", "orderedQuantity": 1,
                            "cancelledQuantity": 0, "sellingPricePerUnit": 10.5]],
            "shippingAddress": ["name": "A"], "billingAddress": ["name": "A"],
        ]
        let message = try OMSValidator.orderPosting(posting)
        _ = try await harness.store.storeMessage(message, client: "acme", endpointIds: ["acme/order_posting"],
                                                 receivedAt: WallClock.now())
        harness.wakeup.signal()
        #expect(try await harness.eventually { try await harness.deliveries().first?.state == "dead" })
        let delivery = try #require(try await harness.deliveries().first)
        #expect(delivery.failureClass == "rejected")
        #expect(delivery.attempts == 3)
        #expect(receiver.requests(path: "/op").count == 3)
        let attempts = try await harness.store.attempts(delivery: delivery.seq)
        #expect(attempts.allSatisfy { $0.statusCode == 200 && $0.failureClass == "rejected" })
        let excerpt = String(decoding: attempts.last?.responseExcerpt ?? [], as: UTF8.self)
        #expect(excerpt.contains("errorMessage"))
        await harness.stop()
        await receiver.stop()
    }
}
