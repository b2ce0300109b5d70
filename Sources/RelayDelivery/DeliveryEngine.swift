import AsyncHTTPClient
import Foundation
public import Logging
import Metrics
import NIOCore
public import RelayCore
public import RelayStore
public import ServiceLifecycle
import Synchronization

/// Turns stored deliveries into HTTP requests (docs/CONTRACT.md §6).
///
/// One loop finds due deliveries in the store and starts an attempt for each one that may leave now: per
/// (endpoint, shipment) deliveries leave in event order, one at a time (a later one waits while an earlier one is
/// retried); each endpoint has a cap on requests in flight (an answered attempt whose outcome is being committed no
/// longer takes a slot; `DeliveryBook`) and there is no shared cap: an endpoint at its cap is left out of
/// the store scan, so however many endpoints stall, the others keep their latency. Every attempt is
/// recorded, and the delivery's next state (delivered, retry at T, dead) is committed before the next attempt of
/// its chain can start. Retries live in the store: a restart resumes them.
public final class DeliveryEngine: Service, FreshDeliveryTaker, Sendable {
    let store: any RelayStore
    /// The configuration in force (replaced by a reload): each attempt reads its endpoint from it.
    let live: LiveConfiguration
    var configuration: RelayConfiguration { live.current }
    let logger: Logger
    let wakeup: DeliveryWakeup
    var endpoints: [String: Endpoint] { live.snapshot.endpoints }
    let book = Mutex(DeliveryBook())
    /// The attempt metrics, each object made once.
    let metrics = DeliveryMetrics()
    /// Errors of the loop (claims, refreshes), at most one line per cause every 10 s.
    let errors: RateLimitedLogger
    /// Failed attempts and dead letters: one warning line per endpoint and failure class every 10 s.
    let attemptLog: RateLimitedLogger
    /// Operational webhooks (endpoint disabled, dead letters), when configured.
    let notifier: OpsNotifier?
    /// Told of every finished attempt: (endpoint id, outcome `delivered` | `retry` | `dead`). Feeds `/ops` charts.
    let onAttempt: (@Sendable (String, String) -> Void)?
    let shuttingDown = Atomic<Bool>(false)
    /// This process's lease owner name (its pid, for ops reading the deliveries table, and a random part).
    let owner = "relay-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
    /// How long a claim lasts: longer than any attempt, so a delivery is taken over only from a stopped process.
    let leaseSeconds: Double
    /// Woken only by finished attempts (`DeliveryWakeup.nudge`), the loop on a shared store claims at most once
    /// per interval: each claim there is a statement and, when it takes something, a commit. New deliveries
    /// (`signal`) are claimed at once. This halved the claims at 2,000 callbacks/s (docs/BENCHMARKS.md, "Ninth
    /// pass"); an attempt's endpoint slot or chain successor waits at most 10 ms longer. SQLite claims at once.
    let claimInterval: Duration
    /// The last claim on a shared store filled an endpoint's free slots: more are likely due, so a finished attempt
    /// wakes the loop at once (draining a backlog) instead of nudging it.
    let backlog = Atomic<Bool>(false)
    /// When the loop last read the queue although every endpoint was at its cap.
    let lastFullScan = Mutex(ContinuousClock.now)
    /// The wall clock (injected: tests may move time).
    let clock: @Sendable () -> EventTime
    /// New deliveries a normalisation commit leased for this engine (`take`), sent without a claim.
    let handed: AsyncStream<[DueDelivery]>
    let handedInput: AsyncStream<[DueDelivery]>.Continuation
    /// Between the start of the loop and the start of a graceful shutdown: slots may be reserved (`reserve`).
    let running = Atomic<Bool>(false)
    /// The last answer of `store.nextDueTime`, when it was asked, and retries scheduled since (`nextDueTime(after:)`).
    let nextDue = Mutex<(time: EventTime?, asked: ContinuousClock.Instant?, retryAfterAsk: EventTime?)>((nil, nil, nil))

    /// - Parameters:
    ///   - wakeup: signalled by the normaliser when it stores new deliveries.
    ///   - notifier: operational webhooks for endpoint disables and dead letters.
    ///   - onAttempt: called after each attempt with the endpoint id and the outcome.
    public convenience init(store: any RelayStore, configuration: RelayConfiguration, wakeup: DeliveryWakeup,
                            logger: Logger, notifier: OpsNotifier? = nil,
                            onAttempt: (@Sendable (String, String) -> Void)? = nil) {
        self.init(store: store, live: LiveConfiguration(configuration), wakeup: wakeup, logger: logger,
                  notifier: notifier, onAttempt: onAttempt)
    }

