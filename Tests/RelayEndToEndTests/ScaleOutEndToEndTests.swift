import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Synchronization
import Testing

/// Several real relay processes on one PostgreSQL (SPEC §8 scale-out): exactly-once delivery, takeover after
/// `kill -9`, and a PostgreSQL restart in the middle of a run.
@Suite("Scale-out on PostgreSQL (real binaries)", .serialized,
       .enabled(if: PostgresCluster.sharedURL != nil && PostgresCluster.canStartPrivate))
struct ScaleOutEndToEndTests {
    /// - Parameter leaseSeconds: short (4 s) where a test waits for a takeover; exactly-once holds only while every
    ///   claim-to-completion fits in the lease (docs/SCALING.md), which a loaded CI machine can exceed at 4 s.
    static func fixture(receiver: TestReceiver, databaseURL: String, leaseSeconds: Int = 4) throws -> RelayFixture {
        try RelayFixture(notificationURL: receiver.url + "/n",
                         storage: #"{ postgres: { url: "\#(databaseURL)" } }"#,
                         delivery: "{ timeout_seconds: 2, lease_seconds: \(leaseSeconds), retry_schedule_seconds: [0.5, 1, 2, 5] }")
    }

    /// Posts `count` unique callbacks (AWB `prefix<n>`) across `ports`, `workers` at a time; returns the AWBs
    /// answered 200 and every answer's status (a connection refused counts as 0).
    static func post(_ fixture: RelayFixture, count: Int, prefix: String, ports: @escaping @Sendable (Int) -> Int,
                     workers: Int = 48, onProgress: (@Sendable (Int) async -> Void)? = nil) async throws
        -> (accepted: [String], statuses: [Int: Int])
    {
        let next = SharedCounter()
        return try await withThrowingTaskGroup(of: ([String], [Int: Int]).self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var accepted: [String] = []
                    var statuses: [Int: Int] = [:]
                    while true {
                        let index = next.next()
                        guard index < count else { break }
                        await onProgress?(index)
                        let awb = "\(prefix)\(index)"
                        let status = (try? await fixture.postClickpostAnswer(awb: awb, port: ports(index)).status) ?? 0
                        statuses[status, default: 0] += 1
                        if status == 200 { accepted.append(awb) }
                    }
                    return (accepted, statuses)
                }
            }
            var accepted: [String] = []
            var statuses: [Int: Int] = [:]
            for try await (part, counts) in group {
                accepted += part
                statuses.merge(counts, uniquingKeysWith: +)
            }
            return (accepted, statuses)
        }
    }

    /// Waits until every AWB in `awbs` reached the receiver (or `timeout` passes); returns the AWBs still missing.
    static func waitForDeliveries(_ receiver: TestReceiver, awbs: [String], timeout: Duration) async throws -> Set<String> {
        let deadline = ContinuousClock.now + timeout
        var missing = Set(awbs)
        var seen = 0
        while ContinuousClock.now < deadline {
            let requests = receiver.requests
            for request in requests[seen...] {
                if let awb = (try? JSONValue.parse(request.body))?["forwardAwb"]?.text { missing.remove(awb) }
            }
            seen = requests.count
            if missing.isEmpty { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        return missing
    }

    static func deliveredCount(port: Int) async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
        request.method = .GET
        let response = try await RelayFixture.client(for: port).execute(request, timeout: .seconds(5))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        let line = text.split(separator: "\n").first { $0.hasPrefix(#"relay_deliveries_total{result="delivered"}"#) }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test("two instances, 20,000 callbacks across both: each notification delivered exactly once, both deliver")
    func exactlyOnceAcrossInstances() async throws {
        let receiver = TestReceiver()
        try await receiver.start()
        let databaseURL = try PostgresCluster.createDatabase(on: try #require(PostgresCluster.sharedURL), prefix: "twice")
        let fixture = try Self.fixture(receiver: receiver, databaseURL: databaseURL, leaseSeconds: 60)
        defer { fixture.cleanUp() }
        let secondPort = RelayProcess.freePort()
        let first = try await fixture.start(arguments: [])
        let second = try await fixture.startInstance(port: secondPort, name: "second")
        let ports = [fixture.port, secondPort]
        let total = 20_000
        let started = ContinuousClock.now
        let (accepted, statuses) = try await Self.post(fixture, count: total, prefix: "TW", ports: { ports[$0 % 2] })
        let posted = ContinuousClock.now - started
        #expect(accepted.count == total, "answers: \(statuses)")
        let missing = try await Self.waitForDeliveries(receiver, awbs: accepted, timeout: .seconds(240))
        let elapsed = ContinuousClock.now - started
        try await Task.sleep(for: .seconds(1))  // anything sent twice would arrive by now
        let requests = receiver.requests(path: "/n")
        let ids = requests.compactMap { $0.headers["webhook-id"] }
        let shares = [try await Self.deliveredCount(port: fixture.port), try await Self.deliveredCount(port: secondPort)]
        print("scale-out: \(accepted.count) callbacks posted in \(posted), all delivered in \(elapsed); "
              + "\(requests.count) requests, \(Set(ids).count) distinct webhook-ids; shares \(shares)")
        #expect(missing.isEmpty, "\(missing.count) never delivered")
        #expect(ids.count == requests.count)
        #expect(Set(ids).count == ids.count, "a webhook-id arrived twice")
        #expect(requests.count == total)
        #expect(shares.allSatisfy { $0 > 0 }, "each instance delivers a share: \(shares)")
        #expect(shares.reduce(0, +) == total)
        #expect(first.terminate() == 0)
        #expect(second.terminate() == 0)
        await receiver.stop()
    }

    @Test("kill -9 of one instance mid-run: the other takes its leased deliveries over; nothing lost")
    func killOneInstance() async throws {
        // The receiver answers after 100 ms, so attempts are in flight at the kill.
        let receiver = TestReceiver { _, _ in .init(delay: .milliseconds(100)) }
        try await receiver.start()
        let databaseURL = try PostgresCluster.createDatabase(on: try #require(PostgresCluster.sharedURL), prefix: "kill")
        let fixture = try Self.fixture(receiver: receiver, databaseURL: databaseURL)
        defer { fixture.cleanUp() }
        let secondPort = RelayProcess.freePort()
        let first = try await fixture.start(arguments: [])
        let second = try await fixture.startInstance(port: secondPort, name: "second")
        let ports = [fixture.port, secondPort]
        let total = 6000
        let killed = SharedCounter()
        let leased = Mutex<[String]>([])
        // After the kill the load balancer sends everything to the survivor.
        let (accepted, statuses) = try await Self.post(
            fixture, count: total, prefix: "KL", ports: { killed.value > 0 ? secondPort : ports[$0 % 2] }
        ) {
            index in
            guard index == total / 2, killed.next() == 0 else { return }
            // Killed while both instances are delivering.
            let deadline = ContinuousClock.now + .seconds(30)
            while receiver.requests.count < 300, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            first.kill9()
            // What the killed instance had leased: in flight under its owner name (relay-<pid>-…).
            let seqs: String
            do {
                seqs = try PostgresCluster.query(
                databaseURL,
                "SELECT string_agg(seq::text, ',') FROM deliveries WHERE lease_owner LIKE 'relay-\(first.pid)-%' AND state = 'in_flight'")
            } catch {
                print("kill -9: cannot read the killed instance's leases: \(error)")
                seqs = ""
            }
            leased.withLock { $0 = seqs.split(separator: ",").map(String.init) }
        }
        let leasedAtKill = leased.withLock { $0 }
        // Callbacks the killed instance stored but did not normalise are caught up by the survivor (every 10 s);
        // its leases expire after 4 s.
        let missing = try await Self.waitForDeliveries(receiver, awbs: accepted, timeout: .seconds(120))
        try await Task.sleep(for: .seconds(1))
        let ids = receiver.requests(path: "/n").compactMap { $0.headers["webhook-id"] }
        let duplicates = ids.count - Set(ids).count
        print("kill -9: \(accepted.count) of \(total) accepted (answers \(statuses)); \(ids.count) deliveries, "
              + "\(duplicates) duplicates (attempts in flight at the kill)")
        let takenOver = leasedAtKill.isEmpty ? "0" : try PostgresCluster.query(
            databaseURL, "SELECT count(*) FROM deliveries WHERE seq IN (\(leasedAtKill.joined(separator: ","))) AND state = 'delivered' AND lease_owner NOT LIKE 'relay-\(first.pid)-%'")
        print("kill -9: \(leasedAtKill.count) deliveries leased by the killed instance, \(takenOver) of them delivered by the survivor")
        #expect(!leasedAtKill.isEmpty, "the kill found nothing in flight: the takeover was not exercised")
        #expect(takenOver == String(leasedAtKill.count))
        #expect(accepted.count >= total - 100)  // only those in flight to the killed instance may fail
        #expect(missing.isEmpty, "\(missing.count) accepted callbacks never delivered")
        // At most what the killed instance had in flight towards the endpoint (its per-endpoint cap).
        #expect(duplicates <= leasedAtKill.count, "duplicates are only attempts that were in flight at the kill")
        #expect(second.terminate() == 0)
        await receiver.stop()
    }

    @Test("PostgreSQL restarted mid-run: 503 while it is down, never a 200 that was not committed, reconnects")
    func databaseRestart() async throws {
        let receiver = TestReceiver()
        try await receiver.start()
        let cluster = try PostgresCluster()
        try cluster.start()
        let databaseURL = try PostgresCluster.createDatabase(on: cluster.url, prefix: "restart")
        let fixture = try Self.fixture(receiver: receiver, databaseURL: databaseURL)
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        // Phases: 0 up, 1 down, 2 up again. Answers are recorded per phase.
        let phase = SharedCounter()
        let poster = Task {
            let next = SharedCounter()
            return try await withThrowingTaskGroup(of: [(Int, Int, String)].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var answers: [(Int, Int, String)] = []
                        while phase.value != 3 {
                            let awb = "PR\(next.next())"
                            let at = phase.value
                            let status = (try? await fixture.postClickpostAnswer(awb: awb).status) ?? 0
                            // An answer counts for the phase it was sent and answered in.
                            let now = phase.value
                            answers.append((at == now ? at : -1, status, awb))
                            try await Task.sleep(for: .milliseconds(10))
                        }
                        return answers
                    }
                }
                var all: [(Int, Int, String)] = []
                for try await part in group { all += part }
                return all
            }
        }
        try await Task.sleep(for: .seconds(2))
        // Phase 1 starts once the server is down: an answer counted in it was sent and answered while nothing
        // could commit.
        phase.set(-1)
        try cluster.stop()
        phase.set(1)
        try await Task.sleep(for: .seconds(6))
        phase.set(-1)
        try cluster.start()
        phase.set(2)
        try await Task.sleep(for: .seconds(8))
        phase.set(3)
        let answers = try await poster.value
        func count(_ phaseNumber: Int, _ status: Int) -> Int {
            answers.filter { $0.0 == phaseNumber && $0.1 == status }.count
        }
        let accepted = answers.filter { $0.1 == 200 }.map(\.2)
        let missing = try await Self.waitForDeliveries(receiver, awbs: accepted, timeout: .seconds(60))
        print("restart: before \(count(0, 200)) × 200; down \(count(1, 200)) × 200, \(count(1, 503)) × 503; "
              + "after \(count(2, 200)) × 200, \(count(2, 503)) × 503; \(accepted.count) accepted, \(missing.count) undelivered")
        if !missing.isEmpty {
            // What the store holds for each undelivered callback: its answers and rows, for the next reader.
            let list = missing.sorted().map { "'\($0)'" }.joined(separator: ",")
            for awb in missing.sorted() {
                print("restart: undelivered \(awb): answers \(answers.filter { $0.2 == awb }.map { "phase \($0.0) → \($0.1)" })")
            }
            print(try PostgresCluster.query(databaseURL, """
                SELECT c.seq, convert_from(c.body, 'UTF8')::json->>'waybill', c.status, c.received_at,
                    EXISTS (SELECT 1 FROM unnormalised u WHERE u.seq = c.seq),
                    (SELECT count(*) FROM notifications n WHERE n.callback_seq = c.seq),
                    (SELECT string_agg(d.state, ',') FROM deliveries d JOIN notifications n ON n.seq = d.notification_seq
                        WHERE n.callback_seq = c.seq)
                FROM callbacks c WHERE convert_from(c.body, 'UTF8')::json->>'waybill' IN (\(list)) ORDER BY c.seq
                """))
        }
        #expect(count(0, 200) > 0)
        #expect(count(1, 200) == 0, "answered 200 while PostgreSQL was down")
        #expect(count(1, 503) > 0)
        #expect(count(2, 200) > 0, "did not reconnect")
        #expect(missing.isEmpty, "\(missing.count) accepted callbacks were lost")
        #expect(relay.terminate() == 0)
        await receiver.stop()
    }
}
