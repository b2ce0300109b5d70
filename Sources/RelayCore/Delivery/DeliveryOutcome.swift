/// What happens to a delivery after an attempt: the pure decision the delivery engine commits.
public enum DeliveryOutcome: Sendable, Hashable {
    case delivered
    case retry(at: EventTime, FailureClass)
    case dead(FailureClass)

    /// The state the delivery is left in.
    public var state: DeliveryState {
        switch self {
        case .delivered: .delivered
        case .retry: .pending
        case .dead: .dead
        }
    }

    /// Whether the delivery is finished (delivered or dead): its chain moves on to the next delivery.
    public var finishes: Bool {
        if case .retry = self { false } else { true }
    }

    /// The failure class recorded on the delivery (none when delivered).
    public var failureClass: FailureClass? {
        switch self {
        case .delivered: nil
        case .retry(_, let failure), .dead(let failure): failure
        }
    }

    /// `delivered`, `retry` or `dead`: the metric label and the log word.
    public var label: String {
        switch self {
        case .delivered: "delivered"
        case .retry: "retry"
        case .dead: "dead"
        }
    }

    /// What follows an attempt with `verdict`, the `attempts` made before it, the endpoint's retry policy and the
    /// `Retry-After` the receiver sent (only honoured where the verdict says so). A retry past the schedule is a dead
    /// letter; 410 Gone is a dead letter of class `endpoint_disabled` (the endpoint is disabled too).
    /// - Parameter random: a number in 0..<1 for the jitter.
    public static func after(_ verdict: AttemptVerdict, attempts: Int, policy: RetryPolicy, retryAfter: Double?,
                             now: EventTime, random: Double) -> DeliveryOutcome {
        switch verdict {
        case .delivered:
            return .delivered
        case .disableEndpoint:
            return .dead(.endpointDisabled)
        case .retry(let failure, let honourRetryAfter):
            guard let delay = policy.delay(afterAttempt: attempts + 1, random: random,
                                           retryAfter: honourRetryAfter ? retryAfter : nil)
            else { return .dead(failure) }
            return .retry(at: EventTime(epochMilliseconds: now.epochMilliseconds + Int64(delay * 1000)), failure)
        }
    }
}
