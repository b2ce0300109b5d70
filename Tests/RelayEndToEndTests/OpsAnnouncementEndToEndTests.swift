import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// What ops see of their own actions and of each endpoint's queue (issue #15): endpoint toggles announced by log line
/// and operational webhook, and per-endpoint queue gauges on /metrics.
@Suite("Ops announcements and per-endpoint gauges end to end (real binary)")
struct OpsAnnouncementEndToEndTests {
    static func secret() -> String {
        "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    /// The parsed bodies of the ops webhooks received so far.
    static func messages(_ receiver: TestReceiver) -> [JSONValue] {
        receiver.requests.compactMap { try? JSONValue.parse($0.body) }
    }

    @Test("admin API disables, then enables an endpoint: signed endpoint.disabled, then endpoint.enabled, one log line each")
    func endpointToggleAnnounced() async throws {
        let ops = TestReceiver()
        try await ops.start()
        let opsSecret = Self.secret()
        let fixture = try RelayFixture(extraConfig: """
            ops_webhook: { url: "\(ops.url)/ops", signing_secret: "\(opsSecret)" }
            """)
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: ["--no-delivery", "--log-format", "json", "--log-level", "info"])
        func waitFor(_ type: String) async throws -> JSONValue {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, !Self.messages(ops).contains(where: { $0["type"]?.text == type }) {
                try await Task.sleep(for: .milliseconds(100))
            }
            return try #require(Self.messages(ops).first { $0["type"]?.text == type },
                                "no \(type) ops webhook: \(Self.messages(ops))")
        }

        // when: ops disable the endpoint through the admin API
        let (disableStatus, disabled) = try await fixture.admin(.POST, "endpoints/e2e/notification/disable")
        #expect(disableStatus == 200 && disabled["status"]?.text == "disabled")
        // then: endpoint.disabled arrives, naming the endpoint, the token and the reason
        let disabledMessage = try await waitFor("endpoint.disabled")
        let disabledEvent = try #require(disabledMessage["data"]?["events"]?.array?.first)
        #expect(disabledMessage["data"]?["count"]?.integer == 1)
        #expect(disabledEvent["client"]?.text == "e2e" && disabledEvent["endpoint"]?.text == "e2e/notification")
        #expect(disabledEvent["actor"]?.text == "admin" && disabledEvent["reason"]?.text == "disabled by ops")

        // when: ops enable it again
        let (enableStatus, enabled) = try await fixture.admin(.POST, "endpoints/e2e/notification/enable")
        #expect(enableStatus == 200 && enabled["status"]?.text == "enabled")
        // then: endpoint.enabled arrives after it
        let enabledMessage = try await waitFor("endpoint.enabled")
        let enabledEvent = try #require(enabledMessage["data"]?["events"]?.array?.first)
        #expect(enabledEvent["endpoint"]?.text == "e2e/notification" && enabledEvent["actor"]?.text == "admin")
        #expect(enabledEvent["reason"]?.text == "enabled by ops")
        let types = Self.messages(ops).compactMap { $0["type"]?.text }
        #expect(types == ["endpoint.disabled", "endpoint.enabled"], "\(types)")

        // and: every ops webhook is signed with the ops secret
        for request in ops.requests {
            let id = try #require(request.headers["webhook-id"])
            let timestamp = try #require(request.headers["webhook-timestamp"].flatMap { Int64($0) })
            let expected = WebhookSigner(secrets: [opsSecret])
                .signature(id: id, timestamp: timestamp, body: request.body)
            #expect(request.headers["webhook-signature"] == expected, "ops webhook \(id) is not signed with the secret")
        }
        // and: the audit log has both, with the token's name
        let (_, audit) = try await fixture.admin(.GET, "audit")
        let actions = audit["items"]?.array?.compactMap { $0["action"]?.text } ?? []
        #expect(actions.prefix(2) == ["endpoint_enable", "endpoint_disable"], "\(actions)")

