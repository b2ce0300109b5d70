import Logging
import RelayCore
import RelayDelivery
import RelayStore

/// What ops do to a running relay (docs/CONTRACT.md §7): dead letters (pages, one letter, replay, discard, bulk
/// replay), endpoints (health, enable, disable, recover), shipment traces, quarantine and the audit log.
///
/// The admin JSON API (`AdminController`) and the `/ops` page (`OpsController`) are adapters over this one type:
/// they turn HTTP into these calls and the results into JSON or HTML. Every state change happens here together with
/// what comes with it — its audit entry, one info log line, and for endpoint toggles the operational webhook — so
/// both ways in behave the same.
struct OpsService: Sendable {
    /// Who asks: the admin token's name, and the way in (`api` for the admin API and CLI, `ops` for the page).
    struct Actor: Sendable {
        var name: String
        var via: String
    }

    /// What became of an action on one dead letter.
    enum LetterOutcome: Sendable, Equatable {
        case done
        /// The delivery exists but is not dead (already replayed or discarded).
        case notDead
        /// The id is not a delivery id.
        case unknown
    }

    /// The configuration in force (replaced by a reload); read per call.
    let live: LiveConfiguration
    let store: any RelayStore
    let jobs: ReplayJobs
    let queue: NormalisationQueue
    /// Operational webhooks for endpoint toggles (nil when none are configured).
    let notifier: OpsNotifier?
    /// The background logger: one info line per state change.
    let logger: Logger
    /// The time of a state change (replayed-at, disabled-at, audit entry).
    var now: @Sendable () -> EventTime = { WallClock.now() }

    var configuration: RelayConfiguration { live.current }

    // MARK: Dead letters

    /// One page of dead letters, newest first, and the cursor of the next page when this one is full.
    /// - Parameters:
    ///   - fields: filter fields (`client`, `endpoint`, `type`, `failure`, `awb`, `since`, `until`).
    ///   - cursor: where the previous page ended.
    func deadLetters(fields: [String: String], limit: Int, after cursor: DeadLetterCursor?) async throws
        -> (letters: [DeadLetter], next: DeadLetterCursor?)
    {
        var filter = DeadLetterFilter(fields: fields, limit: limit)
        if let cursor { filter.before = (cursor.deadAt, cursor.seq) }
        let letters = try await store.deadLetters(filter)
        let next = letters.count == filter.limit ? letters.last.map(DeadLetterCursor.init) : nil
        return (letters, next)
    }

    /// A delivery by its `dlv_…` id (dead or not), or nil.
    func letter(_ id: String) async throws -> DeadLetter? {
        guard let seq = DeadLetter.seq(fromId: id) else { return nil }
        return try await store.deadLetter(seq: seq)
    }

    /// Every attempt of a delivery, oldest first.
    func attempts(of letter: DeadLetter) async throws -> [StoredAttempt] {
        try await store.attempts(delivery: letter.seq)
    }

    /// Sends a dead letter again now (same `webhook-id`, `webhook-attempt-trigger: manual`).
    func replay(_ id: String, by actor: Actor) async throws -> LetterOutcome {
        guard let seq = DeadLetter.seq(fromId: id) else { return .unknown }
        guard try await store.replay(deadLetter: seq, now: now()) else { return .notDead }
        try await audit(actor, "replay", target: "dlv_\(seq)", detail: "replayed")
        logger.info("dead letters replayed", metadata: Self.metadata(actor, [
            "relay.dead_letter": "dlv_\(seq)", "relay.count": "1",
        ]))
        return .done
    }

    /// Discards a dead letter: it stays stored but is no longer a letter.
    func discard(_ id: String, by actor: Actor) async throws -> LetterOutcome {
        guard let seq = DeadLetter.seq(fromId: id) else { return .unknown }
        guard try await store.discard(deadLetter: seq, now: now()) else { return .notDead }
        try await audit(actor, "discard", target: "dlv_\(seq)", detail: "discarded")
        logger.info("dead letter discarded", metadata: Self.metadata(actor, ["relay.dead_letter": "dlv_\(seq)"]))
        return .done
    }

    // MARK: Bulk replay

    /// The most dead letters one bulk replay takes.
    static var bulkLimit: Int { DeadLetterFilter.maxLimit }

    /// The rate of a bulk replay: the one asked for, within 1…10,000 a second; 50 when none is given.
    static func rate(_ requested: Double?) -> Double {
        max(1, min(requested ?? 50, 10_000))
    }

    /// What a bulk replay with these filter fields would replay: how many letters, and the newest ten. `capped`:
    /// the count reached `bulkLimit`, so more may match than one bulk replay takes (it takes the newest
    /// `bulkLimit`; another replay afterwards takes the rest).
    func bulkReplayPreview(fields: [String: String]) async throws
        -> (count: Int, capped: Bool, sample: [DeadLetter])
    {
        let letters = try await store.deadLetters(DeadLetterFilter(fields: fields, limit: Self.bulkLimit))
        return (letters.count, letters.count >= Self.bulkLimit, Array(letters.prefix(10)))
    }

    /// Starts replaying the dead letters the filter fields select (fixed now, oldest first) at `ratePerSecond`.
    func startBulkReplay(fields: [String: String], ratePerSecond: Double, by actor: Actor) async throws
        -> ReplayJobs.Job
    {
        let letters = try await store.deadLetters(DeadLetterFilter(fields: fields, limit: Self.bulkLimit))
        let job = jobs.start(seqs: letters.map(\.seq).reversed(), ratePerSecond: ratePerSecond)
        try await audit(actor, "bulk_replay", target: job.id,
                        detail: Audit.describe(count: letters.count, filter: fields, rate: ratePerSecond))
        logger.info("bulk replay of dead letters started", metadata: Self.metadata(actor, [
            "relay.replay_job": "\(job.id)", "relay.count": "\(letters.count)",
            "relay.rate_per_second": "\(Int(ratePerSecond))",
        ]))
        return job
    }

    /// A bulk replay's progress, while it is remembered.
    func replayJob(_ id: String) -> ReplayJobs.Job? {
        jobs.job(id)
    }

    // MARK: Shared

    func audit(_ actor: Actor, _ action: String, target: String, detail: String) async throws {
        try await store.recordAudit(AuditEntry(at: now(), actor: actor.name, action: action, target: target,
                                               detail: detail, via: actor.via))
    }

    /// Log metadata of a state change: who did it and how, plus `extra`.
    static func metadata(_ actor: Actor, _ extra: Logger.Metadata) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["relay.actor": "\(actor.name)", "relay.via": "\(actor.via)"]
        metadata.merge(extra) { _, new in new }
        return metadata
    }
}
