import Foundation
import Logging
import RelayCore
import RelayDelivery
import RelayStore
import Synchronization

/// Bulk replays of dead letters, each capped at a rate, with progress ops can poll. The letters to replay are
/// fixed when the job starts (the same filter as the dry run); a letter that is no longer dead when its turn comes
/// counts as failed, not as lost — it stays where it is.
final class ReplayJobs: Sendable {
    struct Job: Sendable {
        var id: String
        var total: Int
        var done = 0
        var failed = 0
        var ratePerSecond: Double
        var startedAt: EventTime
        var finishedAt: EventTime?

        var json: JSONValue {
            [
                "id": .string(id), "state": .string(finishedAt == nil ? "running" : "finished"),
                "total": .int(Int64(total)), "done": .int(Int64(done)), "failed": .int(Int64(failed)),
                "ratePerSecond": .double(ratePerSecond), "startedAt": .string(startedAt.iso8601),
                "finishedAt": .string(orNull: finishedAt?.iso8601),
            ]
        }
    }

    private let jobs = Mutex<[String: Job]>([:])
    let store: any RelayStore
    let logger: Logger
    /// Store failures while replaying, logged at most once per interval per cause.
    let errors: RateLimitedLogger
    /// A finished job is forgotten this long after it finished (its progress answers 404 afterwards).
    let retention: Duration
    /// At most this many jobs are remembered; the oldest finished ones go first.
    let maxJobs: Int

    init(store: any RelayStore, logger: Logger, retention: Duration = .seconds(24 * 3600),
         maxJobs: Int = 1_000) {
        self.store = store
        self.logger = logger
        self.errors = RateLimitedLogger(logger: logger)
        self.retention = retention
        self.maxJobs = maxJobs
    }

    func job(_ id: String) -> Job? {
        jobs.withLock { jobs in
            Self.prune(&jobs, now: WallClock.now(), retention: retention, maxJobs: maxJobs)
            return jobs[id]
        }
    }

    /// How many jobs are remembered.
    var count: Int { jobs.withLock { $0.count } }

    /// Forgets jobs that finished more than `retention` ago, then the oldest finished ones beyond `maxJobs`
    /// (running jobs are never forgotten).
    static func prune(_ jobs: inout [String: Job], now: EventTime, retention: Duration, maxJobs: Int) {
        let keepAfter = now.epochMilliseconds - Int64(retention.components.seconds * 1000)
            - retention.components.attoseconds / 1_000_000_000_000_000
        jobs = jobs.filter { job in (job.value.finishedAt?.epochMilliseconds ?? .max) >= keepAfter }
        guard jobs.count > maxJobs else { return }
        let finished = jobs.values.filter { $0.finishedAt != nil }
            .sorted { ($0.finishedAt?.epochMilliseconds ?? 0) < ($1.finishedAt?.epochMilliseconds ?? 0) }
        for job in finished.prefix(jobs.count - maxJobs) { jobs.removeValue(forKey: job.id) }
    }

    /// Starts replaying `seqs` at most `ratePerSecond` a second; returns the job.
    func start(seqs: [Int64], ratePerSecond: Double) -> Job {
        let id = Identifier.make(prefix: "rpl", epochMilliseconds: WallClock.now().epochMilliseconds)
        let job = Job(id: id, total: seqs.count, ratePerSecond: ratePerSecond, startedAt: WallClock.now())
        jobs.withLock { jobs in
            Self.prune(&jobs, now: WallClock.now(), retention: retention, maxJobs: maxJobs)
            jobs[id] = job
        }
        let store = self.store
        Task { [jobs = self] in
            let clock = ContinuousClock()
            let start = clock.now
            for (index, seq) in seqs.enumerated() {
                // Open-loop pacing: letter i (from 0) leaves at start + (i + 1) / rate, so n letters take n / rate.
                let due = start + .milliseconds(Int64(Double(index + 1) * 1000 / ratePerSecond))
                if due > clock.now { try? await Task.sleep(until: due, clock: clock) }
                let replayed: Bool
                do {
                    replayed = try await store.replay(deadLetter: seq, now: WallClock.now())
                } catch {
                    // Counted as failed like a letter no longer dead, but an operator must see that the store failed.
                    jobs.errors.error("a bulk replay could not replay a dead letter: the store failed",
                                      cause: "replay-store", metadata: [
                                          "relay.replay_job": "\(id)", "relay.delivery.seq": "\(seq)",
                                          "error": "\(String("\(error)".prefix(200)))",
                                      ])
                    replayed = false
                }
                jobs.update(id) { replayed ? ($0.done += 1) : ($0.failed += 1) }
            }
            jobs.update(id) { $0.finishedAt = WallClock.now() }
        }
        return job
    }

    private func update(_ id: String, _ change: (inout Job) -> Void) {
        jobs.withLock { jobs in
            if var job = jobs[id] {
                change(&job)
                jobs[id] = job
            }
        }
    }
}
