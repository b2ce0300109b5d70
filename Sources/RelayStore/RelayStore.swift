public import RelayCore

/// Durable storage of callbacks, events, notifications and deliveries. Implemented by `SQLiteStore` (embedded)
/// and, for scale-out, PostgreSQL. Normalisation is its own stage (`NormalisationStore`).
public protocol RelayStore: NormalisationStore {
    /// Commits a callback (group-committed with concurrent ones) and says whether it was a duplicate.
    /// Returns only once the row is durable.
    func ingest(_ callback: InboundCallback, dedupKey: String) async throws -> IngestOutcome

    /// Keeps the raw bytes of a rejected callback for ops; returns its id.
    func quarantine(_ callback: InboundCallback, error: String, detail: String) async throws -> String

    /// Accepted callbacks not yet normalised, oldest first, after `afterSeq`.
    func unnormalisedCallbacks(afterSeq: Int64, limit: Int) async throws -> [StoredCallback]

    /// Whole-store counts.
    func counts() async throws -> StoreCounts

    /// Notifications of a client's AWB, oldest first.
    func notifications(client: String, awb: String) async throws -> [StoredNotification]

    /// All notifications, oldest first (bounded by `limit`).
    func allNotifications(limit: Int) async throws -> [StoredNotification]

    /// Events of a client's AWB, oldest first.
    func events(client: String, awb: String) async throws -> [StoredEvent]

    /// Quarantined callbacks, newest first.
    func quarantined(limit: Int) async throws -> [QuarantinedCallback]

    // MARK: OMS inputs

    /// Stores an OMS message as a notification with one pending delivery per endpoint, in one transaction.
    /// With an idempotency key already seen, nothing is stored and the first notification's id is returned.
    func storeMessage(_ message: OMSMessage, client: String, endpointIds: [String], receivedAt: EventTime) async throws
        -> (notificationId: String, duplicate: Bool)

    /// Registers (or replaces) a shipment for enrichment. In the same transaction, notifications of the AWB that
    /// wait for an order code get the registration's fields, and the held (`awaiting_order`) deliveries of the AWB
    /// are released in order. Returns how many deliveries were released.
    @discardableResult
    func register(_ registration: ShipmentRegistration, client: String, now: EventTime) async throws -> Int

    /// Held deliveries whose hold began at or before `cutoff` and that still have no order code become dead letters
    /// (`unroutable`); deliveries held only behind them are released. Bounded per call.
    func expireAwaitingOrder(heldBefore cutoff: EventTime, now: EventTime) async throws -> (dead: Int, released: Int)

    /// Deliveries held until their AWB is registered (`awaiting_order`).
    func awaitingOrderCount() async throws -> Int

    /// A registered shipment.
    func registration(client: String, awb: String) async throws -> ShipmentRegistration?

    /// Removes a registration; false when there was none.
    func unregister(client: String, awb: String) async throws -> Bool

    // MARK: Delivery

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

    /// Disables an endpoint and turns its pending deliveries into dead letters (`endpoint_disabled`).
    /// - Returns: how many deliveries were dead-lettered.
    @discardableResult
    func disableEndpoint(_ id: String, reason: String, now: EventTime) async throws -> Int

    /// Ids of disabled endpoints.
    func disabledEndpoints() async throws -> Set<String>

    /// Pending deliveries that failed before (their chains wait for them), for rebuilding order on start.
    func retryingDeliveries() async throws -> [DueDelivery]

    /// Deliveries of a notification, or all of them when `notificationId` is nil (bounded by `limit`).
    func deliveries(notificationId: String?, limit: Int) async throws -> [StoredDelivery]

    /// Attempts of a delivery, oldest first.
    func attempts(delivery seq: Int64) async throws -> [StoredAttempt]

    // MARK: Ops

    /// Dead letters, newest first, filtered.
    func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter]

    /// One dead letter (or any delivery) by seq.
    func deadLetter(seq: Int64) async throws -> DeadLetter?

    /// Sends a dead letter again now, with `webhook-attempt-trigger: manual`; false when it is not dead.
    func replay(deadLetter seq: Int64, now: EventTime) async throws -> Bool

    /// Discards a dead letter; false when it is not dead.
    func discard(deadLetter seq: Int64, now: EventTime) async throws -> Bool

    /// Per-endpoint delivery health.
    func endpointStatistics(since: EventTime) async throws -> [String: EndpointStatistics]

    /// Enables or disables an endpoint (disabling does not touch its deliveries; 410 does).
    func setEndpoint(_ id: String, disabled: Bool, reason: String?, now: EventTime) async throws

    /// Replays an endpoint's dead letters that died at or after `since`; returns how many.
    func recover(endpoint id: String, since: EventTime, now: EventTime) async throws -> Int

    /// Everything stored about an AWB, in time order.
    func trace(client: String?, awb: String) async throws -> [TraceEntry]

    /// A quarantined (rejected or unmapped) callback by id, with whether it was rejected.
    func quarantinedCallback(id: String) async throws -> (callback: StoredCallback, rejected: Bool)?

    /// Accepts a quarantined callback again after a parser or mapping fix: a rejected one becomes accepted (or a
    /// duplicate), and either is queued for normalisation. Returns the outcome.
    func requeue(quarantined callback: StoredCallback, rejected: Bool, dedupKey: String) async throws -> IngestOutcome

    // MARK: Audit

    /// Appends an entry to the audit log (durable when this returns).
    func recordAudit(_ entry: AuditEntry) async throws

    /// Audit entries, newest first, older than the entry `before` (a `seq`) when given.
    func auditLog(before: Int64?, limit: Int) async throws -> [AuditEntry]

    /// Deletes one bounded batch of data older than `cutoff` (docs/CONTRACT.md §8 retention): normalised callbacks and their
    /// events, attempts of deliveries that are not dead letters, finished deliveries, and notifications left without
    /// deliveries. Dead letters and their attempts stay until replayed or discarded.
    /// - Returns: rows deleted; 0 when nothing older is left.
    func cleanup(olderThan cutoff: EventTime, batch: Int) async throws -> Int

    /// Pending deliveries, dead letters, and the due time of the oldest pending delivery (cheap: partial indexes).
    func deliveryGauges() async throws -> (pending: Int, dead: Int, oldestDue: EventTime?)

    /// Releases connections; later calls fail.
    func close() async

    /// Whether several relay processes share this store (PostgreSQL): leases expire instead of being released on
    /// start, and each process also catches up on callbacks another process stored but did not normalise.
    var isShared: Bool { get }

    /// Calls `handler` whenever another process may have stored due deliveries (a shared store's wake-up).
    func onDeliveriesChanged(_ handler: @escaping @Sendable () -> Void)
}

extension RelayStore {
    public var isShared: Bool { false }
    public func onDeliveriesChanged(_ handler: @escaping @Sendable () -> Void) {}

    /// Records an attempt and the delivery's new state, whatever attempts the delivery has.
    public func complete(delivery seq: Int64, attempt: AttemptRecord?, outcome: DeliveryOutcome, now: EventTime)
        async throws
    {
        try await complete(delivery: seq, attempt: attempt, outcome: outcome, now: now, expectedAttempts: nil)
    }
}
