import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// OMS inputs through the real binary (issue #7).
@Suite("OMS end to end (real binary)", .serialized)
struct OMSEndToEndTests {
    @Test("registered shipment enriches the Clickpost DELIVERED; return ack arrives by signed PUT; a rejected order posting ends a dead letter")
    func omsEndToEnd() async throws {
        let receiver = TestReceiver { request, _ in
            request.path == "/op" ? .init(body: #"{"hasError": true, "errorMessage": "x"}"#) : .init()
        }
        try await receiver.start()
        let fixture = try RelayFixture(notificationURL: receiver.url + "/n", omsBaseURL: receiver.url,
                                       extraConfig: "")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])

        // A registered shipment's DELIVERED callback carries the registry's order data.
        let (status, _) = try await fixture.oms(.PUT, "shipments/E2E-REG-1", body: """
            {"forwardOrderCode":"ORD-77","forwardShipmentCode":"SHP-77","warehouseCode":"WH-77",
             "items":[{"itemId":"1","sku":"SKU-77","quantity":3}]}
            """)
        #expect(status == 200)
        let callback = #"{"waybill":"E2E-REG-1","account_code":"DEL","status":"Delivered","timestamp":"2024-03-08T06:12:00Z","clickpost_status_code":8,"additional":{"order_id":"FROM-CALLBACK"}}"#
        #expect(try await fixture.post(aggregator: "clickpost", body: Array(callback.utf8)) == 200)

        // A return ack is delivered by PUT to the return-ack URL, signed.
        let ack = #"{"returnOrderCode":"RET-1","forwardOrderCode":"ORD-77","locationCode":"WH-77","orderItems":[{"itemCode":"I1","channelSkuCode":"SKU-77","qcStatus":"PASS"}]}"#
        #expect(try await fixture.oms(.POST, "return-acks", body: ack).0 == 202)

        // An order posting answered {"hasError": true} is retried and ends a dead letter with that message.
        var seedPosting = try #require(try JSONValue.parse([UInt8](Data(contentsOf: RelayProcess.packageRoot
            .appendingPathComponent("Schemas/examples/order-posting/seed_outward_order_create.json")))).object)
        seedPosting["messageId"] = 9001
        let posting = JSONValue.object(seedPosting).serialized()
        #expect(try await fixture.oms(.POST, "order-postings", body: posting).0 == 202)
        #expect(try await fixture.oms(.POST, "order-postings", body: posting).1.contains("duplicate"))

        let deadline = Date().addingTimeInterval(60)
        func done() throws -> Bool {
            try !receiver.requests(path: "/n").isEmpty && !receiver.requests(path: "/ack").isEmpty
                && fixture.count("SELECT count(*) FROM deliveries WHERE state = 'dead'") > 0
        }
        while Date() < deadline, try !done() {
            try await Task.sleep(for: .milliseconds(100))
        }
        let notification = try JSONValue.parse(try #require(receiver.requests(path: "/n").first).body)
        #expect(notification["forwardOrderCode"] == "ORD-77")
        #expect(notification["forwardShipmentCode"] == "SHP-77")
        #expect(notification["warehouseCode"] == "WH-77")
        #expect(notification["items"] == [["itemId": "1", "sku": "SKU-77", "quantity": 3]])

        let put = try #require(receiver.requests(path: "/ack").first)
        #expect(put.method == "PUT")
        let verification = try await DeliveryEndToEndTests.verifySignatures(
            receiver.requests(path: "/ack"), secrets: [fixture.signingSecrets[0]], in: fixture.directory)
        #expect(verification.status == 0, "\(verification.output)")

        #expect(try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'dead' AND failure_class = 'rejected'") == 1)
        #expect(try fixture.count("SELECT count(*) FROM attempts WHERE error = 'x'") == 6)
        #expect(receiver.requests(path: "/op").count == 6)  // 1 + the 5 retries of the e2e schedule
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }
}
