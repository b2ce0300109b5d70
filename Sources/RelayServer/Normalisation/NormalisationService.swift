import Logging
import RelayCore
import RelayDelivery
import RelayStore
import ServiceLifecycle
import Synchronization

/// Normalises committed callbacks in batches, after their 2xx was sent (docs/CONTRACT.md §3: answer fast, work from storage).
///
/// On start it first catches up on callbacks stored but not normalised (a crash between answer and
/// normalisation loses nothing); then it takes what the routes hand over. Each batch is one store transaction, so
/// a callback is marked normalised together with what it produced.
final class NormalisationService: Service, Sendable {
    let store: any RelayStore
    let queue: NormalisationQueue
    /// The configuration in force (replaced by a reload); read per request.
    let live: LiveConfiguration
    var configuration: RelayConfiguration { live.current }
    let logger: Logger
    let metrics: RelayMetrics
    let batchLimit = 128
    let sweepInterval = Duration.seconds(10)
    let failedBatches = Atomic<Int>(0)
    /// Failed batches, at most one line every 10 s (a full disk fails every batch).
    let errors: RateLimitedLogger

    let delay: Duration
    let wakeup: DeliveryWakeup

    init(store: any RelayStore, queue: NormalisationQueue, live: LiveConfiguration, logger: Logger,
         metrics: RelayMetrics, wakeup: DeliveryWakeup, delay: Duration = .zero) {
        self.wakeup = wakeup
        self.metrics = metrics
        self.delay = delay
        self.store = store
        self.queue = queue
        self.live = live
        self.logger = logger
        self.errors = RateLimitedLogger(logger: logger)
    }

    func run() async throws {
        let queue = self.queue
        try await withGracefulShutdownHandler {
            try await catchUp()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.sweep() }
                while let (items, overflowed) = await queue.next(limit: batchLimit) {
                    if !items.isEmpty { await normalise(items) }
                    if overflowed { try await catchUp() }
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

    /// Catches up again every `sweepInterval` when it matters: on a shared store (another instance may have
    /// stopped between storing callbacks and normalising them) and after a failed batch (the database was away).
    func sweep() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: sweepInterval) } catch { return }
            guard store.isShared || failedBatches.exchange(0, ordering: .relaxed) > 0 else { continue }
            do {
                try await catchUp()
            } catch {
                logger.warning("catching up on stored callbacks failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Normalises every stored, accepted, not yet normalised callback.
    func catchUp() async throws {
        var after: Int64 = 0
        var total = 0
        while true {
            let callbacks = try await store.unnormalisedCallbacks(afterSeq: after, limit: batchLimit)
            guard let last = callbacks.last else { break }
            after = last.seq
            total += callbacks.count
            await normalise(callbacks.map { NormalisationInput(callback: $0, parsed: nil) })
        }
        if total > 0 { logger.info("normalised stored callbacks (catch-up)", metadata: ["relay.callbacks": "\(total)"]) }
    }

    func normalise(_ items: [NormalisationInput]) async {
        if delay > .zero { try? await Task.sleep(for: delay) }
        let configuration = self.configuration
        let logger = self.logger
        let prepared = items.map { input -> NormalisationInput in
            guard input.parsed == nil else { return input }
            var input = input
            input.parsed = try? CallbackParser.parse(aggregator: input.callback.aggregator, body: input.callback.body,
                                                     contentType: input.callback.contentType)
            return input
        }
        do {
            let summary = try await store.normalise(prepared) { input, context in
                Self.normalise(input, context: context, configuration: configuration, logger: logger)
            }
            metrics.normalised(notifications: summary.notifications, deliveries: summary.deliveries)
            if summary.deliveries > 0 { wakeup.signal() }
            for (outcome, count) in summary.outcomes { metrics.events(outcome, count: count) }
        } catch {
            // Left unnormalised in the store: the next sweep (or start) retries them.
            failedBatches.add(1, ordering: .relaxed)
            errors.error("normalisation batch failed", cause: "normalise",
                         metadata: ["error": "\(error)", "relay.batch.size": "\(items.count)"])
        }
    }

    static func normalise(_ input: NormalisationInput, context: any NormalisationContext,
                          configuration: RelayConfiguration, logger: Logger) -> NormalisationResult? {
        guard let client = configuration.client(id: input.callback.client) else {
            logger.warning("callback for a client no longer configured", metadata: ["relay.callback.id": "\(input.callback.id)"])
            return nil
        }
        guard let parsed = input.parsed else {
            logger.warning("stored callback no longer parses", metadata: ["relay.callback.id": "\(input.callback.id)"])
            return nil
        }
        let receivedAt = input.callback.receivedAt
        return Normaliser().normalise(
            events: parsed.events, client: client, receivedAt: receivedAt, context: context,
            makeId: { Identifier.make(prefix: "ntf", epochMilliseconds: receivedAt.epochMilliseconds) })
    }
}
