/// What happened to one event.
public enum EventOutcome: String, Sendable, Hashable, Codable {
    /// A notification was produced.
    case relayed
    /// A notification was produced, but the event time is implausible (before 2000, or more than 24 hours after the
    /// callback was received): the time is stored as sent, and the event neither is judged stale nor makes later
    /// events stale (docs/MAPPING.md "Timestamps").
    case relayedUntrustedTime = "relayed_untrusted_time"
    /// An older scan kept as history (Clickpost's outer scan).
    case history
    /// The status is not in the mapping table: stored, counted, not relayed ("unmapped" for ops).
    case unmapped
    /// The mapping table says "—": stored as history, no notification.
    case noNotification = "no_notification"
    /// Older than the newest relayed event of the shipment.
    case stale
    /// After a terminal type, and not one allowed after it.
    case afterTerminal = "after_terminal"
    /// An RTO-family status after the first `RTO`.
    case rtoProgress = "rto_progress"
    /// The same notification was already produced for this courier event.
    case duplicate
}

/// One parsed event and its fate.
public struct EventRecord: Sendable, Hashable {
    public var event: CourierEvent
    public var outcome: EventOutcome
    public var type: NotificationType?
    public var direction: Direction?
    /// The notification produced, when `outcome` is `.relayed` or `.relayedUntrustedTime`.
    public var notificationId: String?
}

/// A notification ready to be stored with one pending delivery per endpoint.
public struct NotificationDraft: Sendable, Hashable {
    public var id: String
    public var client: String
    public var type: NotificationType
    public var direction: Direction
    /// The shipment the notification is about (its ordering key for delivery).
    public var shipmentKey: ShipmentKey
    public var awb: String?
    public var dedupKey: String
    /// The courier event time (or receive time) that orders deliveries per shipment.
    public var eventTime: EventTime
    /// The payload exactly as delivered.
    public var payload: JSONValue
    /// Ids of the endpoints it goes to.
    public var endpointIds: [String]
    /// No order code is known yet (`forwardOrderCode` is null): the deliveries are stored `awaiting_order` until
    /// the AWB is registered (issue #13, decision 9).
    public var awaitingOrder = false
}

/// Everything one callback's normalisation produced.
public struct NormalisationResult: Sendable {
    public var events: [EventRecord] = []
    public var notifications: [NotificationDraft] = []
    /// New shipment states, in the order they changed.
    public var states: [(key: ShipmentKey, state: ShipmentState)] = []

    public init() {}
}
