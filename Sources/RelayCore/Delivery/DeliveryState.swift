/// Where a delivery is in its life (the deliveries table's `state` column, docs/CONTRACT.md §6).
public enum DeliveryState: String, Sendable, Hashable, CaseIterable {
    /// Waiting for its time (`next_attempt_at`) and its turn in its chain.
    case pending
    /// Claimed by a delivering process until its lease ends.
    case inFlight = "in_flight"
    /// Answered 2xx: finished.
    case delivered
    /// Failed for good: a dead letter for ops.
    case dead
    /// A dead letter ops chose not to send: finished.
    case discarded
    /// Held until its AWB is registered with an order code.
    case awaitingOrder = "awaiting_order"
}
