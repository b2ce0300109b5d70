import Metrics
import RelayCore

/// Every metric the relay reports, in one namespace. Labels take few, bounded values.
struct RelayMetrics: Sendable {
    /// `relay_callbacks_total{aggregator,result}`: accepted, duplicate, rejected, unauthorized, unknown_client,
    /// too_large, unavailable.
    func callback(_ aggregator: Aggregator, _ result: String) {
        Counter(label: "relay_callbacks_total", dimensions: [("aggregator", aggregator.rawValue), ("result", result)])
            .increment()
    }

    /// `relay_events_total{outcome}`.
    func events(_ outcome: EventOutcome, count: Int) {
        Counter(label: "relay_events_total", dimensions: [("outcome", outcome.rawValue)]).increment(by: count)
    }

    /// `relay_notifications_total` and `relay_deliveries_created_total`.
    func normalised(notifications: Int, deliveries: Int) {
        Counter(label: "relay_notifications_total").increment(by: notifications)
        Counter(label: "relay_deliveries_created_total").increment(by: deliveries)
    }

    /// `relay_normalise_batch_size`.
    func normaliseBatch(_ size: Int) {
        Recorder(label: "relay_normalise_batch_size").record(size)
    }
}
