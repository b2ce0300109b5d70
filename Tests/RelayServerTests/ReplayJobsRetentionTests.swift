import Foundation
import Logging
import RelayCore
import RelayDelivery
@testable import RelayServer
import RelayStore
import Testing

/// Finished bulk replay jobs are forgotten after a retention period, and the map of jobs is bounded (issue #12,
/// point 9).
@Suite("Replay job retention")
struct ReplayJobsRetentionTests {
    static func job(_ id: String, finishedAt: Int64?) -> ReplayJobs.Job {
        ReplayJobs.Job(id: id, total: 0, ratePerSecond: 1, startedAt: EventTime(epochMilliseconds: 0),
                       finishedAt: finishedAt.map { EventTime(epochMilliseconds: $0) })
    }

    @Test("finished jobs older than the retention are forgotten; running jobs never are; at most maxJobs stay")
    func prune() {
        var jobs: [String: ReplayJobs.Job] = [:]
        jobs["old"] = Self.job("old", finishedAt: 1_000)
        jobs["recent"] = Self.job("recent", finishedAt: 90_000)
        jobs["running"] = Self.job("running", finishedAt: nil)
        ReplayJobs.prune(&jobs, now: EventTime(epochMilliseconds: 100_000), retention: .seconds(60), maxJobs: 10)
        #expect(Set(jobs.keys) == ["recent", "running"])
        for index in 0..<20 { jobs["f\(index)"] = Self.job("f\(index)", finishedAt: 95_000 + Int64(index)) }
        ReplayJobs.prune(&jobs, now: EventTime(epochMilliseconds: 100_000), retention: .seconds(60), maxJobs: 10)
        #expect(jobs.count == 10)
        #expect(jobs["running"] != nil && jobs["f19"] != nil && jobs["recent"] == nil && jobs["f0"] == nil)
    }

    @Test("a finished job answers until its retention passes, then it is gone")
    func forgotten() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-jobs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("r.sqlite").path),
                                    logger: Logger(label: "jobs"))
        let jobs = ReplayJobs(store: store, logger: Logger(label: "jobs"),
                              retention: .milliseconds(300), maxJobs: 100)
        let job = jobs.start(seqs: [], ratePerSecond: 10)
        var finished = false
        for _ in 0..<200 where !finished {
            finished = jobs.job(job.id)?.finishedAt != nil
            if !finished { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(finished)
        try await Task.sleep(for: .milliseconds(600))
        #expect(jobs.job(job.id) == nil)
        #expect(jobs.count == 0)
        await store.close()
    }
}
