import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import RelayCore
import RelayStore
import Testing

/// Route tests for each aggregator (issue acceptance): accepted, duplicate, 401 wrong and missing, 404,
/// 400 + quarantine, 413, GET probe, rotated secret, form-encoded Shipway.
@Suite("Callback routes")
struct CallbackRouteTests {
    static func payload(_ aggregator: Aggregator, awb: String) -> String {
        switch aggregator {
        case .clickpost:
            #"{"waybill":"\#(awb)","account_code":"DEL","status":"OFD","timestamp":"2024-03-07T04:00:00Z","clickpost_status_code":6,"additional":{"order_id":"O-\#(awb)"}}"#
        case .shiprocket:
            #"{"awb":"\#(awb)","courier_name":"X","current_status_id":7,"shipment_status_id":7,"current_timestamp":"08 03 2024 11:42:00","order_id":"O-\#(awb)","is_return":0}"#
        case .shipway:
            #"{"status_feed":[{"order_id":"O-\#(awb)","awbno":"\#(awb)","current_status":"DEL","status_time":"2024-03-08 11:42:00"}]}"#
        case .eshipz:
            #"{"order_id":"O-\#(awb)","tracking_number":"\#(awb)","carrier":"bluedart","tracking_status":"Delivered","tracking_checkpoint_datetime":"2024-03-08 11:42:00"}"#
        }
    }

    /// The correct credentials of each aggregator, current or previous (rotated) secret.
    static func authorized(_ aggregator: Aggregator, _ relay: TestRelay, previous: Bool = false,
                           body: inout String) -> (path: String, headers: HTTPFields) {
        var headers: HTTPFields = [.contentType: "application/json"]
        var path = "/v1/callbacks/\(aggregator.defaultSegment)/acme"
        switch aggregator {
        case .clickpost: headers[HTTPField.Name("webhook_key")!] = relay.secrets[previous ? "CP_KEY_OLD" : "CP_KEY"]!
        case .shiprocket: headers[HTTPField.Name("x-api-key")!] = relay.secrets[previous ? "SR_TOKEN_OLD" : "SR_TOKEN"]!
        case .shipway:
            let hash = TestRelay.md5Hex("ops@acme.example:\(relay.secrets[previous ? "SW_LICENCE_OLD" : "SW_LICENCE"]!)")
            body = #"{"hash":"\#(hash)","#.appending(body.dropFirst())
            path += ""
        case .eshipz: headers[HTTPField.Name("X-Webhook-Token")!] = relay.secrets[previous ? "EZ_TOKEN_OLD" : "EZ_TOKEN"]!
        }
        return (path, headers)
    }

