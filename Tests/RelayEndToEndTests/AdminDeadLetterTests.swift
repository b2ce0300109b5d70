import AsyncHTTPClient
import HTTPTypes
import NIOHTTP1
import Foundation
import NIOCore
import RelayCore
import RelayTestSupport
import Testing

/// Point 9 of issue #12 against the real binary: a discarded delivery is no dead letter (404), and /ops links carry
/// an AWB URL-encoded; the audit log records what was done, by which token.
@Suite("Admin dead letters and ops links", .serialized)
struct AdminDeadLetterTests {
    @Test("GET /admin/v1/dead-letters/{id} answers 404 once discarded; the /ops trace link is URL-encoded; audited")
    func discardedIsNotALetter() async throws {
        let receiver = TestReceiver { _, _ in .init(status: .internalServerError) }
        try await receiver.start()
        let fixture = try RelayFixture(notificationURL: receiver.url + "/n",
                                       delivery: "{ timeout_seconds: 10, retry_schedule_seconds: [0.05] }")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        #expect(try await fixture.postClickpost(awb: "A&B 1") != nil)
        #expect(try await fixture.postClickpost(awb: "PLAIN-1") != nil)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'dead'") < 2 {
            try await Task.sleep(for: .milliseconds(100))
        }
        let (_, list) = try await fixture.admin(.GET, "dead-letters")
        let items = list["items"]?.array ?? []
        let plain = try #require(items.first { $0["awb"] == "PLAIN-1" }?["id"]?.text)
        let odd = try #require(items.first { $0["awb"] == "A&B 1" }?["id"]?.text)
        #expect(try await fixture.admin(.GET, "dead-letters/\(plain)").0 == 200)
        #expect(try await fixture.admin(.POST, "dead-letters/\(plain)/discard").0 == 200)
        #expect(try await fixture.admin(.GET, "dead-letters/\(plain)").0 == 404)
        #expect(try await fixture.admin(.GET, "dead-letters/\(odd)").0 == 200)
        let (_, audit) = try await fixture.admin(.GET, "audit")
        let entry = audit["items"]?.array?.first
        #expect(entry?["action"] == "discard" && entry?["target"]?.text == plain && entry?["actor"] == "admin")

        // /ops: sign in (no redirects followed, to keep the cookie), open the odd letter, check its trace link.
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { Task { try? await client.shutdown() } }
        let cookie = try await fixture.signInToOps(using: client)
        #expect(cookie.hasPrefix("relay_ops=") && !cookie.contains(fixture.adminToken))
        var page = HTTPClientRequest(url: "http://127.0.0.1:\(fixture.port)/ops/dead-letters/\(odd)")
        page.headers.add(name: "cookie", value: cookie)
        let response = try await client.execute(page, timeout: .seconds(10))
        let html = String(buffer: try await response.body.collect(upTo: 1 << 20))
        #expect(response.status == .ok)
        #expect(html.contains(#"href="/ops/trace?awb=A%26B%201""#), "\(html.prefix(2000))")
        #expect(response.headers.first(name: "x-frame-options") == "DENY")
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }
}
