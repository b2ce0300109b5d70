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
        let posting = try Self.seedPosting()
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

    /// The seed's order posting (`Schemas/examples/order-posting/seed_outward_order_create.json`).
    static func seedPosting() throws -> JSONValue {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Schemas/examples/order-posting/seed_outward_order_create.json")
        return try JSONValue.parse([UInt8](Data(contentsOf: url)))
    }

    @Test("hasError is read from the whole answer (up to 64 KiB), not from the 4 KB stored excerpt (issue #13)")
    func hasErrorAfterFourKilobytes() async throws {
        // The answer puts 6 KB of detail before hasError, so the stored excerpt never shows it.
        let padding = String(repeating: "x", count: 6000)
        let rejecting = TestReceiver { _, _ in
            .init(status: .ok, body: #"{"detail": "\#(padding)", "hasError": true, "errorMessage": "late"}"#)
        }
        try await rejecting.start()
        let accepting = TestReceiver { _, _ in
            .init(status: .ok, body: #"{"detail": "\#(padding)", "hasError": false}"#)
        }
        try await accepting.start()
        for (receiver, expected) in [(rejecting, "dead"), (accepting, "delivered")] {
            let harness = try DeliveryHarness(endpoints: [
                DeliveryHarness.endpoint(receiver.url + "/n"),
                DeliveryHarness.endpoint(receiver.url + "/op", kind: .orderPosting),
            ], schedule: [0.1])
            harness.start()
            let message = try OMSValidator.orderPosting(try Self.seedPosting())
            _ = try await harness.store.storeMessage(message, client: "acme", endpointIds: ["acme/order_posting"],
                                                     receivedAt: WallClock.now())
            harness.wakeup.signal()
            #expect(try await harness.eventually {
                ["dead", "delivered"].contains(try await harness.deliveries().first?.state ?? "")
            })
            let delivery = try #require(try await harness.deliveries().first)
            #expect(delivery.state == expected)
            let attempts = try await harness.store.attempts(delivery: delivery.seq)
            #expect(attempts.allSatisfy { $0.responseExcerpt.count == 4096 })
            if expected == "dead" {
                #expect(delivery.failureClass == "rejected")
                #expect(attempts.count == 2)
                #expect(attempts.allSatisfy { $0.failureClass == "rejected" })
            } else {
                #expect(attempts.count == 1)
            }
            await harness.stop()
        }
        await rejecting.stop()
        await accepting.stop()
    }
}
