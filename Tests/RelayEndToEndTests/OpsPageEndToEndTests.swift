import Foundation
import HTTPTypes
import RelayCore
import RelayTestSupport
import Synchronization
import Testing

/// Drives `/ops` in headless Chromium (scripts/ops_screenshots.py): sign in, filter, open a letter, dry-run, replay;
/// screenshots land in docs/screenshots/.
@Suite("Ops page in headless Chromium (real binary)", .serialized)
struct OpsPageEndToEndTests {
    @Test("sign in, filter, open a letter, dry-run and replay; screenshots saved under docs/screenshots")
    func opsPage() async throws {
        let healthy = Atomic<Bool>(false)
        let receiver = TestReceiver { _, _ in .init(status: healthy.load(ordering: .relaxed) ? .ok : .serviceUnavailable) }
        try await receiver.start()
        // Every letter must fail with the receiver's 5xx, so the failure filter finds them all: a 30 s timeout, as a
        // fresh-clone CI run once saw 12 of 1,000 end otherwise (the 5 s default, on a loaded machine).
        let fixture = try RelayFixture(notificationURL: receiver.url + "/n",
                                       delivery: "{ timeout_seconds: 30, retry_schedule_seconds: [0.05] }")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        for index in 0..<30 { _ = try await fixture.postClickpost(awb: "OPS\(index)") }
        _ = try await fixture.post(aggregator: "clickpost", body: Array(#"{"this is": "not a clickpost callback"}"#.utf8))
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'dead'") < 30 {
            try await Task.sleep(for: .milliseconds(100))
        }
        print("ops page: dead letters by failure class: \(fixture.deadLettersByClass())")
        healthy.store(true, ordering: .relaxed)
        let output = RelayProcess.packageRoot.appendingPathComponent("docs/screenshots")
        let (status, log) = try await DeliveryEndToEndTests.runPythonScript(
            "ops_screenshots.py", ["http://127.0.0.1:\(fixture.port)", fixture.adminToken, output.path])
        print(log)
        #expect(status == 0, "\(log)")
        for name in ["ops-1-sign-in", "ops-2-dead-letters", "ops-3-dead-letter", "ops-4-bulk-replay-dry-run",
                     "ops-5-replay-job", "ops-6-endpoints", "ops-7-trace", "ops-8-quarantine", "ops-9-overview"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: output.appendingPathComponent("\(name).png").path)[.size] as? Int) ?? 0
            #expect(size > 1000, "\(name).png")
        }
        #expect(try fixture.count("SELECT count(*) FROM deliveries WHERE state = 'delivered'") >= 29)
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }
}