    @Test("accepted, then duplicate, then normalised into a notification", arguments: Aggregator.allCases)
    func acceptedAndDuplicate(_ aggregator: Aggregator) async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            var body = Self.payload(aggregator, awb: "AWB-\(aggregator.rawValue)")
            let request = Self.authorized(aggregator, relay, body: &body)
            let first = try await client.execute(uri: request.path, method: .post, headers: request.headers,
                                                 body: ByteBuffer(text: body))
            #expect(first.status == .ok)
            #expect(first.json?["status"] == "accepted")
            #expect(first.json?["callbackId"]?.text?.hasPrefix("cb_") == true)
            let second = try await client.execute(uri: request.path, method: .post, headers: request.headers,
                                                  body: ByteBuffer(text: body))
            #expect(second.status == .ok)
            #expect(second.json?["status"] == "duplicate")
            #expect(try await relay.eventually { try relay.count("SELECT count(*) FROM notifications") == 1 })
            #expect(try relay.count("SELECT count(*) FROM deliveries WHERE state = 'pending'") == 1)
        }
    }

    @Test("a rotated (previous) secret is still accepted", arguments: Aggregator.allCases)
    func rotatedSecret(_ aggregator: Aggregator) async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            var body = Self.payload(aggregator, awb: "ROT-1")
            let request = Self.authorized(aggregator, relay, previous: true, body: &body)
            let response = try await client.execute(uri: request.path, method: .post, headers: request.headers,
                                                    body: ByteBuffer(text: body))
            #expect(response.status == .ok)
        }
    }

    @Test("the second form of authentication works", arguments: Aggregator.allCases)
    func secondForm(_ aggregator: Aggregator) async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            var headers: HTTPFields = [.contentType: "application/json"]
            var path = "/v1/callbacks/\(aggregator.defaultSegment)/acme"
            switch aggregator {
            case .clickpost: headers[.authorization] = relay.secrets["CP_AUTH"]!
            case .shiprocket: headers[HTTPField.Name("x-api-key")!] = relay.secrets["SR_TOKEN"]!
            case .shipway: path += "?token=\(relay.secrets["SW_PATH"]!)"
            case .eshipz:
                headers[.authorization] = "Basic " + Base64.encode(Array("eshipz:\(relay.secrets["EZ_BASIC"]!)".utf8))
            }
            let response = try await client.execute(uri: path, method: .post, headers: headers,
                                                    body: ByteBuffer(text: Self.payload(aggregator, awb: "F2")))
            #expect(response.status == .ok)
            if aggregator == .shipway {
                let suffix = try await client.execute(
                    uri: "/v1/callbacks/shipway/acme/\(relay.secrets["SW_PATH"]!)", method: .post, headers: headers,
                    body: ByteBuffer(text: Self.payload(aggregator, awb: "F3")))
                #expect(suffix.status == .ok)
            }
        }
    }

    @Test("401 for a wrong and for a missing secret; nothing stored", arguments: Aggregator.allCases)
    func unauthorized(_ aggregator: Aggregator) async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            let path = "/v1/callbacks/\(aggregator.defaultSegment)/acme"
            var wrong: HTTPFields = [.contentType: "application/json"]
            var body = Self.payload(aggregator, awb: "U1")
            switch aggregator {
            case .clickpost: wrong[HTTPField.Name("webhook_key")!] = "wrong"
            case .shiprocket: wrong[HTTPField.Name("x-api-key")!] = "wrong"
            case .shipway: body = #"{"hash":"00000000000000000000000000000000","#.appending(body.dropFirst())
            case .eshipz: wrong[HTTPField.Name("X-Webhook-Token")!] = "wrong"
            }
            let wrongResponse = try await client.execute(uri: path, method: .post, headers: wrong,
                                                         body: ByteBuffer(text: body))
            #expect(wrongResponse.status == .unauthorized)
            #expect(wrongResponse.json?["error"] == "unauthorized")
            let missing = try await client.execute(uri: path, method: .post, headers: [.contentType: "application/json"],
                                                   body: ByteBuffer(text: Self.payload(aggregator, awb: "U2")))
            #expect(missing.status == .unauthorized)
            #expect(try relay.count("SELECT count(*) FROM callbacks") == 0)
        }
    }

    @Test("404 for an unknown client", arguments: Aggregator.allCases)
    func unknownClient(_ aggregator: Aggregator) async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            let response = try await client.execute(uri: "/v1/callbacks/\(aggregator.defaultSegment)/nobody",
                                                    method: .post, headers: [.contentType: "application/json"],
                                                    body: ByteBuffer(text: "{}"))
            #expect(response.status == .notFound)
            #expect(response.json?["error"] == "unknown_client")
        }
    }

    @Test("400 with the reason, and the raw bytes kept in quarantine", arguments: Aggregator.allCases)
    func rejectedAndQuarantined(_ aggregator: Aggregator) async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            var body = #"{"unexpected":"shape","n":[1,2,3]}"#
            var request = Self.authorized(aggregator, relay, body: &body)
            if aggregator == .shipway { request.path += "?token=\(relay.secrets["SW_PATH"]!)" }
            let garbage = aggregator == .shipway ? body : "this is {not json"
            let response = try await client.execute(uri: request.path, method: .post, headers: request.headers,
                                                    body: ByteBuffer(text: garbage))
            #expect(response.status == .badRequest)
            #expect(response.json?["error"]?.text != nil)
            #expect(response.json?["detail"]?.text != nil)
            let kept = try relay.query("SELECT body FROM callbacks WHERE status = 'rejected'") { $0.blob(0) }
            #expect(kept == [Array(garbage.utf8)])
        }
    }

    @Test("413 above the body limit", arguments: Aggregator.allCases)
    func tooLarge(_ aggregator: Aggregator) async throws {
        let relay = try TestRelay(maxBodyBytes: 1 << 20)
        defer { relay.cleanUp() }
        try await relay.test { client in
            var body = "{\"pad\":\"" + String(repeating: "x", count: (1 << 20) + 10) + "\"}"
            let request = Self.authorized(aggregator, relay, body: &body)
            let response = try await client.execute(uri: request.path, method: .post, headers: request.headers,
                                                    body: ByteBuffer(text: body))
            #expect(response.status == .contentTooLarge)
        }
    }

    @Test("GET on every callback route answers 200 {\"status\":\"ok\"} (Shiprocket's save-time probe)",
          arguments: Aggregator.allCases)
    func probe(_ aggregator: Aggregator) async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            let response = try await client.execute(uri: "/v1/callbacks/\(aggregator.defaultSegment)/acme", method: .get)
            #expect(response.status == .ok)
            #expect(response.json == ["status": "ok"])
        }
    }

    @Test("Shipway form-encoded body is accepted and normalised")
    func shipwayForm() async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            let hash = TestRelay.md5Hex("ops@acme.example:\(relay.secrets["SW_LICENCE"]!)")
            let feed = #"[{"order_id":"F-1","awbno":"FORM-1","current_status":"PKP","status_time":"2024-03-04 15:32:00"}]"#
            let encoded = feed.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let response = try await client.execute(
                uri: "/v1/callbacks/shipway/acme", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(text: "hash=\(hash)&status_feed=\(encoded)"))
            #expect(response.status == .ok)
            #expect(try await relay.eventually {
                try relay.count("SELECT count(*) FROM notifications WHERE awb = 'FORM-1' AND type = 'PICKED_UP'") == 1
            })
        }
    }

    @Test("Shiprocket's empty test POST is answered 200")
    func shiprocketTestPing() async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            let response = try await client.execute(
                uri: "/v1/callbacks/st/acme", method: .post,
                headers: [HTTPField.Name("x-api-key")!: relay.secrets["SR_TOKEN"]!], body: ByteBuffer(text: ""))
            #expect(response.status == .ok)
        }
    }

    @Test("secrets are never stored with the callback's headers")
    func noSecretsStored() async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            var body = Self.payload(.clickpost, awb: "S1")
            let request = Self.authorized(.clickpost, relay, body: &body)
            _ = try await client.execute(uri: request.path, method: .post, headers: request.headers,
                                         body: ByteBuffer(text: body))
            let headers = try relay.query("SELECT headers FROM callbacks") { $0.text(0) ?? "" }
            #expect(headers.count == 1)
            #expect(!headers[0].contains(relay.secrets["CP_KEY"]!))
        }
    }
}