        _ = await relay.terminate()
        // and: exactly one info line each, with client, endpoint, actor and reason, and no secret
        let log = try String(contentsOfFile: relay.logPath, encoding: .utf8)
        let lines = log.split(separator: "\n").compactMap { try? JSONValue.parse(Array($0.utf8)) }
        for (message, reason) in [("endpoint disabled by ops", "disabled by ops"),
                                  ("endpoint enabled by ops", "enabled by ops")] {
            let matching = lines.filter { $0["message"]?.text == message }
            #expect(matching.count == 1, "\(message):\n\(log)")
            let line = try #require(matching.first)
            #expect(line["level"]?.text == "info")
            #expect(line["client"]?.text == "e2e" && line["endpoint"]?.text == "e2e/notification")
            #expect(line["actor"]?.text == "admin" && line["reason"]?.text == reason)
        }
        #expect(lines.filter { ($0["message"]?.text ?? "").hasPrefix("endpoint ") }.count == 2, "\(log)")
        for secret in [fixture.adminToken, opsSecret] + fixture.signingSecrets {
            #expect(!log.contains(secret))
        }
        await ops.stop()
    }

    /// POSTs with `headers`; returns the status.
    static func post(_ url: String, headers: [(String, String)], body: String, client: HTTPClient) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    @Test("the /ops disable form sends endpoint.disabled too; a replayed dead letter is logged once with its count")
    func opsPageToggleAndReplayAnnounced() async throws {
        let receiver = TestReceiver { _, _ in .init(status: .badRequest) }
        try await receiver.start()
        let ops = TestReceiver()
        try await ops.start()
        let fixture = try RelayFixture(notificationURL: receiver.url + "/n", retrySchedule: "[0.05]", extraConfig: """
            ops_webhook: { url: "\(ops.url)/ops", signing_secret: "\(Self.secret())", events: [endpoint.disabled] }
            """)
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: ["--log-format", "json", "--log-level", "info"])

        // given: a dead letter (400 twice)
        #expect(try await fixture.postClickpost(awb: "ANN0001") != nil)
        var letters: [JSONValue] = []
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, letters.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            letters = try await fixture.admin(.GET, "dead-letters").1["items"]?.array ?? []
        }
        let letter = try #require(letters.first?["id"]?.text)
        // when: replayed through the admin API
        let (replayStatus, _) = try await fixture.admin(.POST, "dead-letters/\(letter)/replay")
        #expect(replayStatus == 202)

        // when: the endpoint is disabled through the /ops form (session, same origin, CSRF token)
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let browser = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { Task { try? await browser.shutdown() } }
        let cookie = ("cookie", try await fixture.signInToOps(using: browser))
        var page = HTTPClientRequest(url: "http://127.0.0.1:\(fixture.port)/ops/endpoints")
        page.headers.add(name: cookie.0, value: cookie.1)
        let endpointsPage = String(buffer: try await browser.execute(page, timeout: .seconds(10)).body
            .collect(upTo: 1 << 20))
        let csrf = try #require(endpointsPage.range(of: #"name="csrf" value=""#).map { range in
            String(endpointsPage[range.upperBound...].prefix { $0 != "\"" })
        })
        let formStatus = try await Self.post(
            "http://127.0.0.1:\(fixture.port)/ops/endpoints/e2e/notification/disable",
            headers: [cookie, ("content-type", "application/x-www-form-urlencoded"),
                      ("origin", "http://127.0.0.1:\(fixture.port)")], body: "csrf=\(csrf)", client: browser)
        #expect(formStatus == 303)

        // then: endpoint.disabled arrives, from the page
        let until = Date().addingTimeInterval(30)
        while Date() < until, !Self.messages(ops).contains(where: { $0["type"]?.text == "endpoint.disabled" }) {
            try await Task.sleep(for: .milliseconds(100))
        }
        let message = try #require(Self.messages(ops).first { $0["type"]?.text == "endpoint.disabled" })
        let event = try #require(message["data"]?["events"]?.array?.first)
        #expect(event["endpoint"]?.text == "e2e/notification" && event["actor"]?.text == "admin")
        #expect(event["reason"]?.text == "disabled by ops")

        _ = await relay.terminate()
        // and: one info line for each action, saying how it came
        let log = try String(contentsOfFile: relay.logPath, encoding: .utf8)
        let lines = log.split(separator: "\n").compactMap { try? JSONValue.parse(Array($0.utf8)) }
        let replayed = lines.filter { $0["message"]?.text == "dead letters replayed" }
        #expect(replayed.count == 1, "\(log)")
        #expect(replayed.first?["count"]?.text == "1" && replayed.first?["dead_letter"]?.text == letter)
        #expect(replayed.first?["via"]?.text == "api" && replayed.first?["level"]?.text == "info")
        let disabled = lines.filter { $0["message"]?.text == "endpoint disabled by ops" }
        #expect(disabled.count == 1, "\(log)")
        #expect(disabled.first?["via"]?.text == "ops" && disabled.first?["actor"]?.text == "admin")
        await receiver.stop()
        await ops.stop()
    }

    /// The value of `family{client="e2e", endpoint=…}` in a /metrics text, if present.
    static func sample(_ text: String, _ family: String, endpoint: String) -> Double? {
        text.split(separator: "\n").first { line in
            line.hasPrefix(family + "{") && line.contains("client=\"e2e\"") && line.contains("endpoint=\"\(endpoint)\"")
        }.flatMap { $0.split(separator: " ").last }.flatMap { Double(String($0)) }
    }

    /// Polls /metrics (sampled every 10 s) until `done` holds for its text; returns the last text.
    static func metrics(port: Int, until done: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(60)
        var text = ""
        repeat {
            let response = try await RelayFixture.client(for: port).execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(5))
            text = String(buffer: try await response.body.collect(upTo: 8 << 20))
            if done(text) { return text }
            try await Task.sleep(for: .milliseconds(500))
        } while Date() < deadline
        return text
    }

    @Test("/metrics: per-endpoint pending, oldest due age and dead letters of an endpoint that is down and of one with a dead letter")
    func perEndpointGauges() async throws {
        // notification: nothing listens (connect fails; the next try is an hour away); erp: answers 410 (dead letter).
        let gone = TestReceiver { _, _ in .init(status: .gone) }
        try await gone.start()
        let fixture = try RelayFixture(
            notificationURL: "http://127.0.0.1:\(RelayProcess.freePort())/n", retrySchedule: "[3600]",
            extraConfig: """
                      extra: [{ name: erp, url: "\(gone.url)/erp", signing_secret: "\(Self.secret())" }]
                """)
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        #expect(try await fixture.postClickpost(awb: "GAU0001") != nil)

        // then: notification has one pending delivery not yet due again, erp one dead letter and nothing pending
        let pending = "relay_endpoint_pending_deliveries"
        let age = "relay_endpoint_oldest_due_age_seconds"
        let dead = "relay_endpoint_dead_letters"
        var text = try await Self.metrics(port: fixture.port) { text in
            Self.sample(text, pending, endpoint: "notification") == 1
                && Self.sample(text, dead, endpoint: "extra/erp") == 1
        }
        #expect(Self.sample(text, pending, endpoint: "notification") == 1, "\(text)")
        #expect(Self.sample(text, age, endpoint: "notification") == 0)
        #expect(Self.sample(text, dead, endpoint: "notification") == 0)
        #expect(Self.sample(text, pending, endpoint: "extra/erp") == 0)
        #expect(Self.sample(text, age, endpoint: "extra/erp") == 0)
        #expect(Self.sample(text, dead, endpoint: "extra/erp") == 1)
        for family in [pending, age, dead] {
            #expect(text.contains("# HELP \(family) "), "no # HELP for \(family)")
        }

        // when: notification is disabled and another shipment comes: its delivery is due now but waits
        let (status, _) = try await fixture.admin(.POST, "endpoints/e2e/notification/disable")
        #expect(status == 200)
        // The delivery loop re-reads disabled endpoints at most once a second (before it claims).
        try await Task.sleep(for: .seconds(3))
        #expect(try await fixture.postClickpost(awb: "GAU0002") != nil)
        // then: two pending, and the oldest due one is late (its age grows with each sample)
        text = try await Self.metrics(port: fixture.port) { text in
            Self.sample(text, pending, endpoint: "notification") == 2
                && (Self.sample(text, age, endpoint: "notification") ?? 0) > 0
        }
        #expect(Self.sample(text, pending, endpoint: "notification") == 2, "\(text)")
        let late = try #require(Self.sample(text, age, endpoint: "notification"))
        #expect(late > 0 && late < 120)
        #expect(Self.sample(text, dead, endpoint: "notification") == 0)
        _ = await relay.terminate()
        await gone.stop()
    }
}
