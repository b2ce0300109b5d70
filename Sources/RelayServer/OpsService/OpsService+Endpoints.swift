import Foundation
import Logging
import RelayCore
import RelayDelivery
import RelayStore

extension OpsService {
    /// A configured endpoint with its delivery health.
    struct EndpointHealth: Sendable {
        var client: Client
        var endpoint: Endpoint
        var statistics: EndpointStatistics

        /// Failed attempts of the last hour as a share of all of them; nil without attempts.
        var recentFailureRate: Double? {
            statistics.recentAttempts == 0 ? nil
                : Double(statistics.recentFailures) / Double(statistics.recentAttempts)
        }
    }

    /// Every configured endpoint, in configuration order, with its health over the last hour.
    func endpointHealth() async throws -> [EndpointHealth] {
        let statistics = try await store.endpointStatistics(since: EventTime(
            epochMilliseconds: now().epochMilliseconds - 3_600_000))
        return configuration.clients.flatMap { client in
            client.endpoints.map { endpoint in
                EndpointHealth(client: client, endpoint: endpoint,
                               statistics: statistics[endpoint.id] ?? EndpointStatistics())
            }
        }
    }

    /// The client that configures endpoint `id`, or nil when no client does.
    func client(ofEndpoint id: String) -> Client? {
        configuration.clients.first { $0.endpoints.contains { $0.id == id } }
    }

    /// Enables or disables a configured endpoint, records it in the audit log, logs one info line and sends the
    /// operational webhook `endpoint.enabled` / `endpoint.disabled`. Disabling leaves the endpoint's deliveries
    /// waiting (neither sent nor dead) until it is enabled again.
    /// - Returns: false when no endpoint `id` is configured (nothing changes).
    func setEndpoint(_ id: String, enabled: Bool, by actor: Actor) async throws -> Bool {
        guard let client = client(ofEndpoint: id) else { return false }
        let at = now()
        let reason = enabled ? "enabled by ops" : "disabled by ops"
        try await store.setEndpoint(id, disabled: !enabled, reason: enabled ? nil : reason, now: at)
        try await audit(actor, enabled ? "endpoint_enable" : "endpoint_disable", target: id,
                        detail: enabled ? "enabled" : "disabled")
        logger.info(enabled ? "endpoint enabled by ops" : "endpoint disabled by ops", metadata: Self.metadata(actor, [
            "relay.client": "\(client.id)", "relay.endpoint": "\(id)", "relay.reason": "\(reason)",
        ]))
        notifier?.emit(.init(type: enabled ? .endpointEnabled : .endpointDisabled, at: at, data: [
            "client": client.id, "endpoint": id, "reason": reason, "actor": actor.name,
        ]))
        return true
    }

    /// Replays the dead letters of a configured endpoint that died at or after `since`.
    /// - Returns: how many were replayed; nil when no endpoint `id` is configured (nothing changes).
    func recover(_ id: String, since: EventTime, by actor: Actor) async throws -> Int? {
        guard let client = client(ofEndpoint: id) else { return nil }
        let replayed = try await store.recover(endpoint: id, since: since, now: now())
        try await audit(actor, "endpoint_recover", target: id,
                        detail: "replayed \(replayed) dead letters that died since \(since.iso8601)")
        logger.info("dead letters replayed", metadata: Self.metadata(actor, [
            "relay.client": "\(client.id)", "relay.endpoint": "\(id)", "relay.count": "\(replayed)",
            "relay.since": "\(since.iso8601)",
        ]))
        return replayed
    }
}
