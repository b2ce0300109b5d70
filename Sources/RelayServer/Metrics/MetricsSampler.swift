import Logging
import Metrics
import RelayCore
import RelayStore
import ServiceLifecycle

/// Samples the store every few seconds into gauges: `relay_pending_deliveries`, `relay_dead_letters` and
/// `relay_oldest_due_retry_age_seconds` (how late the oldest due delivery is — the number to alert on),
/// `relay_awaiting_order_deliveries` (deliveries held until their AWB is registered with an order code), and
/// `relay_ready`: 1 while the store answers the sampling query, 0 when it fails (alert `RelayStorageNotReady`).
struct MetricsSampler: Service {
    let store: any DeliveryQueue & ShipmentRegistry
    /// Also told of each sample, for the /ops overview's backlog chart.
    var history: OverviewHistory? = nil
    var interval: Duration = .seconds(10)

    func run() async throws {
        let pending = Gauge(label: "relay_pending_deliveries")
        let dead = Gauge(label: "relay_dead_letters")
        let oldest = Gauge(label: "relay_oldest_due_retry_age_seconds")
        let ready = Gauge(label: "relay_ready")
        let awaitingOrder = Gauge(label: "relay_awaiting_order_deliveries")
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            if let gauges = try? await store.deliveryGauges() {
                pending.record(gauges.pending)
                dead.record(gauges.dead)
                let late = gauges.oldestDue.map { WallClock.now().epochMilliseconds - $0.epochMilliseconds } ?? 0
                oldest.record(Double(max(0, late)) / 1000)
                history?.backlog(pending: Double(gauges.pending), oldestDueAgeSeconds: Double(max(0, late)) / 1000)
                ready.record(1)
            } else {
                ready.record(0)
            }
            if let held = try? await store.awaitingOrderCount() { awaitingOrder.record(held) }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
