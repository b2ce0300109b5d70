extension DeliveryEngine {
    /// The metric labels of an endpoint, `(client, endpoint name within the client)`, exactly as the delivery
    /// metrics carry them, for other reporters (the per-endpoint queue gauges).
    /// - Parameters:
    ///   - endpointId: the endpoint's id (`<client>/<kind>` or `<client>/extra/<name>`).
    ///   - client: its client's id.
    public static func metricLabels(of endpointId: String, client: String) -> (client: String, endpoint: String) {
        labels(of: endpointId, client: client)
    }
}
