import AsyncHTTPClient
import Foundation
import NIOCore
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Synchronization
import Testing

/// Dead letters through the admin API of the real binary (issue #5, first part).
@Suite("Dead letters end to end (real binary)", .serialized)
struct DeadLetterEndToEndTests {
    /// Runs the relay CLI and returns its standard output.
    static func cli(_ arguments: [String]) async throws -> String {
        try await ChildProcess.run(RelayProcess.binary, arguments).output
    }

    @Test("dead letters: list with filters and cursor, show with attempts, replay (manual, same webhook-id), discard, auth")
    func deadLetters() async throws {
        let healthy = Atomic<Bool>(false)
        let receiver = TestReceiver { _, _ in .init(status: healthy.load(ordering: .relaxed) ? .ok : .internalServerError) }
        try await receiver.start()
        let fixture = try RelayFixture(notificationURL: receiver.url + "/n", retrySchedule: "[0.2]")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        for index in 0..<3 { #expect(try await fixture.postClickpost(awb: "DL\(index)") != nil) }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'dead'") < 3 {
            try await Task.sleep(for: .milliseconds(100))
        }
        // list, newest first, with a cursor
        let (status, page1) = try await fixture.admin(.GET, "dead-letters?limit=2&failure=http_5xx")
        #expect(status == 200)
        #expect(page1["items"]?.array?.count == 2)
        let cursor = try #require(page1["nextCursor"]?.text)
        let (_, page2) = try await fixture.admin(.GET, "dead-letters?limit=2&cursor=\(cursor)")
        #expect(page2["items"]?.array?.count == 1)
        #expect(page2["nextCursor"]?.isNull == true)
        let (_, byAwb) = try await fixture.admin(.GET, "dead-letters?awb=DL1")
        #expect(byAwb["items"]?.array?.count == 1)
        let (_, none) = try await fixture.admin(.GET, "dead-letters?failure=timeout")
        #expect(none["items"]?.array?.isEmpty == true)
        // show one with its attempts
        let id = try #require(byAwb["items"]?.array?.first?["id"]?.text)
        let (_, letter) = try await fixture.admin(.GET, "dead-letters/\(id)")
        #expect(letter["attemptLog"]?.array?.count == 2)
        #expect(letter["payload"]?["forwardAwb"] == "DL1")
        // the CLI shows the same
        let table = try await Self.cli(["dlq", "list", "--url", "http://127.0.0.1:\(fixture.port)", "--token", fixture.adminToken])
        #expect(table.contains("DEAD AT") && table.contains(id) && table.contains("http_5xx"))
        let shown = try await Self.cli(["dlq", "show", id, "--json", "--url", "http://127.0.0.1:\(fixture.port)",
                                  "--token", fixture.adminToken])
        #expect((try? JSONValue.parse(shown))?["id"]?.text == id)
        // replay while the endpoint still fails: back to dead letters with a new, manual attempt
        #expect(try await fixture.admin(.POST, "dead-letters/\(id)/replay").0 == 202)
        try await Task.sleep(for: .seconds(1))
        #expect(try fixture.count("SELECT count(*) FROM attempts WHERE trigger = 'manual'") == 1)
        #expect(try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'dead'") == 3)
        // replay once it is healthy: delivered with the same webhook-id, marked manual
        healthy.store(true, ordering: .relaxed)
        #expect(try await fixture.admin(.POST, "dead-letters/\(id)/replay").0 == 202)
        let delivered = Date().addingTimeInterval(60)
        while Date() < delivered, try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'delivered'") < 1 {
            try await Task.sleep(for: .milliseconds(100))
        }
        let last = try #require(receiver.requests(path: "/n").last)
        #expect(last.headers["webhook-attempt-trigger"] == "manual")
        #expect(last.headers["webhook-id"] == letter["notificationId"]?.text)
        #expect(receiver.requests(path: "/n").filter { $0.headers["webhook-id"] == last.headers["webhook-id"] }.count == 4)
        // discard another; a second replay of a delivered one is refused; no token → 401
        let other = try #require(page1["items"]?.array?.first { $0["id"]?.text != id }?["id"]?.text)
        #expect(try await fixture.admin(.POST, "dead-letters/\(other)/discard").0 == 200)
        #expect(try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'discarded'") == 1)
        #expect(try await fixture.admin(.POST, "dead-letters/\(id)/replay").0 == 409)

        // the shipment trace of the replayed letter shows the manual attempt
        let (_, trace) = try await fixture.admin(.GET, "shipments/DL1/trace")
        let kinds = (trace["entries"]?.array ?? []).compactMap { $0["kind"]?.text }
        #expect(kinds.first == "callback")
        #expect(kinds.contains("event") && kinds.contains("notification") && kinds.contains("delivery"))
        #expect((trace["entries"]?.array ?? []).contains { $0["detail"]?.text?.hasSuffix("(manual)") == true })

