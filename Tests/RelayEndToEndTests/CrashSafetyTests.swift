import Foundation
import RelayStore
import Testing

/// `kill -9` right after a burst of accepted callbacks, then restart: every accepted callback has its notification,
/// none twice.
@Suite("Crash safety (real binary)", .serialized)
struct CrashSafetyTests {
    @Test("kill -9 after a burst: every accepted callback is normalised after restart, exactly once")
    func killNineAfterBurst() async throws {
        let fixture = try RelayFixture()
        defer { fixture.cleanUp() }
        // The normaliser pauses 2 s per batch (128 callbacks), so the kill finds callbacks stored but not yet normalised
        // even when an answer reaches the test long after its callback was queued (a loaded CI machine).
        var relay = try await fixture.start(arguments: ["--no-delivery", "--test-normalise-delay-ms", "2000"])
        // given: a burst of unique callbacks, 32 in flight at a time
        let total = 3000
        let accepted = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<32 {
                group.addTask {
                    var ids: [String] = []
                    for index in stride(from: worker, to: total, by: 32) {
                        if let id = try await fixture.postClickpost(awb: "CRASH\(index)") { ids.append(id) }
                    }
                    return ids
                }
            }
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
        // when: killed the moment the last answer arrived
        relay.kill9()
        let unnormalisedAtKill = try fixture.count(
            "SELECT count(*) FROM unnormalised")
        print("crash test: \(accepted.count) accepted, \(unnormalisedAtKill) not yet normalised at kill -9")
        #expect(accepted.count == total)
        #expect(unnormalisedAtKill > 0)
        #expect(try fixture.count("SELECT count(*) FROM callbacks WHERE status = 'accepted'") == total)

        // then: after restart every accepted callback has exactly one notification
        relay = try await fixture.start()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline,
            try fixture.count("SELECT count(*) FROM unnormalised") > 0
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(await relay.terminate() == 0)
        #expect(try fixture.count("SELECT count(*) FROM unnormalised") == 0)
        #expect(try fixture.count("SELECT count(*) FROM notifications") == total)
        #expect(try fixture.count("SELECT count(DISTINCT callback_seq) FROM notifications") == total)
        #expect(try fixture.count("SELECT count(*) FROM deliveries") == total)
        let connection = try SQLiteConnection(path: fixture.databasePath)
        let stored = Set(try connection.query("SELECT id FROM callbacks WHERE status = 'accepted'", []) { $0.text(0) ?? "" })
        #expect(stored.isSuperset(of: accepted))
    }

    @Test("graceful shutdown on SIGTERM exits 0 and the next start serves the same data")
    func gracefulRestart() async throws {
        let fixture = try RelayFixture()
        defer { fixture.cleanUp() }
        var relay = try await fixture.start()
        let id = try await fixture.postClickpost(awb: "GRACE1")
        #expect(id != nil)
        #expect(await relay.terminate() == 0)
        relay = try await fixture.start()
        #expect(try await fixture.postClickpost(awb: "GRACE1") != nil)  // a duplicate is still a 200
        #expect(await relay.terminate() == 0)
        #expect(try fixture.count("SELECT count(*) FROM callbacks WHERE status = 'duplicate'") == 1)
        #expect(try fixture.count("SELECT count(*) FROM notifications") == 1)
    }
}
