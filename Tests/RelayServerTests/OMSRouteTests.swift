import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import RelayCore
import RelayStore
import Testing

/// The OMS routes (issue #7): accepted, 400 naming each missing required field, 401, duplicate messageId,
/// shipment registry and enrichment.
@Suite("OMS routes")
struct OMSRouteTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Schemas/examples")

    static func example(_ folder: String, _ name: String) throws -> JSONValue {
        try JSONValue.parse([UInt8](Data(contentsOf: examples.appendingPathComponent(folder).appendingPathComponent(name))))
    }

    static let routes: [(path: String, folder: String, example: String, required: [String])] = [
        ("return-acks", "return-ack", "seed_qc_fail.json",
         ["returnOrderCode", "forwardOrderCode", "locationCode", "orderItems"]),
        ("invoices", "invoice-notification", "seed_invoice_generated.json",
         ["forwardOrderCode", "forwardShipmentCode", "notificationType", "invoiceData"]),
        ("order-postings", "order-posting", "seed_outward_order_create.json",
         ["messageId", "eventType", "orderCode", "partnerCode", "partnerLocationCode", "isPriority", "locationCode",
          "channelName", "orderTime", "orderType", "paymentMethod", "eventTime", "orderItems", "shippingAddress",
          "billingAddress"]),
    ]

    static func headers(_ relay: TestRelay, token: String? = nil) -> HTTPFields {
        [.contentType: "application/json", .authorization: "Bearer \(token ?? relay.secrets["API"]!)"]
    }

    @Test("each route accepts the seed's example (202) and stores one pending delivery", arguments: routes.map(\.path))
    func accepted(_ path: String) async throws {
        let route = try #require(Self.routes.first { $0.path == path })
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            let body = try Self.example(route.folder, route.example)
            let response = try await client.execute(uri: "/v1/clients/acme/\(path)", method: .post,
                                                    headers: Self.headers(relay), body: ByteBuffer(bytes: body.serializedBytes()))
            #expect(response.status == .accepted)
            #expect(response.json?["status"] == "accepted")
            #expect(response.json?["notificationId"]?.text?.hasPrefix("ntf_") == true)
            let endpoint = path == "return-acks" ? "acme/return_ack" : path == "invoices" ? "acme/notification" : "acme/order_posting"
            #expect(try relay.count("SELECT count(*) FROM deliveries WHERE endpoint = '\(endpoint)'") == 1)
        }
    }

    /// Posts `path`'s example with `field` set to `value` (nil: left out); expects a 400 naming the field and
    /// nothing queued.
    static func expectRefused(_ path: String, field: String, value: JSONValue?) async throws {
        let route = try #require(Self.routes.first { $0.path == path })
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            var body = try #require(try Self.example(route.folder, route.example).object)
            body[field] = value
            let response = try await client.execute(uri: "/v1/clients/acme/\(path)", method: .post,
                                                    headers: Self.headers(relay),
                                                    body: ByteBuffer(bytes: JSONValue.object(body).serializedBytes()))
            #expect(response.status == .badRequest)
            #expect(response.json?["field"]?.text == field)
            #expect(response.json?["detail"]?.text?.hasPrefix(field) == true)
            #expect(try relay.count("SELECT count(*) FROM deliveries") == 0)
        }
    }

    @Test("400 names the missing field", arguments: routes.flatMap { route in route.required.map { (route.path, $0) } })
    func missingField(_ example: (path: String, field: String)) async throws {
        try await Self.expectRefused(example.path, field: example.field, value: nil)
    }

    @Test("return ack: qcStatus must be PASS or FAIL, imageUrls only with FAIL")
    func returnAckRules() async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            var body = try #require(try Self.example("return-ack", "seed_qc_fail.json").object)
            var item = try #require(body["orderItems"]?.array?.first?.object)
            item["qcStatus"] = "MAYBE"
            body["orderItems"] = [.object(item)]
            var response = try await client.execute(uri: "/v1/clients/acme/return-acks", method: .post,
                                                    headers: Self.headers(relay), body: ByteBuffer(bytes: JSONValue.object(body).serializedBytes()))
            #expect(response.json?["field"] == "orderItems[0].qcStatus")
            item["qcStatus"] = "PASS"
            item["imageUrls"] = ["https://img.example/1.jpg"]
            body["orderItems"] = [.object(item)]
            response = try await client.execute(uri: "/v1/clients/acme/return-acks", method: .post,
                                                headers: Self.headers(relay), body: ByteBuffer(bytes: JSONValue.object(body).serializedBytes()))
            #expect(response.status == .badRequest)
            #expect(response.json?["field"] == "orderItems[0].imageUrls")
        }
    }

    @Test("401 without or with a wrong api_token", arguments: routes.map(\.path) + ["shipments/AWB1"])
    func unauthorized(_ path: String) async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            let method: HTTPRequest.Method = path.hasPrefix("shipments") ? .put : .post
            let wrong = try await client.execute(uri: "/v1/clients/acme/\(path)", method: method,
                                                 headers: Self.headers(relay, token: "wrong"), body: ByteBuffer(string: "{}"))
            #expect(wrong.status == .unauthorized)
            let missing = try await client.execute(uri: "/v1/clients/acme/\(path)", method: method,
                                                   headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}"))
            #expect(missing.status == .unauthorized)
        }
    }

    @Test("a repeated order posting messageId is accepted and not sent again")
    func duplicateMessageId() async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            let body = try Self.example("order-posting", "seed_outward_order_create.json")
            let first = try await client.execute(uri: "/v1/clients/acme/order-postings", method: .post,
                                                 headers: Self.headers(relay), body: ByteBuffer(bytes: body.serializedBytes()))
            let second = try await client.execute(uri: "/v1/clients/acme/order-postings", method: .post,
                                                  headers: Self.headers(relay), body: ByteBuffer(bytes: body.serializedBytes()))
            #expect(first.json?["status"] == "accepted")
            #expect(second.status == .accepted)
            #expect(second.json?["status"] == "duplicate")
            #expect(second.json?["notificationId"] == first.json?["notificationId"])
            #expect(try relay.count("SELECT count(*) FROM deliveries") == 1)
        }
    }

    @Test("shipment registry: PUT, GET, DELETE; a registered AWB's notification carries the order data")
    func registryEnrichment() async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            let registration: JSONValue = [
                "forwardOrderCode": "ORD-9", "forwardShipmentCode": "SHP-9", "warehouseCode": "WH-1",
                "items": [["itemId": "1", "sku": "SKU-1", "quantity": 2]],
            ]
            let put = try await client.execute(uri: "/v1/clients/acme/shipments/REG-1", method: .put,
                                               headers: Self.headers(relay), body: ByteBuffer(bytes: registration.serializedBytes()))
            #expect(put.status == .ok)
            let get = try await client.execute(uri: "/v1/clients/acme/shipments/REG-1", method: .get, headers: Self.headers(relay))
            #expect(get.json?["warehouseCode"] == "WH-1")
            // A Clickpost DELIVERED for the AWB.
            let callback = #"{"waybill":"REG-1","account_code":"DEL","timestamp":"2024-03-08T06:12:00Z","clickpost_status_code":8,"additional":{"order_id":"CB-ORDER"}}"#
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[HTTPField.Name("webhook_key")!] = relay.secrets["CP_KEY"]!
            _ = try await client.execute(uri: "/v1/callbacks/clickpost/acme", method: .post, headers: headers,
                                         body: ByteBuffer(string: callback))
            #expect(try await relay.eventually { try relay.count("SELECT count(*) FROM notifications WHERE awb = 'REG-1'") == 1 })
            let payload = try #require(try relay.query("SELECT payload FROM notifications WHERE awb = 'REG-1'") { $0.blob(0) }.first)
            let notification = try JSONValue.parse(payload)
            #expect(notification["forwardOrderCode"] == "ORD-9")
            #expect(notification["forwardShipmentCode"] == "SHP-9")
            #expect(notification["warehouseCode"] == "WH-1")
            #expect(notification["items"] == [["itemId": "1", "sku": "SKU-1", "quantity": 2]])
            let delete = try await client.execute(uri: "/v1/clients/acme/shipments/REG-1", method: .delete, headers: Self.headers(relay))
            #expect(delete.status == .noContent)
            let gone = try await client.execute(uri: "/v1/clients/acme/shipments/REG-1", method: .get, headers: Self.headers(relay))
            #expect(gone.status == .notFound)
        }
    }

    @Test("an order code over 256 characters is refused with 400 (the relay keys deliveries by it)",
          arguments: routes.map(\.path))
    func longOrderCode(_ path: String) async throws {
        try await Self.expectRefused(path, field: path == "order-postings" ? "orderCode" : "forwardOrderCode",
                                     value: .string(String(repeating: "O", count: 257)))
    }

    @Test("a shipment route's waybill must be 1 to 256 bytes without control characters: 400 invalid_awb otherwise")
    func hostileWaybill() async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            let registration: JSONValue = ["forwardOrderCode": "ORD-1"]
            for awb in [String(repeating: "W", count: 257), "BAD%00", "BAD%0A"] {
                for method: HTTPRequest.Method in [.put, .get, .delete] {
                    let response = try await client.execute(
                        uri: "/v1/clients/acme/shipments/\(awb)", method: method, headers: Self.headers(relay),
                        body: method == .put ? ByteBuffer(bytes: registration.serializedBytes()) : nil)
                    #expect(response.status == .badRequest, "\(method) \(awb.prefix(8))")
                    #expect(response.json?["error"] == "invalid_awb")
                }
            }
            let longest = String(repeating: "W", count: 256)
            let put = try await client.execute(uri: "/v1/clients/acme/shipments/\(longest)", method: .put,
                                               headers: Self.headers(relay),
                                               body: ByteBuffer(bytes: registration.serializedBytes()))
            #expect(put.status == .ok)
        }
    }

    @Test("registering, showing and removing a registration answer 503 storage_unavailable when the store fails")
    func registryStoreFailure() async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            // A real store failing for real: its table is gone under it.
            try SQLiteConnection(path: relay.databasePath).execute("DROP TABLE shipment_registry")
            let registration: JSONValue = ["forwardOrderCode": "ORD-1"]
            for method: HTTPRequest.Method in [.put, .get, .delete] {
                let response = try await client.execute(
                    uri: "/v1/clients/acme/shipments/REG-FAIL", method: method, headers: Self.headers(relay),
                    body: method == .put ? ByteBuffer(bytes: registration.serializedBytes()) : nil)
                #expect(response.status == .serviceUnavailable, "\(method)")
                #expect(response.json?["error"] == "storage_unavailable", "\(method)")
                #expect(response.headers[.retryAfter] == "5", "\(method)")
            }
        }
    }
}
