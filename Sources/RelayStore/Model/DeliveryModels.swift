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

/// What happens to a delivery after an attempt.
public enum DeliveryOutcome: Sendable, Hashable {
    case delivered
    case retry(at: EventTime, FailureClass)
    case dead(FailureClass)
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
