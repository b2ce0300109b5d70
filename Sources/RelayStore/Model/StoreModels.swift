public import RelayCore

/// An inbound callback as received, before it is stored.
public struct InboundCallback: Sendable {
    public var client: String
    public var aggregator: Aggregator
    public var receivedAt: EventTime
    public var contentType: String?
    /// Headers worth keeping (never credentials).
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(client: String, aggregator: Aggregator, receivedAt: EventTime, contentType: String?,
                headers: [(name: String, value: String)], body: [UInt8]) {
        self.client = client
        self.aggregator = aggregator
        self.receivedAt = receivedAt
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }
}

/// What storing a callback did.
public struct IngestOutcome: Sendable, Hashable {
    public var callbackId: String
    public var seq: Int64
    /// The callback's semantic key was seen before: stored as a duplicate, nothing to normalise.
    public var duplicate: Bool
}

/// A stored callback, as the normaliser reads it.
public struct StoredCallback: Sendable {
    public var seq: Int64
    public var id: String
    public var client: String
    public var aggregator: Aggregator
    public var receivedAt: EventTime
    public var contentType: String?
    public var body: [UInt8]

    public init(seq: Int64, id: String, client: String, aggregator: Aggregator, receivedAt: EventTime,
                contentType: String?, body: [UInt8]) {
        self.seq = seq
        self.id = id
        self.client = client
        self.aggregator = aggregator
        self.receivedAt = receivedAt
        self.contentType = contentType
        self.body = body
    }
}

/// A callback to normalise, with its events when the route already parsed them (else they are parsed again from
/// the stored bytes).
public struct NormalisationInput: Sendable {
    public var callback: StoredCallback
    public var parsed: ParsedCallback?
    /// Sent again by ops from quarantine (clears the unmapped mark when it now maps).
    public var requeued: Bool

    public init(callback: StoredCallback, parsed: ParsedCallback?, requeued: Bool = false) {
        self.callback = callback
        self.parsed = parsed
        self.requeued = requeued
    }
}

/// Counts of what a normalisation batch produced, for metrics.
public struct NormalisationSummary: Sendable {
    public var callbacks = 0
    public var alreadyDone = 0
    public var notifications = 0
    public var deliveries = 0
    public var outcomes: [EventOutcome: Int] = [:]
    /// New deliveries the commit inserted already leased (`FreshLeases`), with payload, attempts and receive time:
    /// the engine that reserved the slots sends them.
    public var leased: [DueDelivery] = []
    /// Chains (`DueDelivery.chain`) of new deliveries the commit stored without leasing them (PostgreSQL): if a
    /// delivery of such a chain is in flight in this process, the commit of its outcome may hand the chain on
    /// (`Completion.handOff`).
    public var queuedChains: Set<String> = []
    public init() {}
}

/// Counts over the whole store, for tests, `/metrics` and ops.
public struct StoreCounts: Sendable, Hashable {
    public var callbacks: Int
    public var duplicates: Int
    public var quarantined: Int
    public var unnormalised: Int
    public var events: Int
    public var notifications: Int
    public var deliveries: Int
    public var pendingDeliveries: Int
}

/// A stored notification, for tests and ops.
public struct StoredNotification: Sendable {
    public var id: String
    public var client: String
    public var awb: String?
    public var type: String
    public var direction: String
    public var callbackSeq: Int64?
    public var payload: [UInt8]
}

/// A stored event, for tests and ops.
public struct StoredEvent: Sendable {
    public var callbackSeq: Int64
    public var awb: String?
    public var statusCode: String
    public var role: String
    public var outcome: String
    public var type: String?
    public var notificationId: String?
}

/// A quarantined callback: rejected bytes kept for ops.
public struct QuarantinedCallback: Sendable {
    /// Its place in the store: a page of the quarantine ends at one, and the next page starts below it.
    public var seq: Int64
    public var id: String
    public var client: String
    public var aggregator: String
    public var receivedAt: EventTime
    public var error: String
    public var detail: String
    /// The first `QuarantinedCallback.bodyPrefixBytes` bytes of the stored body (a listing never carries whole
    /// bodies: up to 200 of them, each up to the request size cap).
    public var body: [UInt8]
    /// The stored body's whole length in bytes.
    public var bodyBytes: Int

    /// How much of each body a listing carries.
    public static let bodyPrefixBytes = 4096
}
