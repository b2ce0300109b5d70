public import RelayCore

/// The delivery queue (normaliser → **queue** → sender → attempts): what is due, leases, outcomes, wake-ups.
///
/// The engine asks and the queue answers; no closure of the engine runs inside a queue transaction: it reads what is
/// due, chooses with its own book, leases what it chose with one conditional statement, and records outcomes in
/// batches (docs/ARCHITECTURE.md).
public protocol DeliveryQueue: Sendable {
    /// Due deliveries without payloads, endpoint by endpoint: pending ones whose time has come and that head their
    /// (endpoint, shipment) chain in the store, oldest due first, up to `limits[id]` of each endpoint `id` (each
    /// read from an index of its own endpoint, so a large backlog of an endpoint not asked for costs nothing), up to
    /// `otherLimit` of endpoints neither named nor excluded (0: none); and in-flight ones whose lease expired, of
    /// any endpoint but `excluding`. A plain read: nothing is claimed; the delivery engine chooses among them
    /// (`lease` then claims).
    /// - Parameter excluding: endpoints whose deliveries wait (disabled, or at their in-flight cap).
    func dueDeliveries(now: EventTime, limits: [String: Int], otherLimit: Int, excluding: Set<String>) async throws
        -> [DueDelivery]

    /// Reads and leases what is due in one statement, on a store that keeps each chain's order itself (a shared
    /// store: only the head of a chain is ever due there, so the caller has nothing to choose): up to `limits[id]`
    /// deliveries of each endpoint `id` (its expired leases first, then what is pending and due), and up to
    /// `otherLimit` of endpoints neither named nor excluded. Rows another process is leasing are skipped.
    /// Returns those leased, with payload, attempts and receive time; or nil when this store cannot (one process on
    /// an SQLite file orders chains in the engine's book: it reads with `dueDeliveries`, chooses, then `lease`s).
    func claimDue(now: EventTime, limits: [String: Int], otherLimit: Int, excluding: Set<String>, owner: String,
                  until: EventTime) async throws -> [DueDelivery]?

    /// Claims the given deliveries until `until` with one conditional statement: only those still due (pending and
    /// due, or in flight with an expired lease) and not being claimed by another process are taken. Returns those
    /// taken, with their payload, attempts and receive time filled in.
    func lease(_ deliveries: [DueDelivery], owner: String, until: EventTime, now: EventTime) async throws
        -> [DueDelivery]

    /// Records finished attempts and their deliveries' new states in one transaction, and returns once it is
    /// durable. A completion whose `expectedAttempts` no longer matches changes nothing. Callers finishing at the
    /// same time share a commit: the store batches them (SQLite's writer group-commits its jobs; PostgreSQL gathers
    /// them into one statement through `GroupCommit`), so the engine calls this once per attempt.
    ///
    /// Returns the deliveries leased by hand-off (`Completion.handOff`; a shared store only, with payload, attempts
    /// and receive time): the next delivery of a finished delivery's chain, due and now at the chain's head, leased
    /// in the same statement. On a shared store that spares the claim a finished attempt would otherwise need to
    /// move its chain on; one process on an SQLite file orders chains in its book and returns none.
    @discardableResult
    func complete(_ completions: [Completion]) async throws -> [DueDelivery]

    /// Returns every in-flight delivery to pending (a single delivering process starting after a crash).
    func releaseLeases() async throws

    /// The earliest time after `now` at which a delivery falls due (what an idle delivery loop waits for when
    /// everything due now is waiting for its endpoint or its chain).
    func nextDueTime(after now: EventTime) async throws -> EventTime?

    /// Whether several relay processes share this store (PostgreSQL): leases expire instead of being released on
    /// start, and each process also catches up on callbacks another process stored but did not normalise.
    var isShared: Bool { get }

    /// Calls `handler` whenever another process may have stored due deliveries (a shared store's wake-up).
    func onDeliveriesChanged(_ handler: @escaping @Sendable () -> Void)
}

extension DeliveryQueue {
    public var isShared: Bool { false }

    public func claimDue(now: EventTime, limits: [String: Int], otherLimit: Int, excluding: Set<String>,
                         owner: String, until: EventTime) async throws -> [DueDelivery]?
    {
        nil
    }

    /// Up to `limit` due deliveries of any endpoint but `excluding`, oldest due first, and expired leases (for
    /// tests and tools: the engine reads endpoint by endpoint).
    public func dueDeliveries(now: EventTime, limit: Int, excluding: Set<String>) async throws -> [DueDelivery] {
        try await dueDeliveries(now: now, limits: [:], otherLimit: limit, excluding: excluding)
    }
    public func onDeliveriesChanged(_ handler: @escaping @Sendable () -> Void) {}

    /// When the next pending delivery falls due (or the next lease ends), if any.
    public func nextDueTime() async throws -> EventTime? {
        try await nextDueTime(after: EventTime(epochMilliseconds: 0))
    }

    /// Records one attempt and the delivery's new state.
    @discardableResult
    public func complete(delivery seq: Int64, attempt: AttemptRecord?, outcome: DeliveryOutcome, now: EventTime,
                         expectedAttempts: Int? = nil) async throws -> [DueDelivery]
    {
        try await complete([Completion(seq: seq, attempt: attempt, outcome: outcome, now: now,
                                       expectedAttempts: expectedAttempts)])
    }

    /// Reads due deliveries, lets `choose` pick those that may leave now, and leases them (for tests and tools; the
    /// delivery engine does the same with its book). Not atomic: a chosen delivery another process leased first is
    /// left out of the result.
    public func claimDeliveries(now: EventTime, scan: Int, owner: String, leaseUntil: EventTime,
                                excluding: Set<String>, choose: ([DueDelivery]) -> [DueDelivery]) async throws
        -> [DueDelivery]
    {
        let candidates = try await dueDeliveries(now: now, limit: scan, excluding: excluding)
        guard !candidates.isEmpty else { return [] }
        let chosen = choose(candidates)
        guard !chosen.isEmpty else { return [] }
        return try await lease(chosen, owner: owner, until: leaseUntil, now: now)
    }
}
