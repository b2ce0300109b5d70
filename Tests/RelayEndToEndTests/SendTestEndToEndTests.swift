import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// `relay send-test`, `POST /admin/v1/endpoints/{id}/test` and the `/ops` button (issue #16): a signed sample,
/// not stored, against a real receiver on 127.0.0.1 and against a dead port.
@Suite("Send test (real binary)", .serialized)
struct SendTestEndToEndTests {
    func sendTest(_ fixture: RelayFixture, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await ChildProcess.run(
            RelayProcess.binary,
            ["send-test", "--client", "e2e"] + arguments + [
                "--url", "http://127.0.0.1:\(fixture.port)", "--token", fixture.adminToken,
            ], withStandardError: true)
    }

    func post(_ url: String, headers: [(String, String)], body: String) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    @Test("send-test prints the receiver's status, time and body; the sample is signed, marked test and not stored")
    func sendTestToAReceiver() async throws {
        let receiver = TestReceiver { request, _ in
            request.path == "/refuse"
                ? .init(status: .unauthorized, body: #"{"error":"bad signature"}"#)
                : .init(status: .ok, body: #"{"received":"yes"}"#)
        }
        try await receiver.start()
        let fixture = try RelayFixture(
            notificationURL: receiver.url + "/n", omsBaseURL: receiver.url,
            extraConfig: """
                      extra:
                        - { name: refuse, url: "\(receiver.url)/refuse", types: [RTO_DELIVERED], signing_secret: "\(PHPReceiverEndToEndTests.newSecret())" }
                """)
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])

        // when: a test send of a DELIVERED to the notification endpoint
        let run = try await sendTest(fixture, ["--endpoint", "notification", "--type", "DELIVERED"])
        print("relay send-test (receiver):\n\(run.output)")
        // then: the answer is printed and the receiver got a signed DELIVERED sample, marked as a test
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("e2e/notification: POST http://127.0.0.1:"))
        #expect(run.output.contains("delivered: 200 in "))
        #expect(run.output.contains(#"body: {"received":"yes"}"#))
        let sample = try #require(receiver.requests(path: "/n").first)
        #expect(sample.headers["webhook-attempt-trigger"] == "test")
        let id = try #require(sample.headers["webhook-id"])
        let timestamp = try #require(sample.headers["webhook-timestamp"].flatMap { Int64($0) })
        #expect(id.hasPrefix("ntf_test_"))
        #expect(
            sample.headers["webhook-signature"]
                == WebhookSigner(secrets: fixture.signingSecrets).signature(
                    id: id, timestamp: timestamp, body: sample.body))
        let payload = try JSONValue.parse(sample.body)
        #expect(payload["notificationType"] == "DELIVERED")
        #expect(payload["logisticAggregatorInfo"]?["logisticAggregatorMetaData"] == ["Account Code": "ACME01"])

        // and: the return-ack sample goes by PUT; an extra endpoint's default type is its first subscribed type
        #expect(try await sendTest(fixture, ["--endpoint", "return_ack"]).status == 0)
        #expect(receiver.requests(path: "/ack").first?.method == "PUT")
        let refused = try await sendTest(fixture, ["--endpoint", "refuse"])
        print("relay send-test (401):\n\(refused.output)")
        #expect(refused.status == 1)
        #expect(refused.output.contains("FAILED (http_4xx): 401 in "))
        #expect(refused.output.contains("bad signature"))
        #expect(
            try JSONValue.parse(try #require(receiver.requests(path: "/refuse").first).body)["notificationType"]
                == "RTO_DELIVERED")

        // and: the admin API answers the same as JSON; unknown endpoints and bad types are refused
        let auth = [("authorization", "Bearer \(fixture.adminToken)")]
        let (status, text) = try await post(
            "http://127.0.0.1:\(fixture.port)/admin/v1/endpoints/e2e/order_posting/test",
            headers: auth, body: "")
        #expect(status == 200)
        let answer = try JSONValue.parse(Array(text.utf8))
        #expect(answer["delivered"] == true)
        #expect(answer["status"] == 200)
        #expect(answer["method"] == "POST")
        #expect(answer["failureClass"] == .null)
        #expect(
            try await post("http://127.0.0.1:\(fixture.port)/admin/v1/endpoints/e2e/nope/test", headers: auth, body: "")
                .0 == 404)
        #expect(
            try await post(
                "http://127.0.0.1:\(fixture.port)/admin/v1/endpoints/e2e/notification/test", headers: auth,
                body: #"{"type":"not a type"}"#
            ).0 == 400)
        #expect(
            try await post(
                "http://127.0.0.1:\(fixture.port)/admin/v1/endpoints/e2e/notification/test", headers: [],
                body: ""
            ).0 == 401)

        // and: the /ops button shows the answer
        // (sign in: a server-side session; the form carries the session's CSRF token and the relay's origin)
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let browser = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { Task { try? await browser.shutdown() } }
        let cookie = ("cookie", try await fixture.signInToOps(using: browser))
        let (_, endpointsPage) = try await getPage("http://127.0.0.1:\(fixture.port)/ops/endpoints", cookie: cookie)
        #expect(endpointsPage.contains(#"action="/ops/endpoint-test/e2e/notification""#))
        let csrf = try #require(endpointsPage.range(of: #"name="csrf" value=""#).map { range in
            String(endpointsPage[range.upperBound...].prefix { $0 != "\"" })
        })
        let (opsStatus, html) = try await post(
            "http://127.0.0.1:\(fixture.port)/ops/endpoint-test/e2e/notification",
            headers: [cookie, ("content-type", "application/x-www-form-urlencoded"),
                      ("origin", "http://127.0.0.1:\(fixture.port)")], body: "csrf=\(csrf)")
        #expect(opsStatus == 200)
        #expect(html.contains("Delivered: 200 in "), "\(html.prefix(3000))")
        // without the CSRF token the form is refused and nothing is sent
        let (withoutToken, _) = try await post(
            "http://127.0.0.1:\(fixture.port)/ops/endpoint-test/e2e/notification",
            headers: [cookie, ("content-type", "application/x-www-form-urlencoded")], body: "")
        #expect(withoutToken == 403)

        // then: none of it was stored as a delivery
        #expect(try fixture.count("SELECT count(*) FROM deliveries") == 0)
        #expect(try fixture.count("SELECT count(*) FROM attempts") == 0)
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }

    func getPage(_ url: String, cookie: (String, String)) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: cookie.0, value: cookie.1)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    @Test("send-test to a dead port prints the failure class connect and exits 1")
    func sendTestToADeadPort() async throws {
        let dead = RelayProcess.freePort()  // nothing listens there
        let fixture = try RelayFixture(notificationURL: "http://127.0.0.1:\(dead)/n")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        let run = try await sendTest(fixture, ["--endpoint", "notification"])
        print("relay send-test (dead port):\n\(run.output)")
        #expect(run.status == 1)
        #expect(run.output.contains("FAILED (connect) after "), "\(run.output)")
        let json = try await sendTest(fixture, ["--endpoint", "notification", "--json"])
        #expect(json.status == 1)
        let answer = try JSONValue.parse(Array(json.output.utf8))
        #expect(answer["failureClass"] == "connect")
        #expect(answer["delivered"] == false)
        #expect(answer["status"] == .null)
        // an endpoint that is not configured: the relay's 404, exit 2
        let unknown = try await sendTest(fixture, ["--endpoint", "erp"])
        #expect(unknown.status == 2)
        #expect(unknown.output.contains("unknown_endpoint"), "\(unknown.output)")
        #expect(try fixture.count("SELECT count(*) FROM deliveries") == 0)
        #expect(await relay.terminate() == 0)
    }
}
