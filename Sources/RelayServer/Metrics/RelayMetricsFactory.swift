public import Metrics
public import Prometheus

/// The swift-metrics backend of `relay serve`: Prometheus, with a `# HELP` line for every family the relay and
/// Hummingbird report, and names and labels made valid for Prometheus (`hb.requests` → `hb_requests`).
///
/// swift-prometheus insists that every metric of one name is created with the same help text, so the text comes
/// from one table keyed by name (`RelayMetricsFactory.help`), never from the call site. docs/METRICS.md lists the
/// same families.
public struct RelayMetricsFactory: MetricsFactory {
    private let base: PrometheusMetricsFactory
    private var registry: PrometheusCollectorRegistry { base.registry }

    public init(registry: PrometheusCollectorRegistry = PrometheusMetricsFactory.defaultRegistry) {
        base = PrometheusMetricsFactory(registry: registry)
    }

    /// Help text per metric family.
    public static let help: [String: String] = [
        "relay_callbacks_total": "Callbacks received, by aggregator and result (accepted, duplicate, rejected, unauthorized, unknown_client, too_large, unavailable).",
        "relay_events_total": "Courier events parsed from callbacks, by normalisation outcome (relayed, duplicate, stale, after_terminal, unmapped, ...).",
        "relay_notifications_total": "Notifications produced by the normaliser.",
        "relay_deliveries_created_total": "Deliveries created (one per notification and matching endpoint).",
        "relay_deliveries_leased_at_commit_total": "Deliveries created already leased to this process by their normalisation commit (PostgreSQL), sent without a claim.",
        "relay_deliveries_handed_off_total": "Deliveries leased to this process by the commit of the outcome of the delivery before them in their chain (PostgreSQL), sent without a claim.",
        "relay_deliveries_total": "Delivery attempts by client, endpoint and what followed (delivered, retry, dead).",
        "relay_delivery_attempts_total": "Delivery attempts by client, endpoint, outcome (delivered, retry, dead) and failure class (none when delivered).",
        "relay_unroutable_total": "Held deliveries (no order code) whose AWB was not registered in time: dead letters of class unroutable.",
        "relay_delivery_attempt_seconds": "Duration of one delivery attempt (connect, request, whole response), by client and endpoint.",
        "relay_delivery_latency_seconds": "Callback (or OMS message) received until its notification was delivered (2xx), by client and endpoint; includes retries.",
        "relay_pending_deliveries": "Deliveries not yet delivered, dead or discarded.",
        "relay_dead_letters": "Dead letters waiting for ops (not replayed or discarded).",
        "relay_oldest_due_retry_age_seconds": "How long the oldest due delivery has waited past its time: grows when delivery falls behind.",
        "relay_awaiting_order_deliveries": "Deliveries held until their AWB is registered with an order code (awaiting_order).",
        "relay_endpoint_pending_deliveries": "Deliveries waiting for an attempt, by client and endpoint.",
        "relay_endpoint_oldest_due_age_seconds": "How long the oldest due delivery of the endpoint has waited past its time (0 when none is due), by client and endpoint.",
        "relay_endpoint_dead_letters": "Dead letters waiting for ops, by client and endpoint.",
        "relay_ready": "1 while the store answers the metrics sampler's query, 0 when it fails.",
        "hb_requests": "HTTP requests served, by route, method and status.",
        "hb_request_errors": "HTTP requests that ended in an error, by route, method and error.",
        "http_server_request_duration": "HTTP request duration in seconds, by route, method and status.",
        "http_server_active_requests": "HTTP requests in progress, by method.",
    ]

    static func sanitise(_ name: String) -> String {
        // Metrics are made per attempt (labels vary): the usual name is plain ASCII and is returned as it is,
        // without the Unicode property look-ups of `isLetter` (2 % of the relay's CPU in a drain profile).
        let plain = name.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x5F || byte == 0x3A
        }
        if plain { return name }
        return String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" ? $0 : "_" })
    }

    private static func prepare(_ label: String, _ dimensions: [(String, String)])
        -> (name: MetricNameDescriptor, labels: [(String, String)])
    {
        let name = sanitise(label)
        return (MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? ""),
                dimensions.map { (sanitise($0.0), $0.1) })
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let (name, labels) = Self.prepare(label, dimensions)
        return registry.makeCounter(descriptor: name, labels: labels)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        let (name, labels) = Self.prepare(label, dimensions)
        return registry.makeCounter(descriptor: name, labels: labels)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        let (name, labels) = Self.prepare(label, dimensions)
        guard aggregate else { return registry.makeGauge(descriptor: name, labels: labels) }
        return registry.makeValueHistogram(descriptor: name, labels: labels, buckets: base.defaultValueHistogramBuckets)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        let (name, labels) = Self.prepare(label, dimensions)
        return registry.makeGauge(descriptor: name, labels: labels)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let (name, labels) = Self.prepare(label, dimensions)
        return registry.makeDurationHistogram(descriptor: name, labels: labels,
                                              buckets: base.defaultDurationHistogramBuckets)
    }

    public func destroyCounter(_ handler: any CounterHandler) { base.destroyCounter(handler) }
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        base.destroyFloatingPointCounter(handler)
    }
    public func destroyRecorder(_ handler: any RecorderHandler) { base.destroyRecorder(handler) }
    public func destroyMeter(_ handler: any MeterHandler) { base.destroyMeter(handler) }
    public func destroyTimer(_ handler: any TimerHandler) { base.destroyTimer(handler) }
}
