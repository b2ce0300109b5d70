public import RelayCore

/// One endpoint's delivery queue, as the metrics sampler reports it (`relay_endpoint_…` gauges).
public struct EndpointQueueGauge: Sendable, Hashable {
    /// Deliveries waiting for an attempt (state `pending`; counted like `relay_pending_deliveries`).
    public var pending: Int
    /// When the earliest pending delivery falls (or fell) due; nil when none is pending.
    public var oldestDue: EventTime?
    /// Dead letters waiting for ops.
    public var dead: Int

    public init(pending: Int = 0, oldestDue: EventTime? = nil, dead: Int = 0) {
        self.pending = pending
        self.oldestDue = oldestDue
        self.dead = dead
    }
}
