public import RelayCore

/// Endpoint health and the enabled/disabled switch ops turn.
public protocol EndpointStore: Sendable {
    /// Per-endpoint delivery health.
    func endpointStatistics(since: EventTime) async throws -> [String: EndpointStatistics]

    /// Enables or disables an endpoint (disabling does not touch its deliveries; 410 does).
    func setEndpoint(_ id: String, disabled: Bool, reason: String?, now: EventTime) async throws

    /// Ids of disabled endpoints.
    func disabledEndpoints() async throws -> Set<String>

    /// Disables an endpoint after it answered 410 Gone and turns its pending deliveries into dead letters
    /// (`endpoint_disabled`).
    /// - Returns: how many deliveries were dead-lettered.
    @discardableResult
    func disableEndpoint(_ id: String, reason: String, now: EventTime) async throws -> Int
}