        let base = ["--url", "http://127.0.0.1:\(fixture.port)", "--token", fixture.adminToken]
        #expect(try await Self.cli(["trace", "DL1"] + base).contains("(manual)"))
        #expect(try await Self.cli(["endpoints", "list"] + base).contains("e2e/notification"))

        // endpoint health, disable / enable, recover since T
        let (_, endpoints) = try await fixture.admin(.GET, "endpoints")
        let endpoint = try #require(endpoints["items"]?.array?.first { $0["id"] == "e2e/notification" })
        #expect(endpoint["dead"] == 1)
        #expect(endpoint["status"] == "enabled")
        #expect(endpoint["lastSuccess"]?.text != nil)
        #expect(try await fixture.admin(.POST, "endpoints/e2e/notification/disable").0 == 200)
        let (_, disabled) = try await fixture.admin(.GET, "endpoints")
        #expect(disabled["items"]?.array?.first { $0["id"] == "e2e/notification" }?["status"] == "disabled")
        #expect(try await fixture.admin(.POST, "endpoints/e2e/notification/enable").0 == 200)
        var recover = HTTPClientRequest(url: "http://127.0.0.1:\(fixture.port)/admin/v1/endpoints/e2e/notification/recover")
        recover.method = .POST
        recover.headers.add(name: "authorization", value: "Bearer \(fixture.adminToken)")
        recover.body = .bytes(ByteBuffer(string: #"{"since":"2020-01-01T00:00:00Z"}"#))
        let recovered = try await RelayFixture.client(for: fixture.port).execute(recover, timeout: .seconds(5))
        #expect(recovered.status.code == 202)
        let all = Date().addingTimeInterval(60)
        while Date() < all, try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'delivered'") < 2 {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'dead'") == 0)

        // quarantine shows a rejected body; no token → 401
        #expect(try await fixture.post(aggregator: "clickpost", body: Array("not json".utf8)) == 400)
        #expect(try await fixture.post(aggregator: "clickpost", body: Array(repeating: UInt8(ascii: "x"), count: 10_000)) == 400)
        #expect(try await fixture.postClickpost(awb: "UNMAPPED1", code: 777) != nil)  // valid, status unknown
        let unmappedSeen = Date().addingTimeInterval(60)
        while Date() < unmappedSeen, try fixture.count("SELECT count(*) FROM callbacks WHERE error = 'unmapped'") == 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let (_, quarantine) = try await fixture.admin(.GET, "quarantine")
        let items = quarantine["items"]?.array ?? []
        #expect(items.contains { $0["body"] == "not json" })
        let unmapped = try #require(items.first { $0["error"] == "unmapped" })
        let rejected = try #require(items.first { $0["body"] == "not json" })
        #expect(rejected["bodyBytes"] == 8 && rejected["bodyTruncated"] == false)
        // A listing carries the first 4 KiB of each body, and says how long the stored one is.
        let long = try #require(items.first { $0["bodyBytes"] == 10_000 })
        #expect(long["bodyTruncated"] == true && long["body"]?.text?.utf8.count == 4096)
        // a page at a time, newest first, one client's; a cursor or filter it cannot use is refused
        let (_, first) = try await fixture.admin(.GET, "quarantine?limit=2&client=e2e")
        #expect(first["items"]?.array?.count == 2 && first["items"]?.array?.first?["error"] == "unmapped")
        let nextPage = try #require(first["nextCursor"]?.text)
        let (_, second) = try await fixture.admin(.GET, "quarantine?limit=2&client=e2e&cursor=\(nextPage)")
        #expect(second["items"]?.array?.map { $0["body"] } == ["not json"])
        #expect(second["nextCursor"] == .null)
        #expect(try await fixture.admin(.GET, "quarantine?client=nobody").1["items"]?.array?.isEmpty == true)
        for query in ["cursor=bogus", "limit=0", "limit=201", "clinet=e2e"] {
            let (status, refused) = try await fixture.admin(.GET, "quarantine?\(query)")
            #expect(status == 400 && ["bad_cursor", "invalid_filter"].contains(refused["error"]?.text ?? ""), "\(query)")
        }
        // re-normalise: still-unparsable bytes stay in quarantine (422); a parsable one is normalised again (200)
        #expect(try await fixture.admin(.POST, "quarantine/\(rejected["id"]?.text ?? "")/renormalise").0 == 422)
        let (renormaliseStatus, renormalised) = try await fixture.admin(.POST, "quarantine/\(unmapped["id"]?.text ?? "")/renormalise")
        #expect(renormaliseStatus == 200)
        #expect(renormalised["status"] == "accepted")
        #expect(try await fixture.admin(.POST, "quarantine/cb_nothing/renormalise").0 == 404)
        var anonymous = HTTPClientRequest(url: "http://127.0.0.1:\(fixture.port)/admin/v1/dead-letters")
        anonymous.method = .GET
        #expect(try await RelayFixture.client(for: fixture.port).execute(anonymous, timeout: .seconds(5)).status.code == 401)
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }
}
