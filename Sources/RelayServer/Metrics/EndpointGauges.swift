import Metrics
import RelayCore
import RelayDelivery
import RelayStore

/// The per-endpoint queue gauges of `MetricsSampler`: one row per configured endpoint, created once and kept. An
/// endpoint a reload removed is set to 0 rather than left showing its last sample.
struct EndpointGauges {
    struct Row {
        var pending: Gauge
        var oldestDueAge: Gauge
        var dead: Gauge
    }

    private var gauges: [String: Row] = [:]

    mutating func record(_ queues: [String: EndpointQueueGauge], of configuration: RelayConfiguration) {
        var seen: Set<String> = []
        for client in configuration.clients {
            for endpoint in client.endpoints {
                seen.insert(endpoint.id)
                let row = gauges[endpoint.id] ?? Self.make(endpoint.id, client: client.id)
                gauges[endpoint.id] = row
                let queue = queues[endpoint.id] ?? EndpointQueueGauge()
                row.pending.record(queue.pending)
                row.oldestDueAge.record(MetricsSampler.age(of: queue.oldestDue))
                row.dead.record(queue.dead)
            }
        }
        for (id, row) in gauges where !seen.contains(id) {
            row.pending.record(0)
            row.oldestDueAge.record(0)
            row.dead.record(0)
        }
    }

    static func make(_ endpointId: String, client: String) -> Row {
        let labels = DeliveryEngine.metricLabels(of: endpointId, client: client)
        let dimensions = [("client", labels.client), ("endpoint", labels.endpoint)]
        return Row(pending: Gauge(label: "relay_endpoint_pending_deliveries", dimensions: dimensions),
                   oldestDueAge: Gauge(label: "relay_endpoint_oldest_due_age_seconds", dimensions: dimensions),
                   dead: Gauge(label: "relay_endpoint_dead_letters", dimensions: dimensions))
    }
}
