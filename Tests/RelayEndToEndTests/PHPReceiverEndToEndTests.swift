import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// The relay delivering to a PHP receiving end built on clients/php (the verifier) and clients/magento (the module's
/// logic classes), run by `php -S` (issue #16).
@Suite("PHP receiver end to end (real binary, php -S)", .serialized)
struct PHPReceiverEndToEndTests {
    static func newSecret() -> String {
        "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    @Test(
        "PHP verifies every research-payload delivery; a wrong-secret endpoint gets 401 → http_4xx; a lost answer's retries and a dlq replay are duplicates"
    )
    func researchPayloadsTamperAndReplay() async throws {
        let port = RelayProcess.freePort()
        let base = "http://127.0.0.1:\(port)"
        let flakySecret = Self.newSecret()
        // The "tampered" endpoint signs with a secret the PHP side does not know: to it, every body is tampered.
        let fixture = try RelayFixture(
            notificationURL: base + "/notifications",
            extraConfig: """
                      extra:
                        - { name: tampered, url: "\(base)/tampered/notifications", types: [DELIVERED],
                            signing_secret: "\(Self.newSecret())" }
                        - { name: flaky, url: "\(base)/flaky/notifications", types: [OUT_FOR_DELIVERY],
                            signing_secret: "\(flakySecret)" }
                """,
            // A generous timeout: on a loaded machine a timed-out attempt would be retried (and be a duplicate).
            delivery: "{ timeout_seconds: 30, retry_schedule_seconds: [0.5, 0.5] }")
        defer { fixture.cleanUp() }
        let php = try await PHPReceiver(
            port: port, directory: fixture.directory.appendingPathComponent("php"),
            secrets: fixture.signingSecrets + [flakySecret])
        let relay = try await fixture.start(arguments: [])

        // given: every research payload, posted as its aggregator; the expected notifications normalised in-process
        let client = Client(
            id: "e2e", metadata: [(key: "Account Code", value: "ACME01")],
            endpoints: [Endpoint(id: "e2e/notification", kind: .notification, url: "http://x")])
        var context = InMemoryNormalisationContext()
        var expected: [String] = []
        var expectedTypes: [String] = []
        for aggregator in Aggregator.allCases {
            let directory = DeliveryEndToEndTests.resources.appendingPathComponent(aggregator.rawValue)
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".expected.json") }.sorted()
            for name in names {
                let body = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
                #expect(try await fixture.post(aggregator: aggregator.rawValue, body: body) == 200, "\(name)")
                let parsed = try CallbackParser.parse(
                    aggregator: aggregator, body: body, contentType: "application/json")
                let result = Normaliser().normalise(
                    events: parsed.events, client: client,
                    receivedAt: EventTime(epochSeconds: 1_711_000_000), context: context)
                context.apply(result)
                expected += result.notifications.map { DeliveryEndToEndTests.comparable($0.payload.serializedBytes()) }
                expectedTypes += result.notifications.map { $0.payload["notificationType"]?.text ?? "" }
            }
        }
        let delivered = expectedTypes.filter { $0 == "DELIVERED" }.count
        let outForDelivery = expectedTypes.filter { $0 == "OUT_FOR_DELIVERY" }.count
        #expect(delivered > 0 && outForDelivery > 0)

        // then: PHP verified and accepted every notification, exactly the expected bodies, each dispatched once
        try await waitUntil(60) {
            try php.requests(path: "/notifications").filter { $0["result"] == "accepted" }.count >= expected.count
                && php.requests(path: "/flaky/notifications").count >= outForDelivery
                && fixture.count(
                    "SELECT count(*) FROM deliveries WHERE endpoint = 'e2e/extra/tampered' AND state = 'dead'")
                    >= delivered
        }
        let all = php.requests(path: "/notifications")
        let main = all.filter { $0["result"] == "accepted" }
        #expect(main.count == expected.count)
        // (a retry of an attempt the relay gave up on would be answered 200 "duplicate")
        let answeredOK = all.filter { request in
            let result = request["result"]?.text ?? ""
            return request["status"] == 200 && (result == "accepted" || result == "duplicate")
        }
        #expect(answeredOK.count == all.count, "\(all.filter { $0["status"] != 200 }.prefix(3))")
        #expect(
            main.map { DeliveryEndToEndTests.comparable(Array(($0["body"]?.text ?? "").utf8)) }.sorted()
                == expected.sorted())
        let mainEvents = php.events().filter { $0["path"] == "/notifications" }
        #expect(mainEvents.count == expected.count)
        #expect(mainEvents.allSatisfy { $0["event"] == "increff_shipment_notification" })
        #expect(Set(mainEvents.compactMap { $0["webhook_id"]?.text }) == Set(main.compactMap { $0["webhookId"]?.text }))
        #expect(
            try fixture.count(
                "SELECT count(*) FROM deliveries WHERE endpoint = 'e2e/notification' AND state != 'delivered'") == 0)

        // and: the wrong-secret endpoint: every attempt refused by PHP with 401, recorded by the relay as http_4xx
        let tampered = php.requests(path: "/tampered/notifications")
        #expect(tampered.count == delivered * 3)  // first attempt + 2 retries each
        #expect(tampered.allSatisfy { $0["status"] == 401 && $0["result"] == "invalid_signature" })
        #expect(php.events().filter { $0["path"] == "/tampered/notifications" }.isEmpty)
        #expect(
            try fixture.count(
                """
                SELECT count(*) FROM deliveries WHERE endpoint = 'e2e/extra/tampered' AND state = 'dead'
                AND failure_class = 'http_4xx'
                """) == delivered)
        #expect(
            try fixture.count(
                """
                SELECT count(*) FROM attempts a JOIN deliveries d ON d.seq = a.delivery_seq
                WHERE d.endpoint = 'e2e/extra/tampered' AND a.status_code = 401 AND a.failure_class = 'http_4xx'
                """) == delivered * 3)

        // when: the flaky receiver processes an OUT_FOR_DELIVERY but its answer is lost (503) on every attempt
        try Data().write(to: php.directory.appendingPathComponent("flaky-on"))
        #expect(try await fixture.postClickpost(awb: "PHP-FLAKY-1") != nil)
        var letter: String?
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, letter == nil {
            let (_, page) = try await fixture.admin(.GET, "dead-letters?endpoint=e2e/extra/flaky")
            letter = page["items"]?.array?.first?["id"]?.text
            if letter == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let letterId = try #require(letter, "the flaky delivery did not become a dead letter")
        let flakyId = try #require(php.requests(path: "/flaky/notifications").last?["webhookId"]?.text)
        // then: the first attempt was processed, the two retries were duplicates (all answered 503)
        #expect(
            php.requests(path: "/flaky/notifications").filter { $0["webhookId"]?.text == flakyId }
                .map { $0["result"]?.text ?? "" } == ["accepted", "duplicate", "duplicate"])

        // when: ops replay the dead letter once the receiver answers again
        try FileManager.default.removeItem(at: php.directory.appendingPathComponent("flaky-on"))
        let replay = try await ChildProcess.run(
            RelayProcess.binary,
            [
                "dlq", "replay", letterId, "--url", "http://127.0.0.1:\(fixture.port)", "--token", fixture.adminToken,
            ], withStandardError: true)
        #expect(replay.status == 0, "\(replay.output)")
        try await waitUntil(30) {
            let replayed = php.requests(path: "/flaky/notifications").contains {
                $0["webhookId"]?.text == flakyId && $0["trigger"] == "manual"
            }
            let state = try fixture.texts(
                """
                SELECT state FROM deliveries WHERE endpoint = 'e2e/extra/flaky' AND notification_id = '\(flakyId)'
                """)
            return replayed && state == ["delivered"]
        }
        // then: the replay (same webhook-id, trigger manual) is a duplicate, answered 200; observers saw it once
        let attempts = php.requests(path: "/flaky/notifications").filter { $0["webhookId"]?.text == flakyId }
        #expect(attempts.map { $0["result"]?.text ?? "" } == ["accepted", "duplicate", "duplicate", "duplicate"])
        #expect(attempts.last?["status"] == 200)
        #expect(attempts.last?["trigger"] == "manual")
        #expect(
            php.events().filter { $0["path"] == "/flaky/notifications" && $0["webhook_id"]?.text == flakyId }.count == 1
        )
        #expect(
            try fixture.count(
                "SELECT count(*) FROM deliveries WHERE endpoint = 'e2e/extra/flaky' AND notification_id = '\(flakyId)' AND state = 'delivered'"
            ) == 1)
        print(
            "PHP receiver: \(main.count) notifications verified and accepted, \(tampered.count) wrong-secret attempts refused 401 (\(delivered) dead letters http_4xx), flaky: \(attempts.count) attempts, 1 event"
        )

        #expect(await relay.terminate() == 0)
        await php.stop()
    }

    @Test(
        "PHP receives a return ack by PUT, an invoice, order postings idempotent on shipmentCode, send-test; a tampered body is 401"
    )
    func omsMessagesSendTestAndTamper() async throws {
        let port = RelayProcess.freePort()
        let base = "http://127.0.0.1:\(port)"
        let fixture = try RelayFixture(
            notificationURL: base + "/notifications", omsBaseURL: base,
            delivery: "{ timeout_seconds: 30, retry_schedule_seconds: [0.5, 1, 2] }")
        defer { fixture.cleanUp() }
        let php = try await PHPReceiver(
            port: port, directory: fixture.directory.appendingPathComponent("php"),
            secrets: fixture.signingSecrets)
        let relay = try await fixture.start(arguments: [])
        let examples = RelayProcess.packageRoot.appendingPathComponent("Schemas/examples")
        func example(_ path: String) throws -> String {
            try String(contentsOf: examples.appendingPathComponent(path), encoding: .utf8)
        }

        // given: a return ack, an invoice, and two order postings of one order (the second repeats the invoiced
        // shipment next to a new one, with a new messageId)
        #expect(try await fixture.oms(.POST, "return-acks", body: example("return-ack/seed_qc_fail.json")).0 == 202)
        #expect(
            try await fixture.oms(.POST, "invoices", body: example("invoice-notification/seed_invoice_generated.json"))
                .0 == 202)
        let create = try example("order-posting/seed_outward_order_create.json")
        #expect(try await fixture.oms(.POST, "order-postings", body: create).0 == 202)
        var later = try #require(try JSONValue.parse(Array(create.utf8)).object)
        later["messageId"] = 12346
        later["eventType"] = "OUTWARD_ORDER_SHIPMENT_DISPATCH"
        later["eventTime"] = "2020-10-17T09:00:00.000+00:00"  // after the first: postings of one order keep their order
        var shipments = later["shipments"]?.array ?? []
        var second = try #require(shipments.first?.object)
        second["shipmentCode"] = "UIfd898"
        shipments.append(.object(second))
        later["shipments"] = .array(shipments)
        #expect(try await fixture.oms(.POST, "order-postings", body: JSONValue.object(later).serialized()).0 == 202)

        try await waitUntil(30) {
            php.requests(path: "/ack").count >= 1 && php.requests(path: "/notifications").count >= 1
                && php.requests(path: "/op").count >= 2
        }
        // then: each verified and accepted; the return ack came by PUT
        let ack = try #require(php.requests(path: "/ack").first)
        #expect(ack["method"] == "PUT")
        #expect(ack["result"] == "accepted")
        let invoice = try #require(php.requests(path: "/notifications").first)
        #expect(invoice["result"] == "accepted")
        let events = php.events()
        #expect(events.filter { $0["event"] == "increff_return_ack" }.count == 1)
        #expect(
            events.filter { $0["event"] == "increff_shipment_notification" }.first?["notification_type"]
                == "INVOICE_GENERATED")
        // and: the invoiced shipment is handed to observers once; the later posting brings only the new one
        let postings = php.requests(path: "/op")
        #expect(postings.map { $0["result"]?.text ?? "" } == ["accepted", "accepted"])
        #expect(postings.map { $0["newShipmentCodes"] ?? .null } == [["UIfd897"], ["UIfd898"]])
        #expect(events.filter { $0["event"] == "increff_order_posting" }.count == 2)
        #expect(try fixture.count("SELECT count(*) FROM deliveries WHERE state != 'delivered'") == 0)

        // when: a captured delivery is sent again with one byte of its body changed
        var tamper = HTTPClientRequest(url: base + "/notifications")
        tamper.method = .POST
        tamper.headers.add(name: "webhook-id", value: invoice["webhookId"]?.text ?? "")
        tamper.headers.add(name: "webhook-timestamp", value: invoice["timestamp"]?.text ?? "")
        tamper.headers.add(name: "webhook-signature", value: invoice["signature"]?.text ?? "")
        tamper.body = .bytes(
            ByteBuffer(string: (invoice["body"]?.text ?? "").replacingOccurrences(of: "CREATED", with: "CREATEd")))
        let tampered = try await RelayFixture.client(for: port).execute(tamper, timeout: .seconds(10))
        _ = try await tampered.body.collect(upTo: 1 << 16)
        // then: refused, nothing dispatched
        #expect(tampered.status.code == 401)
        #expect(php.events().count == events.count)

        // when: send-test to each endpoint
        for endpoint in ["notification", "return_ack", "order_posting"] {
            let run = try await ChildProcess.run(
                RelayProcess.binary,
                [
                    "send-test", "--client", "e2e", "--endpoint", endpoint, "--url", "http://127.0.0.1:\(fixture.port)",
                    "--token", fixture.adminToken,
                ], withStandardError: true)
            print("relay send-test --endpoint \(endpoint):\n\(run.output)")
            // then: PHP verified and validated the sample and answered 200 "test", dispatching nothing
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("delivered: 200 in "), "\(run.output)")
            #expect(run.output.contains(#""status":"test""#), "\(run.output)")
        }
        let tests = php.requests().filter { $0["trigger"] == "test" }
        #expect(tests.count == 3)
        #expect(tests.allSatisfy { $0["result"] == "test" && $0["status"] == 200 })
        #expect(tests.map { $0["method"]?.text ?? "" } == ["POST", "PUT", "POST"])
        #expect(php.events().count == events.count)
        // and: a test send is not stored: still the ack, the invoice and the two postings only
        #expect(try fixture.count("SELECT count(*) FROM deliveries") == 4)

        #expect(await relay.terminate() == 0)
        await php.stop()
    }
}
