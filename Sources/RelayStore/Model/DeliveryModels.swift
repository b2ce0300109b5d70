public import RelayCore

/// A due delivery with what is needed to send it.
public struct DueDelivery: Sendable, Hashable {
    public var seq: Int64
    public var notificationId: String
    public var client: String
    public var endpointId: String
    /// Orders deliveries per (endpoint, shipment).
    public var orderingKey: String
    public var eventTime: EventTime
    public var nextAttemptAt: EventTime
    /// Attempts made so far.
    public var attempts: Int
    /// The exact body to send.
    public var payload: [UInt8]
    /// `scheduled`, or `manual` for an ops replay (sent as `webhook-attempt-trigger`).
    public var trigger: String = "scheduled"
    /// When the callback (or OMS message) behind it was received: filled in by a lease, for the received →
    /// delivered latency.
    public var receivedAt: EventTime?

    /// Deliveries of one chain leave in event order.
    public var chain: String { "\(endpointId)\u{1F}\(orderingKey)" }
}

/// One HTTP try, as recorded.
public struct AttemptRecord: Sendable, Hashable {
    public var startedAt: EventTime
    public var durationMilliseconds: Int64
    public var statusCode: Int?
    public var failureClass: FailureClass?
    /// At most 4 KB of the response body.
    public var responseExcerpt: [UInt8]
    public var error: String?
    /// `scheduled` or `manual` (replays).
    public var trigger: String

    public init(startedAt: EventTime, durationMilliseconds: Int64, statusCode: Int?, failureClass: FailureClass?,
                responseExcerpt: [UInt8], error: String?, trigger: String = "scheduled") {
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.statusCode = statusCode
        self.failureClass = failureClass
        self.responseExcerpt = responseExcerpt
        self.error = error
        self.trigger = trigger
    }
}

/// A finished attempt (or a decision without one) to record: the delivery's next state and the attempt, committed
/// together. Recorded in batches (`DeliveryQueue.complete(_:)`).
public struct Completion: Sendable, Hashable {
    public var seq: Int64
    public var attempt: AttemptRecord?
    public var outcome: DeliveryOutcome
    public var now: EventTime
    /// If given, recorded only while the delivery has exactly that many attempts (those it had when it was leased):
    /// recording a result again (after a commit that timed out but reached the database after all) changes nothing.
    public var expectedAttempts: Int?
    /// If given, and the outcome finishes the delivery (delivered or dead), a shared store also leases the next
    /// delivery of its chain (endpoint, shipment) to `handOff`, when that one is due and now heads the chain:
    /// `DeliveryQueue.complete` returns it, to be sent in the slot its predecessor held (no claim needed).
    public var handOff: HandOff?

    public init(seq: Int64, attempt: AttemptRecord?, outcome: DeliveryOutcome, now: EventTime,
                expectedAttempts: Int? = nil, handOff: HandOff? = nil) {
        self.seq = seq
        self.attempt = attempt
        self.outcome = outcome
        self.now = now
        self.expectedAttempts = expectedAttempts
        self.handOff = handOff
    }
}

/// Who leases a finished delivery's chain successor, and until when (`Completion.handOff`).
public struct HandOff: Sendable, Hashable {
    public var owner: String
    public var until: EventTime

    public init(owner: String, until: EventTime) {
        self.owner = owner
        self.until = until
    }
}

/// A stored delivery, for tests and ops.
public struct StoredDelivery: Sendable, Hashable {
    public var seq: Int64
    public var notificationId: String
    public var endpointId: String
    public var state: String
    public var attempts: Int
    public var failureClass: String?
    public var nextAttemptAt: EventTime
}

/// A dead letter as ops see it.
public struct DeadLetter: Sendable {
    /// `dlv_<seq>`.
    public var id: String
    public var seq: Int64
    public var notificationId: String
    public var client: String
    public var endpointId: String
    public var type: String
    public var awb: String?
    public var failureClass: String?
    public var attempts: Int
    public var deadAt: EventTime
    public var payload: [UInt8]
    /// The delivery's state: `dead` for a dead letter; a letter looked up by id may since have been replayed
    /// (`pending`, `delivered`, …) or `discarded`.
    public var state: String = "dead"

    /// Whether this is (still) a dead letter.
    public var isDead: Bool { state == "dead" }

    public static func seq(fromId id: String) -> Int64? {
        id.hasPrefix("dlv_") ? Int64(id.dropFirst(4)) : Int64(id)
    }
}

/// Filters of the dead-letter list (all optional).
public struct DeadLetterFilter: Sendable {
    public var client: String?
    public var endpoint: String?
    public var type: String?
    public var failure: String?
    public var awb: String?
    public var since: EventTime?
    public var until: EventTime?
    /// Keyset cursor: list letters older than this (dead_at, seq).
    public var before: (deadAt: EventTime, seq: Int64)?
    /// How many letters at most: 1 to `maxLimit` (a larger or smaller request is clamped, so a caller comparing a
    /// page's length with it knows whether the page was full).
    public var limit: Int {
        didSet { limit = Self.clamped(limit) }
    }
    /// The most letters one read returns.
    public static let maxLimit = 10_000

    static func clamped(_ limit: Int) -> Int { max(1, min(limit, maxLimit)) }

    public init(client: String? = nil, endpoint: String? = nil, type: String? = nil, failure: String? = nil,
                awb: String? = nil, since: EventTime? = nil, until: EventTime? = nil,
                before: (deadAt: EventTime, seq: Int64)? = nil, limit: Int = 50) {
        self.client = client
        self.endpoint = endpoint
        self.type = type
        self.failure = failure
        self.awb = awb
        self.since = since
        self.until = until
        self.before = before
        self.limit = Self.clamped(limit)
    }
}

/// Delivery health of one endpoint.
public struct EndpointStatistics: Sendable {
    public var disabled: Bool
    public var disabledReason: String?
    public var lastSuccess: EventTime?
    public var pending: Int
    public var dead: Int
    /// Attempts and failed attempts since the window start.
    public var recentAttempts: Int
    public var recentFailures: Int
    /// Deliveries held until their AWB is registered (`awaiting_order`).
    public var awaitingOrder: Int = 0

    public init(disabled: Bool = false, disabledReason: String? = nil, lastSuccess: EventTime? = nil, pending: Int = 0,
                dead: Int = 0, recentAttempts: Int = 0, recentFailures: Int = 0) {
        self.disabled = disabled
        self.disabledReason = disabledReason
        self.lastSuccess = lastSuccess
        self.pending = pending
        self.dead = dead
        self.recentAttempts = recentAttempts
        self.recentFailures = recentFailures
    }
}

/// One line of a shipment trace.
public struct TraceEntry: Sendable {
    public var at: EventTime
    /// `callback`, `event`, `notification`, `delivery` or `attempt`.
    public var kind: String
    public var id: String
    public var detail: String
}

/// A stored attempt, for tests and ops.
public struct StoredAttempt: Sendable, Hashable {
    public var deliverySeq: Int64
    public var number: Int
    public var startedAt: EventTime
    public var durationMilliseconds: Int64
    public var statusCode: Int?
    public var failureClass: String?
    public var responseExcerpt: [UInt8]
}
