public import Logging
public import RelayCore
public import RelayStore
public import ServiceLifecycle
import Synchronization

/// Normalises committed callbacks in batches, after their 2xx was sent (docs/CONTRACT.md §3: answer fast, work from
/// storage).
///
/// On start it first catches up on callbacks stored but not normalised (a crash between answer and
/// normalisation loses nothing); then it takes what the routes hand over. Each batch goes through a
/// `NormalisationLoop` (snapshot → pure normalise → one commit), so a callback is marked normalised together with
/// what it produced.
public final class NormalisationService: Service, Sendable {
    /// Where unnormalised callbacks are read back from.
    let inbox: any RelayStore
    let loop: NormalisationLoop
    let queue: NormalisationQueue
    /// The configuration in force (replaced by a reload); read per batch.
    let live: LiveConfiguration
    let logger: Logger
    let batchLimit = 128
    let sweepInterval = Duration.seconds(10)
    /// How old a callback left unnormalised on a shared store must be before a sweep takes it from another instance.
    let orphanAgeMilliseconds: Int64 = 30_000
    let failedBatches = Atomic<Int>(0)
    /// Failed batches, at most one line every 10 s (a full disk fails every batch).
    let errors: RateLimitedLogger
    let delay: Duration
    /// A batch smaller than `gatherBelow` waits `gather` for more callbacks before it runs. Each batch costs a
    /// snapshot, a commit and their hand-offs whatever its size, and at a steady 1,000 callbacks/s batches held
    /// one or two: gathering 2–5 ms cut the relay's CPU per callback by 14–24 % on SQLite, for a few ms of latency
    /// (docs/BENCHMARKS.md, "Fourth pass"). On a shared store a batch is also five round trips to PostgreSQL and a
    /// commit there: gathering 12 ms below 48 callbacks cut PostgreSQL's CPU per notification by 15 % at 2,000/s
    /// with p95 still about 30 ms (16 ms below 64 saved a little more in the ninth pass, for p95 near 50 ms); on SQLite the same would take p95 from 8 to 18 ms for 11 % of the relay's CPU,
    /// so it gathers 4 ms below 16 (docs/BENCHMARKS.md, "Eighth pass"). Callbacks are already answered: this
    /// delays only their notifications.
    let gather: Duration
    let gatherBelow: Int
    let onBatch: @Sendable (NormalisationSummary) -> Void

    /// - Parameters:
    ///   - store: the callbacks' store; also the normalisation stage unless `normalisationStore` is given.
    ///   - normalisationStore: the store batches are snapshotted from and committed to (tests put one in front).
    ///   - delay: a pause before each batch (fault injection for crash tests).
    ///   - taker: the delivery engine of this process, which sends new deliveries leased by their commit.
    ///   - onBatch: called with what each committed batch wrote (metrics).
    public init(store: any RelayStore, normalisationStore: (any NormalisationStore)? = nil, queue: NormalisationQueue,
                live: LiveConfiguration, logger: Logger, delay: Duration = .zero,
                taker: (any FreshDeliveryTaker)? = nil,
                onBatch: @escaping @Sendable (NormalisationSummary) -> Void = { _ in }) {
        self.inbox = store
        (gather, gatherBelow) = store.isShared ? (.milliseconds(12), 48) : (.milliseconds(4), 16)
        self.loop = NormalisationLoop(store: normalisationStore ?? store, taker: taker)
        self.queue = queue
        self.live = live
        self.logger = logger
        self.errors = RateLimitedLogger(logger: logger)
        self.delay = delay
        self.onBatch = onBatch
    }

    /// Batches that failed since the last sweep (the sweep then catches up even on an unshared store).
    public var failedBatchCount: Int { failedBatches.load(ordering: .relaxed) }

