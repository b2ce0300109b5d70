import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Synchronization
import Testing

/// Several real relay processes on one PostgreSQL (docs/CONTRACT.md §8 scale-out): exactly-once delivery, takeover after
/// `kill -9`, and a PostgreSQL restart in the middle of a run.
@Suite("Scale-out on PostgreSQL (real binaries)", .serialized,
       .enabled(if: PostgresCluster.sharedURL != nil && PostgresCluster.canStartPrivate))
struct ScaleOutEndToEndTests {
    /// - Parameter leaseSeconds: short (4 s) where a test waits for a takeover; exactly-once holds only while every
    ///   claim-to-completion fits in the lease (docs/SCALING.md), which a loaded CI machine can exceed at 4 s.
    ///   - timeoutSeconds: short (2 s) where attempts must be in flight at a kill; a receiver in a busy test process
    ///     can take longer than that to answer, and a timed-out attempt is retried (the same webhook-id again).
    ///   - maxInFlight: `delivery.max_in_flight`, when given.
    static func fixture(receiver: TestReceiver, databaseURL: String, leaseSeconds: Int = 4,
                        timeoutSeconds: Int = 2, maxInFlight: Int? = nil) throws -> RelayFixture {
        let cap = maxInFlight.map { ", max_in_flight: \($0)" } ?? ""
        return try RelayFixture(notificationURL: receiver.url + "/n",
                                storage: #"{ postgres: { url: "\#(databaseURL)" } }"#,
                                delivery: "{ timeout_seconds: \(timeoutSeconds), lease_seconds: \(leaseSeconds), retry_schedule_seconds: [0.5, 1, 2, 5]\(cap) }")
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

    /// The instance's `relay_deliveries_total` for one result: attempts that ended delivered, retry or dead.
    static func attemptCount(port: Int, result: String = "delivered") async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
        request.method = .GET
        let response = try await RelayFixture.client(for: port).execute(request, timeout: .seconds(5))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        // Summed over the client and endpoint labels.
        return text.split(separator: "\n")
            .filter { $0.hasPrefix("relay_deliveries_total{") && $0.contains(#"result="\#(result)""#) }
            .compactMap { Int($0.split(separator: " ").last ?? "") }
            .reduce(0, +)
    }

    /// An unlabelled counter of the instance's `/metrics`.
    static func counter(_ name: String, port: Int) async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
        request.method = .GET
        let response = try await RelayFixture.client(for: port).execute(request, timeout: .seconds(5))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return text.split(separator: "\n").first { $0.hasPrefix("\(name) ") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test("two instances, 20,000 callbacks across both: each notification delivered exactly once, both deliver")
    func exactlyOnceAcrossInstances() async throws {
        let receiver = TestReceiver()
        try await receiver.start()
        let databaseURL = try PostgresCluster.createDatabase(on: try #require(PostgresCluster.sharedURL), prefix: "twice")
        let fixture = try Self.fixture(receiver: receiver, databaseURL: databaseURL, leaseSeconds: 60,
                                       timeoutSeconds: 10)
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
        let shares = [try await Self.attemptCount(port: fixture.port), try await Self.attemptCount(port: secondPort)]
        // Attempts that failed (a receiver slower than the timeout) and were retried: at least once by design, the
        // same webhook-id again; never a second instance sending a delivery another one holds.
        let retried = try await Self.attemptCount(port: fixture.port, result: "retry")
            + (try await Self.attemptCount(port: secondPort, result: "retry"))
        // Deliveries that headed their chain were leased by their normalisation commit and sent without a claim.
        let leased = try await Self.counter("relay_deliveries_leased_at_commit_total", port: fixture.port)
            + (try await Self.counter("relay_deliveries_leased_at_commit_total", port: secondPort))
        print("scale-out: \(accepted.count) callbacks posted in \(posted), all delivered in \(elapsed); "
              + "\(requests.count) requests, \(Set(ids).count) distinct webhook-ids; shares \(shares); "
              + "\(retried) failed attempts retried; \(leased) leased by their commit")
        #expect(missing.isEmpty, "\(missing.count) never delivered")
        #expect(ids.count == requests.count)
        #expect(Set(ids).count == total)
        // A webhook-id arrives again only after a failed attempt: one request per delivery, plus at most the retries.
        #expect(requests.count - total <= retried, "a webhook-id arrived twice without a failed attempt before it")
        #expect(retried <= total / 100, "more than 1 % of the attempts failed: \(retried)")
        #expect(shares.allSatisfy { $0 > 0 }, "each instance delivers a share: \(shares)")
        #expect(leased > 0 && leased <= total, "deliveries leased by their commit: \(leased)")
        // Each delivery recorded delivered once: no two instances both held and completed it.
        #expect(shares.reduce(0, +) == total)
        #expect(await first.terminate() == 0)
        #expect(await second.terminate() == 0)
        await receiver.stop()
    }

    @Test("chains on PostgreSQL: four statuses of a shipment posted while its first is in flight arrive in order, each once, the chain moved on by hand-off")
    func chainsMoveOnByHandOff() async throws {
        // A receiver slow enough that a shipment's later statuses are stored while its first is being delivered.
        let receiver = TestReceiver { _, _ in TestReceiver.Reply(delay: .milliseconds(150)) }
        try await receiver.start()
        let databaseURL = try PostgresCluster.createDatabase(on: try #require(PostgresCluster.sharedURL), prefix: "chain")
        let fixture = try Self.fixture(receiver: receiver, databaseURL: databaseURL, leaseSeconds: 60,
                                       timeoutSeconds: 10)
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        let statuses = [(4, "2024-03-07T01:00:00Z"), (5, "2024-03-07T02:00:00Z"), (6, "2024-03-07T03:00:00Z"),
                        (8, "2024-03-07T04:00:00Z")]
        let shipments = 24
        let answers = try await withThrowingTaskGroup(of: [Int].self) { group in
            for index in 0..<shipments {
                group.addTask {
                    var answers: [Int] = []
                    for (code, time) in statuses {
                        let answer = try await fixture.postClickpostAnswer(awb: "CH\(index)", code: code, time: time)
                        answers.append(answer.status)
                    }
                    return answers
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(answers.allSatisfy { $0 == 200 }, "answers: \(answers)")
        let total = shipments * statuses.count
        let deadline = ContinuousClock.now + .seconds(60)
        while receiver.requests(path: "/n").count < total, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        try await Task.sleep(for: .seconds(1))  // anything sent twice would arrive by now
        let requests = receiver.requests(path: "/n")
        var order: [String: [String]] = [:]
        for request in requests {
            let body = try JSONValue.parse(request.body)
            let awb = body["forwardAwb"]?.text ?? "?"
            let code = body["logisticAggregatorInfo"]?["logisticAggregatorMetaData"]?["statusCode"]?.text ?? "?"
            order[awb, default: []].append(code)
        }
        let ids = requests.compactMap { $0.headers["webhook-id"] }
        let handedOff = try await Self.counter("relay_deliveries_handed_off_total", port: fixture.port)
        print("chains: \(requests.count) requests, \(Set(ids).count) distinct webhook-ids, \(handedOff) handed off")
        #expect(requests.count == total && Set(ids).count == total)
        let wrong = order.filter { $0.value != ["4", "5", "6", "8"] }
        #expect(order.count == shipments && wrong.isEmpty, "out of order: \(wrong.prefix(3))")
        #expect(handedOff > 0, "no chain moved on by hand-off")
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }

    @Test("hostile waybills on PostgreSQL: one holding NUL or over 256 bytes is answered 400 and quarantined, and the callbacks posted with it are delivered")
    func hostileWaybills() async throws {
        // Before the parser refused them, each was answered 200 and then failed, for good, every normalisation batch
        // it was in: PostgreSQL text cannot hold NUL, and its B-tree indexes refuse entries over about 2,700 bytes.
        let receiver = TestReceiver { _, _ in TestReceiver.Reply() }
        try await receiver.start()
        let databaseURL = try PostgresCluster.createDatabase(on: try #require(PostgresCluster.sharedURL), prefix: "hostile")
        let fixture = try Self.fixture(receiver: receiver, databaseURL: databaseURL, leaseSeconds: 60, timeoutSeconds: 10)
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        // Posted at once, so that they would share a normalisation batch.
        async let before = fixture.postClickpostAnswer(awb: "OK-1")
        async let nul = fixture.postClickpostAnswer(awb: #"BAD\u0000"#)
        async let long = fixture.postClickpostAnswer(awb: String(repeating: "L", count: 3_000))
        async let after = fixture.postClickpostAnswer(awb: "OK-2")
        let statuses = try await [before.status, nul.status, long.status, after.status]
        #expect(statuses == [200, 400, 400, 200])
        let missing = try await Self.waitForDeliveries(receiver, awbs: ["OK-1", "OK-2"], timeout: .seconds(30))
        #expect(missing.isEmpty, "not delivered: \(missing)")
        #expect(try PostgresCluster.query(databaseURL, "SELECT count(*) FROM callbacks WHERE status = 'rejected'") == "2")
        #expect(try PostgresCluster.query(databaseURL, "SELECT count(*) FROM unnormalised") == "0")
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }

    @Test("a commit's batch over the endpoint's cap is leased whole and waits in the engine: never more requests in flight than max_in_flight, each delivered once")
    func leasedOverTheCapWait() async throws {
        // 200 ms per answer and a cap of 2: two requests at a time, whatever the commits lease.
        let receiver = TestReceiver { _, _ in TestReceiver.Reply(delay: .milliseconds(200)) }
        try await receiver.start()
        let databaseURL = try PostgresCluster.createDatabase(on: try #require(PostgresCluster.sharedURL), prefix: "cap")
        let fixture = try Self.fixture(receiver: receiver, databaseURL: databaseURL, leaseSeconds: 60,
                                       timeoutSeconds: 10, maxInFlight: 2)
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        let total = 30
        let (accepted, statuses) = try await Self.post(fixture, count: total, prefix: "CAP", ports: { _ in fixture.port },
                                                       workers: 30)
        #expect(accepted.count == total, "answers: \(statuses)")
        let missing = try await Self.waitForDeliveries(receiver, awbs: accepted, timeout: .seconds(60))
        try await Task.sleep(for: .seconds(1))  // anything sent twice would arrive by now
        let requests = receiver.requests(path: "/n")
        let ids = requests.compactMap { $0.headers["webhook-id"] }
        // A request starts only when one of the two before it has ended, 200 ms after it arrived: no three arrive
        // within 150 ms.
        let arrivals = requests.map(\.at).sorted()
        let crowded = arrivals.indices.dropFirst(2).filter { arrivals[$0].timeIntervalSince(arrivals[$0 - 2]) < 0.15 }
        let leased = try await Self.counter("relay_deliveries_leased_at_commit_total", port: fixture.port)
        print("cap: \(requests.count) requests, \(leased) leased by their commit, \(crowded.count) crowded")
        #expect(missing.isEmpty && requests.count == total && Set(ids).count == total)
        #expect(crowded.isEmpty, "three requests within 150 ms at \(crowded.prefix(3))")
        #expect(leased > 2, "batches over the cap leased whole: \(leased)")
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }

    @Test("kill -9 of one instance mid-run: the other takes its leased deliveries over; nothing lost")
    func killOneInstance() async throws {
        // The receiver answers after 300 ms, so attempts are in flight at the kill.
        let receiver = TestReceiver { _, _ in .init(delay: .milliseconds(300)) }
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
            // Killed while both instances are delivering, at a moment the first has attempts in flight (its lease
            // owner name is relay-<pid>-…). Deliveries come in bursts as batches are normalised: a kill at a random
            // moment can find none.
            let inFlight = "FROM deliveries WHERE lease_owner LIKE 'relay-\(first.pid)-%' AND state = 'in_flight'"
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if receiver.requests.count >= 300,
                    let leases = Int((try? PostgresCluster.query(databaseURL, "SELECT count(*) \(inFlight)")) ?? ""),
                    leases > 0
                {
                    break
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
            first.kill9()
            // What the killed instance had leased.
            let seqs: String
            do {
                seqs = try PostgresCluster.query(databaseURL, "SELECT string_agg(seq::text, ',') \(inFlight)")
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
        #expect(await second.terminate() == 0)
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
            return try await withThrowingTaskGroup(of: [(Int, Int, String, Duration)].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var answers: [(Int, Int, String, Duration)] = []
                        while phase.value != 3 {
                            let awb = "PR\(next.next())"
                            let at = phase.value
                            let sent = ContinuousClock.now
                            let status = (try? await fixture.postClickpostAnswer(awb: awb).status) ?? 0
                            // An answer counts for the phase it was sent and answered in.
                            let now = phase.value
                            answers.append((at == now ? at : -1, status, awb, ContinuousClock.now - sent))
                            try await Task.sleep(for: .milliseconds(10))
                        }
                        return answers
                    }
                }
                var all: [(Int, Int, String, Duration)] = []
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
        // Each answer while down takes the ingest timeout (3 s), and the requests in flight at the stop end up to
        // 3 s into this phase: 9 s leaves every poster time for at least one whole request while down.
        try await Task.sleep(for: .seconds(9))
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
        let slowest = answers.filter { $0.0 == 1 }.map(\.3).max() ?? .zero
        let all = Dictionary(answers.map { ("\($0.0)/\($0.1)", 1) }, uniquingKeysWith: +).sorted { $0.key < $1.key }
        print("restart: before \(count(0, 200)) × 200; down \(count(1, 200)) × 200, \(count(1, 503)) × 503; "
              + "after \(count(2, 200)) × 200, \(count(2, 503)) × 503; \(accepted.count) accepted, \(missing.count) "
              + "undelivered; slowest answer while down \(slowest); every answer (phase/status: count) \(all)")
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
        #expect(slowest < .seconds(5), "an answer while down took \(slowest) (the ingest timeout is 3 s)")
        #expect(count(2, 200) > 0, "did not reconnect")
        #expect(missing.isEmpty, "\(missing.count) accepted callbacks were lost")
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }
    @Test("an attempt that ends while PostgreSQL is down is recorded once it is back, not sent again")
    func attemptResultOutlivesOutage() async throws {
        // The receiver holds the first request 4 s; the database stops meanwhile, so the answer cannot be recorded
        // at first.
        let receiver = TestReceiver { _, count in .init(delay: count == 0 ? .seconds(4) : .zero) }
        try await receiver.start()
        let cluster = try PostgresCluster()
        try cluster.start()
        let databaseURL = try PostgresCluster.createDatabase(on: cluster.url, prefix: "outage")
        // A 120 s lease: a result never recorded would be sent again only when the lease expires.
        let fixture = try Self.fixture(receiver: receiver, databaseURL: databaseURL, leaseSeconds: 120,
                                       timeoutSeconds: 10)
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        #expect(try await fixture.postClickpostAnswer(awb: "OUT1").status == 200)
        // when: the database stops while the request is at the receiver, and starts again after the answer
        let arrival = ContinuousClock.now + .seconds(30)
        while receiver.requests(path: "/n").isEmpty, ContinuousClock.now < arrival {
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(receiver.requests(path: "/n").count == 1)
        try cluster.stop()
        // Down past the answer (4 s) and the relay's wait for a connection (5 s): its first try to record fails.
        try await Task.sleep(for: .seconds(12))
        try cluster.start()
        // then: recorded as delivered after one attempt, long before the lease ends; the receiver saw it once
        var states = ""
        let recorded = ContinuousClock.now + .seconds(45)
        while ContinuousClock.now < recorded {
            states = (try? PostgresCluster.query(
                databaseURL, "SELECT string_agg(state || ':' || attempts, ',') FROM deliveries")) ?? ""
            if states == "delivered:1" { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        let log = (try? String(contentsOfFile: fixture.directory.appendingPathComponent("relay.log").path,
                               encoding: .utf8)) ?? ""
        let retries = log.split(separator: "\n").filter { $0.contains("cannot record a delivery attempt yet") }.count
        print("outage: deliveries \(states); \(retries) tries to record failed while the database was down")
        #expect(states == "delivered:1")
        #expect(retries > 0, "the database stop did not fall between the attempt and its recording")
        #expect(receiver.requests(path: "/n").count == 1)
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }
}
