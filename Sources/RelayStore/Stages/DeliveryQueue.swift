public import RelayCore

/// The delivery queue: what is due, leases, outcomes and wake-ups (normaliser → **queue** → sender → attempts).
public protocol DeliveryQueue: Sendable {
    /// Claims due deliveries in one transaction: reads up to `scan` candidates that are pending and due (or in
    /// flight with an expired lease), lets `choose` pick those that may leave now, and marks them in flight until
    /// `leaseUntil`. Returns the chosen ones with their payloads.
    /// - Parameter excluding: endpoints whose deliveries wait (disabled, or at their in-flight cap), skipped in the
    ///   scan itself.
    func claimDeliveries(now: EventTime, scan: Int, owner: String, leaseUntil: EventTime, excluding: Set<String>,
                         choose: @escaping @Sendable ([DueDelivery]) -> [DueDelivery]) async throws -> [DueDelivery]

    /// Returns every in-flight delivery to pending (a single delivering process starting after a crash).
    func releaseLeases() async throws

    /// When the next pending delivery falls due, if any is pending.
    func nextDueTime() async throws -> EventTime?

    /// The earliest time after `now` at which a delivery falls due (what an idle delivery loop waits for when
    /// everything due now is waiting for its endpoint or its chain).
    func nextDueTime(after now: EventTime) async throws -> EventTime?

    /// Records an attempt and the delivery's new state in one (group-committed) transaction.
    /// - Parameter expectedAttempts: if given, records only while the delivery has exactly that many attempts, i.e.
    ///   the attempts it had when it was claimed: recording a result again (after a commit that timed out but
    ///   reached the database after all) changes nothing.
    func complete(delivery seq: Int64, attempt: AttemptRecord?, outcome: DeliveryOutcome, now: EventTime,
                  expectedAttempts: Int?) async throws

    /// Pending deliveries that failed before (their chains wait for them), for rebuilding order on start.
    func retryingDeliveries() async throws -> [DueDelivery]

    /// Disables an endpoint and turns its pending deliveries into dead letters (`endpoint_disabled`).
    /// - Returns: how many deliveries were dead-lettered.
    @discardableResult
    func disableEndpoint(_ id: String, reason: String, now: EventTime) async throws -> Int

    /// Pending deliveries, dead letters, and the due time of the oldest pending delivery (cheap: partial indexes).
    func deliveryGauges() async throws -> (pending: Int, dead: Int, oldestDue: EventTime?)

    /// Whether several relay processes share this store (PostgreSQL): leases expire instead of being released on
    /// start, and each process also catches up on callbacks another process stored but did not normalise.
    var isShared: Bool { get }

    /// Calls `handler` whenever another process may have stored due deliveries (a shared store's wake-up).
    func onDeliveriesChanged(_ handler: @escaping @Sendable () -> Void)
}

extension DeliveryQueue {
    public var isShared: Bool { false }
    public func onDeliveriesChanged(_ handler: @escaping @Sendable () -> Void) {}

    /// Records an attempt and the delivery's new state, whatever attempts the delivery has.
    public func complete(delivery seq: Int64, attempt: AttemptRecord?, outcome: DeliveryOutcome, now: EventTime)
        async throws
    {
        try await complete(delivery: seq, attempt: attempt, outcome: outcome, now: now, expectedAttempts: nil)
    }
}