    public func run() async throws {
        let queue = self.queue
        try await withGracefulShutdownHandler {
            try await catchUp()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.sweep() }
                while let (first, overflowed) = await queue.next(limit: batchLimit) {
                    var items = first
                    if !items.isEmpty, items.count < gatherBelow {
                        try? await Task.sleep(for: gather)
                        items += queue.takeNow(limit: batchLimit - items.count)
                    }
                    if !items.isEmpty { await normalise(items) }
                    if overflowed {
                        // The queue dropped callbacks it had no room for: they are read back from the store. A store
                        // that fails meanwhile must not stop the relay: the sweep catches up once it answers.
                        do {
                            try await catchUp()
                        } catch {
                            failedBatches.add(1, ordering: .relaxed)
                            logger.warning("catching up on stored callbacks failed; the sweep retries",
                                           metadata: ["error": "\(error)"])
                        }
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            queue.finish()
        }
        // Drain what is still queued; anything left is picked up by the next start's catch-up.
        while let (items, _) = await queue.next(limit: batchLimit), !items.isEmpty {
            await normalise(items)
        }
    }

    /// Catches up again every `sweepInterval` when it matters: after a failed batch (the database was away) on
    /// everything stored, and on a shared store on what another instance may have left behind (it stopped between
    /// storing callbacks and normalising them): callbacks received more than `orphanAge` ago that are not waiting
    /// in this process's own queue. (Sweeping everything there would normalise this process's own backlog a second
    /// time, concurrently with the queue, just when it is behind.)
    func sweep() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: sweepInterval) } catch { return }
            let failed = failedBatches.exchange(0, ordering: .relaxed) > 0
            guard inbox.isShared || failed else { continue }
            do {
                if failed {
                    try await catchUp()
                } else {
                    let now = WallClock.now().epochMilliseconds
                    try await catchUp(receivedBefore: EventTime(epochMilliseconds: now - orphanAgeMilliseconds))
                }
            } catch {
                logger.warning("catching up on stored callbacks failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Normalises every stored, accepted, not yet normalised callback; with `receivedBefore`, only those received
    /// before it and not waiting in the queue.
    public func catchUp(receivedBefore: EventTime? = nil) async throws {
        var after: Int64 = 0
        var total = 0
        while true {
            let callbacks = try await inbox.unnormalisedCallbacks(afterSeq: after, receivedBefore: receivedBefore,
                                                                  limit: batchLimit)
            guard let last = callbacks.last else { break }
            after = last.seq
            let orphans = receivedBefore == nil ? callbacks : callbacks.filter { !queue.isQueued($0.seq) }
            total += orphans.count
            if !orphans.isEmpty { await normalise(orphans.map { NormalisationInput(callback: $0, parsed: nil) }) }
        }
        if total > 0 { logger.info("normalised stored callbacks (catch-up)", metadata: ["relay.callbacks": "\(total)"]) }
    }

    /// Normalises one batch. A batch that fails (the store cannot be read or written) is logged and left
    /// unnormalised in the store: the next sweep (or start) retries it.
    ///
    /// A batch the store refuses for its data (`RejectedData`: writing it again would fail again) is split in halves,
    /// each normalised on its own, down to the callback that causes it; that one leaves the queue marked, listed in
    /// quarantine with the other callbacks there was nothing to normalise for, and the others of its batch go on.
    public func normalise(_ items: [NormalisationInput]) async {
        if delay > .zero { try? await Task.sleep(for: delay) }
        await normalise(items, configuration: live.current)
    }

    func normalise(_ items: [NormalisationInput], configuration: RelayConfiguration) async {
        let logger = self.logger
        do {
            let summary = try await loop.run(items) { input in
                Self.request(input, configuration: configuration, logger: logger)
            }
            onBatch(summary)
        } catch where RejectedData.isRejectedData(error) && items.count > 1 {
            let half = items.count / 2
            await normalise(Array(items[..<half]), configuration: configuration)
            await normalise(Array(items[half...]), configuration: configuration)
        } catch where RejectedData.isRejectedData(error) {
            logger.error("the store refused what a callback normalises to: it is left in quarantine", metadata: [
                "relay.callback.id": "\(items.first?.callback.id ?? "-")",
                "error": "\(String("\(error)".prefix(300)))",
            ])
            do {
                onBatch(try await loop.run(items) { _ in nil })
            } catch {
                failed(error, size: items.count)
            }
        } catch {
            failed(error, size: items.count)
        }
    }

    /// A batch that failed: counted (the next sweep catches up) and logged, at most a line every 10 s.
    func failed(_ error: any Error, size: Int) {
        failedBatches.add(1, ordering: .relaxed)
        errors.error("normalisation batch failed", cause: "normalise",
                     metadata: ["error": "\(error)", "relay.batch.size": "\(size)"])
    }

    /// What the normaliser gets for a callback: its events (parsed again from the stored bytes when the route did
    /// not hand them over) and its client; nil, with a warning, when there is nothing to normalise.
    static func request(_ input: NormalisationInput, configuration: RelayConfiguration, logger: Logger)
        -> NormalisationRequest?
    {
        guard let client = configuration.client(id: input.callback.client) else {
            logger.warning("callback for a client no longer configured", metadata: ["relay.callback.id": "\(input.callback.id)"])
            return nil
        }
        let parsed = input.parsed ?? (try? CallbackParser.parse(
            aggregator: input.callback.aggregator, body: input.callback.body, contentType: input.callback.contentType))
        guard let parsed else {
            logger.warning("stored callback no longer parses", metadata: ["relay.callback.id": "\(input.callback.id)"])
            return nil
        }
        return NormalisationRequest(events: parsed.events, client: client, receivedAt: input.callback.receivedAt)
    }
}
