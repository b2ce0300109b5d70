import Metrics
import RelayCore
import Synchronization

/// Every metric the relay reports, in one namespace. Labels take few, bounded values. Metric objects are created
/// once per label set and reused (creating one per request costs a registry lookup).
final class RelayMetrics: Sendable {
    private let counters = Mutex<[String: Counter]>([:])
    private let callbackCounters = Mutex<[Aggregator: [String: Counter]]>([:])
    /// Per-minute counts for the /ops overview.
    let history: OverviewHistory?

    init(history: OverviewHistory? = nil) {
        self.history = history
    }

    private func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Counter {
        let key = ([label] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: ",")
        return counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions)
            cache[key] = counter
            return counter
        }
    }

    /// `relay_callbacks_total{aggregator,result}`: accepted, duplicate, rejected, unauthorized, unknown_client,
    /// too_large, unavailable.
    func callback(_ aggregator: Aggregator, _ result: String) {
        // Per request: looked up by (aggregator, result) without building the general key string.
        let counter = callbackCounters.withLock { cache in
            if let counter = cache[aggregator]?[result] { return counter }
            let counter = self.counter("relay_callbacks_total", [("aggregator", aggregator.rawValue), ("result", result)])
            cache[aggregator, default: [:]][result] = counter
            return counter
        }
        counter.increment()
        history?.callback(aggregator: aggregator.rawValue)
    }

    /// `relay_events_total{outcome}`.
    func events(_ outcome: EventOutcome, count: Int) {
        counter("relay_events_total", [("outcome", outcome.rawValue)]).increment(by: count)
    }

    /// `relay_notifications_total`, `relay_deliveries_created_total` and, of those, the ones the commit leased to
    /// this process's engine, `relay_deliveries_leased_at_commit_total`.
    func normalised(notifications: Int, deliveries: Int, leased: Int) {
        counter("relay_notifications_total").increment(by: notifications)
        counter("relay_deliveries_created_total").increment(by: deliveries)
        counter("relay_deliveries_leased_at_commit_total").increment(by: leased)
    }
}
