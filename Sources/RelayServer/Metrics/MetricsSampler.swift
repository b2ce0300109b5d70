import Logging
import Metrics
import RelayCore
import RelayStore
import ServiceLifecycle

/// Samples the store every few seconds into gauges: `relay_pending_deliveries`, `relay_dead_letters` and
/// `relay_oldest_due_retry_age_seconds` (how late the oldest due delivery is — the number to alert on),
/// `relay_awaiting_order_deliveries` (deliveries held until their AWB is registered with an order code), and
/// `relay_ready`: 1 while the store answers the sampling query, 0 when it fails (alert `RelayStorageNotReady`).
/// The same per configured endpoint: `relay_endpoint_pending_deliveries`, `relay_endpoint_oldest_due_age_seconds`
/// and `relay_endpoint_dead_letters`, labelled `client` and `endpoint` like the delivery metrics.
struct MetricsSampler: Service {
    let store: any QueueGauges & ShipmentRegistry
    /// The configuration in force: which endpoints get gauges (a reload adds or removes some).
    let live: LiveConfiguration
    /// Also told of each sample, for the /ops overview's backlog chart.
    var history: OverviewHistory? = nil
    var interval: Duration = .seconds(10)

    func run() async throws {
        let pending = Gauge(label: "relay_pending_deliveries")
        let dead = Gauge(label: "relay_dead_letters")
        let oldest = Gauge(label: "relay_oldest_due_retry_age_seconds")
        let ready = Gauge(label: "relay_ready")
        let awaitingOrder = Gauge(label: "relay_awaiting_order_deliveries")
        var endpoints = EndpointGauges()
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            if let gauges = try? await store.deliveryGauges() {
                pending.record(gauges.pending)
                dead.record(gauges.dead)
                let late = Self.age(of: gauges.oldestDue)
                oldest.record(late)
                history?.backlog(pending: Double(gauges.pending), oldestDueAgeSeconds: late)
                ready.record(1)
            } else {
                ready.record(0)
            }
            if let held = try? await store.awaitingOrderCount() { awaitingOrder.record(held) }
            if let queues = try? await store.endpointQueueGauges() { endpoints.record(queues, of: live.current) }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Seconds since `due` (0 when nothing is due or it is not due yet).
    static func age(of due: EventTime?) -> Double {
        let late = due.map { WallClock.now().epochMilliseconds - $0.epochMilliseconds } ?? 0
        return Double(max(0, late)) / 1000
    }
}
