import Metrics
import Synchronization

/// The delivery metrics of one engine, each object made once per label set and reused: making one per attempt
/// cost a registry look-up, a lock and the label checks of the backend (about 1.3 % of the relay's CPU at 2,000
/// notifications/s, docs/BENCHMARKS.md, "Thirteenth pass"). Labels are bounded by the configuration: client,
/// endpoint, outcome and failure class.
final class DeliveryMetrics: Sendable {
    private struct Key: Hashable {
        var client: String
        var endpoint: String
        var outcome: String
        var failure: String
    }

    private struct Objects: Sendable {
        var deliveries: Counter
        var attempts: Counter
        var duration: Timer
        /// Only for `delivered`: the other outcomes record no latency.
        var latency: Timer?
    }

    private let cache = Mutex<[Key: Objects]>([:])
    private let handedOff = Counter(label: "relay_deliveries_handed_off_total")

    /// Counts deliveries the commit of their predecessor's outcome leased to this engine (`Completion.handOff`).
    func handedOff(_ count: Int) {
        if count > 0 { handedOff.increment(by: count) }
    }

    /// Counts one finished attempt and records how long it took and, when it delivered, how long since the callback
    /// (or OMS message) was received.
    /// - Parameters:
    ///   - outcome: `delivered`, `retry` or `dead`.
    ///   - failure: the failure class, `none` when delivered.
    func attempt(client: String, endpoint: String, outcome: String, failure: String, durationNanoseconds: Int64,
                 latencyNanoseconds: Int64?) {
        let key = Key(client: client, endpoint: endpoint, outcome: outcome, failure: failure)
        let objects = cache.withLock { cache in
            if let objects = cache[key] { return objects }
            let dimensions = [("client", client), ("endpoint", endpoint)]
            let objects = Objects(
                deliveries: Counter(label: "relay_deliveries_total", dimensions: dimensions + [("result", outcome)]),
                attempts: Counter(label: "relay_delivery_attempts_total",
                                  dimensions: dimensions + [("outcome", outcome), ("failure_class", failure)]),
                duration: Timer(label: "relay_delivery_attempt_seconds", dimensions: dimensions),
                latency: outcome == "delivered"
                    ? Timer(label: "relay_delivery_latency_seconds", dimensions: dimensions) : nil)
            cache[key] = objects
            return objects
        }
        objects.deliveries.increment()
        objects.attempts.increment()
        objects.duration.recordNanoseconds(durationNanoseconds)
        if let latencyNanoseconds { objects.latency?.recordNanoseconds(latencyNanoseconds) }
    }
}
