import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Synchronization
import Testing

/// Bulk replay by filter through the real binary: the dry-run count equals what is replayed, and the rate cap holds.
@Suite("Bulk replay end to end (real binary)", .serialized)
struct BulkReplayEndToEndTests {
    @Test("1,000 dead letters: dry run counts them, replay at 200/s takes ≥ 5 s and delivers all")
    func bulkReplay() async throws {
        let healthy = Atomic<Bool>(false)
        let receiver = TestReceiver { _, _ in .init(status: healthy.load(ordering: .relaxed) ? .ok : .badGateway) }
        try await receiver.start()
        // Every letter must fail with the receiver's 5xx, so the failure filter finds them all: a 30 s timeout, as a
        // fresh-clone CI run once saw 12 of 1,000 end otherwise (the 5 s default, on a loaded machine).
        let fixture = try RelayFixture(notificationURL: receiver.url + "/n",
                                       delivery: "{ timeout_seconds: 30, retry_schedule_seconds: [0.05] }")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        // given: 1,000 dead letters
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    for index in stride(from: worker, to: 1000, by: 16) {
                        _ = try await fixture.postClickpost(awb: "BULK\(index)")
                    }
                }
            }
            try await group.waitForAll()
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'dead'") < 1000 {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'dead'") == 1000)
        // The filter below finds them all only if every last attempt got the receiver's 502.
        print("bulk replay: dead letters by failure class: \(fixture.deadLettersByClass())")
        healthy.store(true, ordering: .relaxed)

        func post(_ body: String) async throws -> JSONValue {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(fixture.port)/admin/v1/dead-letters/replay")
            request.method = .POST
            request.headers.add(name: "authorization", value: "Bearer \(fixture.adminToken)")
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await RelayFixture.client(for: fixture.port).execute(request, timeout: .seconds(10))
            return (try? JSONValue.parse(Array(try await response.body.collect(upTo: 1 << 20).readableBytesView))) ?? .null
        }
        // when: a dry run, then the replay capped at 200/s
        let dryRun = try await post(#"{"failure": "http_5xx", "dryRun": true}"#)
        #expect(dryRun["count"] == 1000)
        #expect(dryRun["capped"] == false)
        #expect(dryRun["sample"]?.array?.count == 10)
        let started = Date()
        let job = try await post(#"{"failure": "http_5xx", "ratePerSecond": 200}"#)
        let jobId = try #require(job["id"]?.text)
        #expect(job["total"] == dryRun["count"])
        var progress: JSONValue = .null
        while Date().timeIntervalSince(started) < 30 {
            progress = try await fixture.admin(.GET, "replays/\(jobId)").1
            if progress["state"] == "finished" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let elapsed = Date().timeIntervalSince(started)
        // then
        print("bulk replay: \(progress["done"]?.text ?? "?") of \(progress["total"]?.text ?? "?") in \(String(format: "%.2f", elapsed)) s")
        #expect(progress["state"] == "finished")
        #expect(progress["done"] == 1000)
        #expect(progress["failed"] == 0)
        #expect(elapsed >= 5)
        let all = Date().addingTimeInterval(60)
        while Date() < all, try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'delivered'") < 1000 {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'delivered'") == 1000)
        #expect(try fixture.count("SELECT count(*) FROM attempts WHERE trigger = 'manual'") == 1000)
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }
}