    /// - Parameter live: the configuration in force; a reload changes endpoints, secrets and schedules for the
    ///   next attempts.
    /// - Parameter clock: the wall clock; the default reads the system's.
    public init(store: any RelayStore, live: LiveConfiguration, wakeup: DeliveryWakeup, logger: Logger,
                notifier: OpsNotifier? = nil, onAttempt: (@Sendable (String, String) -> Void)? = nil,
                clock: @escaping @Sendable () -> EventTime = WallClock.now) {
        let configuration = live.current
        let stream = AsyncStream.makeStream(of: [DueDelivery].self)
        handed = stream.stream
        handedInput = stream.continuation
        self.store = store
        self.claimInterval = store.isShared ? .milliseconds(10) : .zero
        self.clock = clock
        self.live = live
        self.wakeup = wakeup
        self.logger = logger
        self.errors = RateLimitedLogger(logger: logger)
        self.attemptLog = RateLimitedLogger(logger: logger)
        self.notifier = notifier
        self.onAttempt = onAttempt
        leaseSeconds = configuration.deliveryLeaseSeconds
    }

    public func run() async throws {
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.redirectConfiguration = .disallow
        clientConfiguration.decompression = .disabled
        clientConfiguration.timeout = .init(connect: .seconds(5))
        // Endpoints on one host share its connections: allow all their in-flight attempts at once, so a stalled
        // endpoint cannot hold the connections another endpoint on the same host needs.
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60),
                                                   concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost())
        // A refused connection fails the attempts waiting for it at once (class `connect`) and the delivery schedule
        // decides when to try again; AsyncHTTPClient's own retries would hold a host's connections in a back-off of
        // up to a minute after the receiver is back.
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        // The relay exports no traces: without a tracer AsyncHTTPClient skips the span and its attributes per request
        // (with the default no-op tracer it still builds both).
        clientConfiguration.tracing.tracer = nil
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let sender = WebhookSender(client: client, tokens: MagentoTokenProvider(client: client))
        do {
            try await restoreBook()
            running.store(true, ordering: .releasing)
            // However the loop ends (a graceful shutdown, or cancelled because another service failed), commits
            // lease nothing more for it.
            defer { running.store(false, ordering: .releasing) }
            await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { group in
                    group.addTask { await self.sendHanded(sender: sender) }
                    var refreshed = ContinuousClock.now
                    var backoff = Backoff()
                    var lastClaim = ContinuousClock.now - .seconds(1)
                    var urgent = true
                    while !shuttingDown.load(ordering: .acquiring), !Task.isCancelled {
                        // Ops enable and disable endpoints through the store (possibly from another process).
                        if ContinuousClock.now - refreshed > .seconds(1) {
                            refreshed = ContinuousClock.now
                            let generation = book.withLock { $0.disabledGeneration }
                            do {
                                let disabled = try await store.disabledEndpoints()
                                // A 410 seen while reading is newer than what was read: keep it.
                                book.withLock { book in
                                    if book.disabledGeneration == generation {
                                        book.disabledEndpoints = disabled.union(book.disablingEndpoints)
                                    }
                                }
                            } catch {
                                // Enables and disables made elsewhere (ops, another instance) wait for the store.
                                errors.warning("cannot read which endpoints are disabled; keeping the last known",
                                               cause: "disabled-endpoints", metadata: ["error": "\(error)"])
                            }
                            let endpoints = self.endpoints
                            _ = book.withLock { book in
                                let disabled = book.disabledEndpoints
                                return book.dropLeasedWaiting { endpoints[$0] != nil && !disabled.contains($0) }
                            }
                            await expireAwaitingOrder()
                        }
                        let claimed: [DueDelivery]
                        let more: Bool
                        // Woken only by finished attempts: on a shared store, claim at most once per
                        // `claimInterval` (each claim is a statement and usually a commit), unless new deliveries
                        // arrive meanwhile.
                        if claimInterval > .zero, !urgent {
                            while true {
                                let remaining = claimInterval - (ContinuousClock.now - lastClaim)
                                if remaining <= .zero || shuttingDown.load(ordering: .acquiring) { break }
                                if await wakeup.wait(timeout: remaining) { break }
                            }
                        }
                        lastClaim = ContinuousClock.now
                        do {
                            (claimed, more) = try await claim()
                            backoff.reset()
                        } catch {
                            // The store failed (full disk, database away): back off, 50 ms doubling to 5 s, and
                            // log one line per cause every 10 s instead of one per loop.
                            let pause = backoff.next()
                            errors.error("cannot claim due deliveries; backing off", cause: "claim",
                                         metadata: ["error": "\(error)", "relay.retry_in": "\(pause)"])
                            let until = ContinuousClock.now + pause
                            while ContinuousClock.now < until, !shuttingDown.load(ordering: .acquiring),
                                !Task.isCancelled
                            {
                                await wakeup.wait(timeout: until - ContinuousClock.now)
                            }
                            continue
                        }
                        for delivery in claimed {
                            group.addTask { await self.deliver(delivery, sender: sender) }
                        }
                        // While attempts run, their completions wake the loop; only an idle loop asks the store
                        // when the next retry falls due.
                        if more {
                            urgent = true
                            continue
                        }
                        urgent = await wakeup.wait(timeout: claimed.isEmpty ? await idleTimeout() : .seconds(1))
                    }
                    // Graceful shutdown: no new attempts; the group waits for those in flight.
                }
            } onGracefulShutdown: {
                self.running.store(false, ordering: .releasing)
                self.shuttingDown.store(true, ordering: .releasing)
                self.wakeup.signal()
                // What was handed over before is still sent; the group then waits for those attempts too.
                self.handedInput.finish()
            }
        }
        try? await client.shutdown()
    }

    /// Sends what normalisation commits leased for this engine, as they come.
    func sendHanded(sender: WebhookSender) async {
        await withDiscardingTaskGroup { group in
            for await deliveries in handed {
                for delivery in deliveries { group.addTask { await self.deliver(delivery, sender: sender) } }
            }
        }
    }

    // MARK: New deliveries leased by their commit (`FreshDeliveryTaker`)

    /// Reserves free slots of the endpoints for a normalisation commit on a shared store (one claim statement fewer
    /// per delivery there; on SQLite a claim is a local read and the commit leases nothing). None for an endpoint
    /// disabled or no longer configured, nor while the engine is not running.
    public func reserve(_ wanted: [String: Int]) -> FreshLeases? {
        guard store.isShared, running.load(ordering: .acquiring), !shuttingDown.load(ordering: .acquiring) else {
            return nil
        }
        let endpoints = self.endpoints
        let defaultCap = configuration.delivery.maxInFlightPerEndpoint
        let slots = book.withLock { book -> [String: Int] in
            var slots: [String: Int] = [:]
            for (id, count) in wanted where count > 0 && !book.disabledEndpoints.contains(id) {
                guard let endpoint = endpoints[id] else { continue }
                let reserved = book.reserveFresh(count, of: id, cap: endpoint.maxInFlight ?? defaultCap)
                if reserved > 0 { slots[id] = reserved }
            }
            return slots
        }
        guard !slots.isEmpty else { return nil }
        let until = clock().epochMilliseconds + Int64(leaseSeconds * 1000)
        return FreshLeases(owner: owner, until: EventTime(epochMilliseconds: until), slots: slots)
    }

    /// Gives back the reserved slots, enters what the commit leased in the book as claimed, and sends it. After a
    /// graceful shutdown began nothing more is sent: such a delivery stays leased until its lease ends, then any
    /// instance claims it (sent later, never lost).
    public func take(_ leases: FreshLeases, leased: [DueDelivery]) {
        let endpoints = self.endpoints
        let defaultCap = configuration.delivery.maxInFlightPerEndpoint
        let now = book.withLock { book in
            for (id, count) in leases.slots { book.unreserve(count, of: id) }
            // Over the endpoint's request cap they wait here, leased, and go as its requests end.
            return book.enterLeased(leased, until: leases.until, signals: wakeup.signals) {
                endpoints[$0]?.maxInFlight ?? defaultCap
            }
        }
        hand(now)
    }

    /// Notes chains busy here behind which a commit stored deliveries (`DeliveryBook.waitingChains`).
    public func waiting(chains: Set<String>) {
        guard store.isShared, !chains.isEmpty else { return }
        book.withLock { $0.noteWaiting(chains) }
    }

    /// Sends deliveries leased for this engine (entered in the book as claimed) without a claim.
    func hand(_ leased: [DueDelivery]) {
        guard !leased.isEmpty else { return }
        if case .terminated = handedInput.yield(leased) {
            book.withLock { book in for delivery in leased { book.release(delivery) } }
            logger.warning("deliveries leased while delivery was stopping are sent when their lease ends",
                           metadata: ["relay.deliveries": "\(leased.count)"])
        }
    }

    /// Deliveries held for want of an order code longer than `delivery.hold_unregistered_hours` become dead letters
    /// (`unroutable`); those held only behind them are released (issue #13, decision 9).
    func expireAwaitingOrder() async {
        let now = clock()
        let hold = Int64(configuration.delivery.holdUnregisteredHours * 3_600_000)
        do {
            let result = try await store.expireAwaitingOrder(
                heldBefore: EventTime(epochMilliseconds: now.epochMilliseconds - hold), now: now)
            if result.dead > 0 {
                Counter(label: "relay_unroutable_total").increment(by: result.dead)
                logger.warning("notifications without an order code were not registered in time: dead letters",
                               metadata: [
                                   "relay.dead_letters": "\(result.dead)", "relay.failure_class": "unroutable",
                                   "relay.released": "\(result.released)",
                               ])
            }
        } catch {
            logger.warning("cannot expire held deliveries yet", metadata: ["error": "\(error)"])
        }
    }

    /// How long to sleep when nothing wakes the loop: until the next retry falls due, at most one second (a
    /// backstop poll; new deliveries and finished attempts wake it at once). A claim that found nothing although
    /// deliveries are due (their endpoints at their caps, their chains waiting) waits for such a wake-up rather
    /// than asking again at once.
    func idleTimeout() async -> Duration {
        let now = clock()
        guard let next = await nextDueTime(after: now) else { return .seconds(1) }
        return .milliseconds(max(1, min(1000, next.epochMilliseconds - now.epochMilliseconds)))
    }

    /// The store's next due time, asked at most every `nextDueReuse`: a busy loop goes idle (every endpoint at its
    /// cap, chains waiting) many times a second, and each answer would cost the store a query (on PostgreSQL 1 ms
    /// of planning, 80 times a second at 2,000 callbacks/s). A retry this process schedules meanwhile lowers the
    /// remembered time (`rememberRetry`); new deliveries wake the loop anyway.
    func nextDueTime(after now: EventTime) async -> EventTime? {
        // Reused while fresh, unless the remembered time has come (then the store says what is due next).
        let reused = nextDue.withLock { cache -> EventTime?? in
            guard let asked = cache.asked, ContinuousClock.now - asked < Self.nextDueReuse else { return .none }
            if let time = cache.time, time <= now { return .none }
            return .some(cache.time)
        }
        if let reused { return reused }
        let asked = ContinuousClock.now
        guard let time = try? await store.nextDueTime(after: now) else { return nil }
        nextDue.withLock { cache in
            cache.asked = asked
            cache.time = [time, cache.retryAfterAsk].compactMap { $0 }.min()
            cache.retryAfterAsk = nil
        }
        return nextDue.withLock { $0.time }
    }

    /// Lowers the remembered next due time to a retry this process just scheduled.
    func rememberRetry(at time: EventTime) {
        nextDue.withLock { cache in
            cache.time = [cache.time, time].compactMap { $0 }.min()
            cache.retryAfterAsk = [cache.retryAfterAsk, time].compactMap { $0 }.min()
        }
    }

    static let nextDueReuse = Duration.milliseconds(250)

    /// Connections per host for the HTTP client: the sum of the caps of the endpoints on the busiest host.
    func connectionsPerHost() -> Int {
        var perHost: [String: Int] = [:]
        for endpoint in endpoints.values {
            let host = URL(string: endpoint.url).map { "\($0.host ?? ""):\($0.port ?? 0)" } ?? endpoint.url
            perHost[host, default: 0] += endpoint.maxInFlight ?? configuration.delivery.maxInFlightPerEndpoint
        }
        return max(64, perHost.values.max() ?? 0)
    }

    func restoreBook() async throws {
        // One delivering process per SQLite file: attempts a previous process had in flight are due again. (A
        // shared store keeps other processes' leases: they expire instead.)
        if !store.isShared { try await store.releaseLeases() }
        let disabled = try await store.disabledEndpoints()
        book.withLock { book in book.disabledEndpoints = disabled }
    }

    /// Due deliveries that may leave now, leased in the store and entered in the book; and whether the store had
    /// more due than were read (claim again at once).
    func claim() async throws -> (deliveries: [DueDelivery], more: Bool) {
        let endpoints = self.endpoints
        let defaultCap = configuration.delivery.maxInFlightPerEndpoint
        // Deliveries of disabled endpoints wait (not sent, not dead) until ops enable the endpoint again; endpoints
        // at their cap are left out of the scan too, so a backlog of a stalled endpoint never hides the due
        // deliveries of the others. Free slots: the sum over the endpoints that still have some.
        let (disabled, open) = book.withLock { book -> (Set<String>, [String: Int]) in
            let excluded = book.disabledEndpoints
            var open: [String: Int] = [:]
            var full = Set<String>()
            for (id, endpoint) in endpoints where !excluded.contains(id) {
                let slots = book.freeSlots(of: id, cap: endpoint.maxInFlight ?? defaultCap)
                if slots > 0 { open[id] = slots } else { full.insert(id) }
            }
            for id in book.endpointClaimed.keys where endpoints[id] == nil {
                if book.freeSlots(of: id, cap: defaultCap) <= 0 { full.insert(id) }
            }
            // What this claim cannot look at for want of a slot: a slot of theirs freed later wakes the loop.
            book.fullAtClaim = full
            return (excluded.union(full), open)
        }
        // Deliveries of endpoints no longer configured are claimed only to be dead-lettered: looked for once a second.
        let lookAtOthers = lastFullScan.withLock { last -> Bool in
            let now = ContinuousClock.now
            guard now - last >= .seconds(1) else { return false }
            last = now
            return true
        }
        let otherLimit = lookAtOthers ? 32 : 0
        // Every endpoint at its cap (or disabled), and not the time to look at others: nothing may leave.
        guard !open.isEmpty || otherLimit > 0 else { return ([], false) }
        let slots = max(1, open.values.reduce(0, +))
        let now = clock()
        let lease = EventTime(epochMilliseconds: now.epochMilliseconds + Int64(leaseSeconds * 1000))
        // A shared store keeps each chain's order itself (only a chain's head is due there): it reads and leases
        // in one statement, as many per endpoint as it has free slots, and the book only records what was taken.
        if let leased = try await store.claimDue(now: now, limits: open, otherLimit: otherLimit, excluding: disabled,
                                                 owner: owner, until: lease)
        {
            book.withLock { book in for delivery in leased { book.claim(delivery) } }
            var taken: [String: Int] = [:]
            for delivery in leased { taken[delivery.endpointId, default: 0] += 1 }
            backlog.store(open.contains { taken[$0.key, default: 0] >= $0.value }, ordering: .relaxed)
            return (leased, false)
        }
        // Per endpoint, a few candidates per free slot: enough to step over chains that wait, without re-reading a
        // large backlog each time a single slot frees up. An endpoint at its cap is not read at all, so however
        // large its backlog, the others' reads stay small.
        let limits = open.mapValues { min(512, max(16, $0 * 2)) }
        let candidates = try await store.dueDeliveries(now: now, limits: limits, otherLimit: otherLimit,
                                                       excluding: disabled)
        guard !candidates.isEmpty else { return ([], false) }
        // The pure choice, outside any store transaction: earlier events of a chain first, one delivery per chain,
        // endpoints up to their caps. What is chosen enters the book now, so a concurrent claim cannot choose it too.
        let ordered = candidates.sorted { ($0.eventTime, $0.seq) < ($1.eventTime, $1.seq) }
        let chosen = book.withLock { book in
            var chosen: [DueDelivery] = []
            for delivery in ordered where chosen.count < slots {
                let cap = endpoints[delivery.endpointId]?.maxInFlight ?? defaultCap
                if !book.disabledEndpoints.contains(delivery.endpointId), book.mayClaim(delivery, cap: cap) {
                    book.claim(delivery)
                    chosen.append(delivery)
                }
            }
            return chosen
        }
        guard !chosen.isEmpty else { return ([], false) }
        var leased: [DueDelivery] = []
        defer {
            // Chosen but not leased (another process took it, it is no longer due, or the lease failed): not sent,
            // so its chain and its endpoint slot are free again.
            let kept = Set(leased.map(\.seq))
            let orphans = chosen.filter { !kept.contains($0.seq) }
            if !orphans.isEmpty { book.withLock { book in for delivery in orphans { book.release(delivery) } } }
        }
        leased = try await store.lease(chosen, owner: owner, until: lease, now: now)
        // An endpoint whose page was full and that yielded deliveries: more may be due at once.
        var read: [String: Int] = [:]
        for candidate in candidates { read[candidate.endpointId, default: 0] += 1 }
        let full = limits.contains { read[$0.key, default: 0] >= $0.value }
        return (leased, full && !leased.isEmpty)
    }

    /// An attempt's timeout: the endpoint's (or the default), within what the lease taken at start covers. A send
    /// takes at most twice its timeout (a Magento token fetch, a retry after 401); the lease must outlast it, or on a
    /// shared store another instance takes the delivery over and sends it again while this send still runs. The
    /// lease is fixed at start, so a reload that raises a timeout past it is held to it (and logged by the reloader).
    public static func timeout(of endpoint: Endpoint, configuration: RelayConfiguration, leaseSeconds: Double)
        -> Double
    {
        min(endpoint.timeoutSeconds ?? configuration.delivery.timeoutSeconds, max(1, (leaseSeconds - 30) / 2))
    }

    func deliver(_ delivery: DueDelivery, sender: WebhookSender) async {
        let startedAt = clock()
        guard let endpoint = endpoints[delivery.endpointId] else {
            do {
                _ = try await recordCompletion(Completion(
                    seq: delivery.seq, attempt: nil, outcome: .dead(.endpointRemoved), now: startedAt))
            } catch {
                // Its lease expires and it is tried again, to the same end.
                errors.warning("cannot record a delivery of a removed endpoint as dead; it is tried again later",
                               cause: "endpoint-removed", metadata: ["error": "\(error)",
                                                                     "relay.endpoint": "\(delivery.endpointId)"])
            }
            finish(delivery)
            return
        }
        let timeout = Self.timeout(of: endpoint, configuration: configuration, leaseSeconds: leaseSeconds)
        let result = await sender.send(delivery, to: endpoint, timeout: timeout, trigger: delivery.trigger)
        let now = clock()
        // An order posting answered 2xx with {"hasError": true} was rejected by the client: a failed attempt. The
        // whole answer (up to 64 KiB) is read, not the 4 KB stored excerpt; a longer answer is not JSON that can be
        // read and counts as accepted, like any 2xx answer that is not JSON.
        var rejection: String?
        if endpoint.kind == .orderPosting, let status = result.statusCode, (200..<300).contains(status),
            !result.bodyTruncated, let answer = try? JSONValue.parse(result.body), answer["hasError"]?.boolean == true
        {
            rejection = answer["errorMessage"]?.text ?? "hasError: true"
        }
        let verdict = AttemptVerdict.of(status: result.statusCode, failure: result.failure, rejected: rejection != nil)
        let policy = RetryPolicy(schedule: endpoint.retryScheduleSeconds ?? configuration.delivery.retryScheduleSeconds,
                                 jitter: configuration.delivery.jitter)
        let outcome = DeliveryOutcome.after(
            verdict, attempts: delivery.attempts, policy: policy,
            retryAfter: result.retryAfter.flatMap { RetryPolicy.parseRetryAfter($0, now: now) }, now: now,
            random: Double.random(in: 0..<1))
        let failure: FailureClass? = verdict == .delivered ? nil : outcome.failureClass
        let disable = verdict == .disableEndpoint
        if disable {
            // Stop claiming for it before anything of this attempt is committed.
            book.withLock { book in
                book.disabledEndpoints.insert(endpoint.id)
                book.disablingEndpoints.insert(endpoint.id)
                book.disabledGeneration += 1
            }
        }
        // The request has ended: its endpoint slot is free for the next one while this outcome is committed (the
        // chain stays busy until then). On a shared store a finished delivery (delivered or dead) whose chain has
        // a delivery waiting behind it (`DeliveryBook.waitingChains`) keeps the slot for that successor, which the
        // commit of its outcome leases in the same statement when it is due (`Completion.handOff`): no claim is
        // needed to move the chain on, so the loop is not nudged.
        // A delivery leased to this process by a commit and waiting for a request slot of the endpoint takes the
        // slot first (`DeliveryBook.leasedWaiting`).
        let signals = wakeup.signals
        // Leased here by a commit, with the signal count then (`DeliveryBook.quietEntries`).
        var entered: Int?
        var handOff: HandOff?
        var next: DueDelivery?
        var expired: [DueDelivery] = []
        let mayHandOff = store.isShared && !disable && running.load(ordering: .acquiring)
            && !shuttingDown.load(ordering: .acquiring) && outcome.finishes
        wake(freeing: delivery) { book in
            entered = book.quietEntries[delivery.seq]
            book.answered(delivery)
            let cap = endpoint.maxInFlight ?? configuration.delivery.maxInFlightPerEndpoint
            if book.disabledEndpoints.contains(endpoint.id) {
                _ = book.dropLeasedWaiting { $0 != endpoint.id }
                return entered != nil
            }
            // Its send may last the endpoint's timeout (twice that with an admin token: `WebhookSender.send`); a lease
            // ending sooner may be taken over meanwhile.
            let longest = endpoint.magentoAdminToken == nil ? timeout : 2 * timeout
            let latest = EventTime(epochMilliseconds: now.epochMilliseconds + Int64((longest + 1) * 1000))
            (next, expired) = book.nextLeased(of: endpoint.id, cap: cap, latest: latest)
            if next != nil { return true }
            guard mayHandOff, book.waitingChains.contains(delivery.chain),
                book.reserve(1, of: endpoint.id, cap: cap) == 1
            else { return entered != nil }
            handOff = HandOff(owner: owner, until: EventTime(
                epochMilliseconds: clock().epochMilliseconds + Int64(leaseSeconds * 1000)))
            return true
        }
        if let next { hand([next]) }
        if !expired.isEmpty {
            logger.warning("deliveries leased here waited past their lease for a request slot; sent when it ends",
                           metadata: ["relay.endpoint": "\(endpoint.id)", "relay.deliveries": "\(expired.count)"])
        }
        let attempt = AttemptRecord(
            startedAt: startedAt,
            durationMilliseconds: Int64(result.duration.components.seconds * 1000
                + result.duration.components.attoseconds / 1_000_000_000_000_000),
            statusCode: result.statusCode, failureClass: failure, responseExcerpt: result.excerpt,
            error: rejection ?? result.error, trigger: delivery.trigger)
        let handed = await record(delivery, attempt: attempt, outcome: outcome, now: now, handOff: handOff)
        if case .retry(let at, _) = outcome { rememberRetry(at: at) }
        let (clientLabel, endpointLabel) = Self.labels(of: endpoint.id, client: delivery.client)
        if disable {
            var dead: Int?
            do {
                dead = try await store.disableEndpoint(endpoint.id, reason: "410 Gone", now: now)
            } catch {
                // Not disabled: deliveries go on, and the endpoint's next 410 tries again.
                logger.error("endpoint answered 410 Gone, but disabling it failed; its next 410 tries again", metadata: [
                    "relay.client": "\(clientLabel)", "relay.endpoint": "\(endpoint.id)",
                    "error": "\(String("\(error)".prefix(200)))",
                ])
            }
            // Committed (or failed, and then the next 410 disables it again): the store is the truth once more.
            book.withLock { book in
                book.disablingEndpoints.remove(endpoint.id)
                book.disabledGeneration += 1
            }
            if let dead {
                logger.warning("endpoint answered 410 Gone and is disabled", metadata: [
                    "relay.client": "\(clientLabel)", "relay.endpoint": "\(endpoint.id)",
                    "relay.dead_letters": "\(dead)",
                ])
                notifier?.emit(.init(type: .endpointDisabled, at: now, data: [
                    "client": clientLabel, "endpoint": endpoint.id, "reason": "410 Gone", "deadLetters": "\(dead)",
                ]))
            }
        }
        let label = outcome.label
        if let failure {
            let next: String
            if case .retry(let at, _) = outcome { next = at.iso8601 } else { next = "none (dead letter)" }
            attemptLog.warning(
                label == "dead" ? "delivery failed for good: dead letter" : "delivery attempt failed",
                cause: "\(endpoint.id) \(failure.rawValue) \(label)",
                metadata: [
                    "relay.client": "\(clientLabel)", "relay.endpoint": "\(endpoint.id)",
                    "relay.delivery.seq": "\(delivery.seq)", "relay.notification": "\(delivery.notificationId)",
                    "relay.status": "\(attempt.statusCode.map(String.init) ?? "-")",
                    "relay.failure_class": "\(failure.rawValue)", "relay.attempt": "\(delivery.attempts + 1)",
                    "relay.next_attempt": "\(next)",
                ])
        }
        if case .dead(let failureClass) = outcome {
            notifier?.emit(.init(type: .deliveryDeadLettered, at: now, data: [
                "client": clientLabel, "endpoint": endpoint.id, "deadLetterId": "dlv_\(delivery.seq)",
                "notificationId": delivery.notificationId, "failureClass": failureClass.rawValue,
            ]))
        }
        var latency: Int64?
        if outcome == .delivered, let receivedAt = delivery.receivedAt {
            // Callback (or OMS message) received → notification delivered, across retries and restarts.
            latency = max(0, now.epochMilliseconds - receivedAt.epochMilliseconds) * 1_000_000
        }
        metrics.attempt(client: clientLabel, endpoint: endpointLabel, outcome: label,
                        failure: failure?.rawValue ?? "none",
                        durationNanoseconds: attempt.durationMilliseconds * 1_000_000, latencyNanoseconds: latency)
        onAttempt?(endpoint.id, label)
        guard handOff != nil else {
            // Finished, leased here by a commit and no signal since: nothing new for a claim
            // (`DeliveryBook.quietEntries`). A retry nudges: the loop then also looks at when it falls due.
            let quiet = outcome.finishes && entered.map { $0 == wakeup.signals } ?? false
            finish(delivery, quiet: quiet)
            return
        }
        // The commit looked for the chain's successor: what it handed off takes the reserved slot, in the same
        // change of the book as the finish (the chain is busy again), and an unused slot is free again. A successor
        // stored since the commit began (announced by a signal) may not have been seen: then a claim looks.
        let signalsNow = wakeup.signals
        let quiet = signalsNow == signals
        wake(freeing: delivery) { book in
            book.finish(delivery)
            book.unreserve(1, of: endpoint.id)
            for next in handed {
                book.claim(next)
                book.quietEntries[next.seq] = signalsNow
            }
            if handed.isEmpty { book.waitingChains.remove(delivery.chain) }
            return quiet
        }
        metrics.handedOff(handed.count)
        hand(handed)
    }

    /// Commits an attempt and the delivery's next state, retrying while the store is briefly unavailable (a slow
    /// or restarting database): a result never recorded means the delivery is sent again when its lease expires.
    /// Gives up at half the lease, counted from the attempt's start (after the lease another instance may take the
    /// delivery over), or when the process is shutting down.
    /// Returns the deliveries the commit handed off to this process (`handOff`).
    func record(_ delivery: DueDelivery, attempt: AttemptRecord, outcome: DeliveryOutcome, now: EventTime,
                handOff: HandOff? = nil) async -> [DueDelivery]
    {
        let giveUpAt = attempt.startedAt.epochMilliseconds + Int64(leaseSeconds * 500)
        var pause: Int64 = 200
        var tries = 0
        while true {
            tries += 1
            do {
                let handed = try await recordCompletion(Completion(
                    seq: delivery.seq, attempt: attempt, outcome: outcome, now: now,
                    expectedAttempts: delivery.attempts, handOff: handOff))
                if tries > 1 {
                    logger.info("delivery attempt recorded after retrying", metadata: [
                        "relay.delivery.seq": "\(delivery.seq)", "relay.tries": "\(tries)",
                    ])
                }
                return handed
            } catch {
                if shuttingDown.load(ordering: .acquiring) || Task.isCancelled
                    || clock().epochMilliseconds + pause > giveUpAt
                {
                    // Not recorded: the delivery stays in flight and is attempted again when its lease expires
                    // (at least once).
                    logger.error("cannot record a delivery attempt; it is sent again when its lease expires",
                                 metadata: ["relay.delivery.seq": "\(delivery.seq)", "relay.tries": "\(tries)",
                                            "error": "\(error)"])
                    return []
                }
                errors.warning("cannot record a delivery attempt yet; retrying", cause: "record", metadata: [
                    "relay.delivery.seq": "\(delivery.seq)", "relay.retry_in_ms": "\(pause)", "error": "\(error)",
                ])
                try? await Task.sleep(for: .milliseconds(pause))
                pause = min(pause * 2, 5000)
            }
        }
    }

    /// Commits one completion; the store batches it with those of attempts finishing at the same time. It returns
    /// once committed, so the next delivery of a chain never starts before this one's state is stored.
    @discardableResult
    func recordCompletion(_ completion: Completion) async throws -> [DueDelivery] {
        try await store.complete([completion])
    }

    /// Metric labels of an endpoint: its client and its name within the client (`notification`, `return_ack`,
    /// `order_posting`, `extra/<name>`). Both come from the configuration, so their number is bounded.
    static func labels(of endpointId: String, client: String) -> (client: String, endpoint: String) {
        let prefix = client + "/"
        return (client, endpointId.hasPrefix(prefix) ? String(endpointId.dropFirst(prefix.count)) : endpointId)
    }

    /// - Parameter quiet: no claim could take what this frees (`DeliveryBook.quietEntries`): no nudge.
    func finish(_ delivery: DueDelivery, quiet: Bool = false) {
        wake(freeing: delivery) { book in
            book.finish(delivery)
            return quiet
        }
    }

    /// Applies `change` to the book and wakes the loop: at once when it freed a slot of an endpoint that had none
    /// when the last claim ran (`DeliveryBook.fullAtClaim`: what was due for it was not read) or the last claim
    /// filled one (a backlog waits), otherwise with a nudge (`claimInterval`), unless `change`
    /// says it frees nothing a claim could take (it returns true: quiet; its slot went to a delivery already
    /// leased here, or its chain was handed on).
    func wake(freeing delivery: DueDelivery, _ change: (inout DeliveryBook) -> Bool) {
        let cap = endpoints[delivery.endpointId]?.maxInFlight ?? configuration.delivery.maxInFlightPerEndpoint
        let (wasFull, quiet, free) = book.withLock { book -> (Bool, Bool, Bool) in
            // Full, and left out of the last claim for that: due deliveries of it may wait for this slot.
            let full = book.freeSlots(of: delivery.endpointId, cap: cap) <= 0
                && book.fullAtClaim.contains(delivery.endpointId)
            let quiet = change(&book)
            return (full, quiet, book.freeSlots(of: delivery.endpointId, cap: cap) > 0)
        }
        if free, wasFull || backlog.load(ordering: .relaxed) {
            wakeup.signal()
        } else if !quiet {
            wakeup.nudge()
        }
    }
}
