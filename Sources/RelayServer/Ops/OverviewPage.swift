import RelayCore

/// The `/ops/overview` page body: charts of the last hour (per minute) and the last day (per 30 minutes) from this
/// instance's `OverviewHistory`, and a table of endpoint failure rates. Server-rendered HTML with inline SVG.
enum OverviewPage {
    /// One window of the page.
    struct Window {
        var title: String
        var span: Int64
        var bucketMinutes: Int64
    }

    static let windows = [
        Window(title: "Last hour (per minute)", span: 60, bucketMinutes: 1),
        Window(title: "Last day (per 30 minutes)", span: 24 * 60, bucketMinutes: 30),
    ]

    static let outcomes = ["delivered", "retry", "dead"]

    /// The page body (escaped; safe to insert as raw HTML).
    static func render(history: OverviewHistory, aggregators: [String], endpoints: [String],
                       configurationLine: String = "") -> String {
        var html = "<h1>Overview</h1>" + configurationLine
            + "<p class=\"muted\">What this instance handled, kept in memory for a day "
            + "(a restart starts afresh). Endpoint health: <a href=\"/ops/endpoints\">Endpoints</a>.</p>"
        for window in windows {
            let buckets = history.buckets(span: window.span, bucketMinutes: window.bucketMinutes)
            let axis = axisLabels(span: window.span)
            html += "<h2>\(SVGChart.escape(window.title))</h2><div class=\"charts\">"
            html += "<figure>" + SVGChart.stackedBars(
                title: "Callbacks by aggregator", keys: aggregators,
                values: buckets.map { bucket in bucket.callbacks.mapValues(Double.init) }, axis: axis)
                + "<figcaption>Callbacks received, by aggregator</figcaption></figure>"
            html += "<figure>" + SVGChart.stackedBars(
                title: "Delivery attempts by outcome", keys: outcomes,
                values: buckets.map { bucket in bucket.attempts.mapValues(Double.init) }, axis: axis)
                + "<figcaption>Delivery attempts: delivered, failed (retry), failed for good (dead)</figcaption></figure>"
            html += "<figure>" + SVGChart.lines(
                title: "Endpoint failure rate", series: endpoints.map { endpoint in
                    (endpoint, buckets.map { bucket in
                        bucket.endpoints[endpoint].flatMap { $0.total > 0 ? Double($0.failed) / Double($0.total) * 100 : nil }
                    })
                }, axis: axis, unit: "%")
                + "<figcaption>Failed attempts per endpoint, % of its attempts</figcaption></figure>"
            html += "<figure>" + SVGChart.lines(
                title: "Backlog", series: [("pending deliveries", buckets.map(\.pending)),
                                           ("oldest due age (s)", buckets.map(\.oldestDueAgeSeconds))],
                axis: axis)
                + "<figcaption>Pending deliveries and how late the oldest due one is</figcaption></figure>"
            html += "</div>"
        }
        html += endpointTable(history: history, endpoints: endpoints)
        return html
    }

    static func axisLabels(span: Int64) -> [String] {
        span <= 60 ? ["−60 min", "−30 min", "now"] : ["−24 h", "−12 h", "now"]
    }

    static func endpointTable(history: OverviewHistory, endpoints: [String]) -> String {
        let hour = history.buckets(span: 60, bucketMinutes: 60).first
        var html = "<h2>Endpoints, last hour</h2><table><tr><th>Endpoint</th><th>Attempts</th><th>Failed</th>"
            + "<th>Failure rate</th></tr>"
        for endpoint in endpoints {
            let counts = hour?.endpoints[endpoint] ?? (0, 0)
            let rate = counts.total > 0 ? Double(counts.failed) / Double(counts.total) * 100 : 0
            let style = rate >= 50 ? "bad" : (counts.total > 0 ? "ok" : "muted")
            html += "<tr><td><code>\(SVGChart.escape(endpoint))</code></td><td>\(counts.total)</td>"
                + "<td>\(counts.failed)</td><td class=\"\(style)\">\(SVGChart.f(rate)) %</td></tr>"
        }
        return html + "</table>"
    }
}
