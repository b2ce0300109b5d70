public import RelayCore

/// What the metrics sampler reads about the queue: whole-relay and per-endpoint gauges (cheap: partial indexes).
public protocol QueueGauges: Sendable {
    /// Pending deliveries, dead letters, and the due time of the oldest pending delivery.
    func deliveryGauges() async throws -> (pending: Int, dead: Int, oldestDue: EventTime?)

    /// Per endpoint id: pending deliveries, the due time of the oldest, and dead letters.
    func endpointQueueGauges() async throws -> [String: EndpointQueueGauge]
}
