import Synchronization

/// The configuration in force, replaceable while the relay runs (`SIGHUP`, `POST /admin/v1/config/reload`).
///
/// Every stage reads `current` when it starts a piece of work (a request, a normalisation batch, an attempt), so a
/// reload changes clients, endpoints, credentials and secrets for new requests and new attempts; work already under
/// way finishes with what it read.
public final class LiveConfiguration: Sendable {
    /// One loaded configuration with what is derived from it.
    public struct Snapshot: Sendable {
        public let configuration: RelayConfiguration
        /// 1 for the configuration read at start, +1 for every reload applied.
        public let generation: Int
        /// Every endpoint of every client, by id.
        public let endpoints: [String: Endpoint]
    }

    private let state: Mutex<Snapshot>

    public init(_ configuration: RelayConfiguration) {
        state = Mutex(Self.snapshot(configuration, generation: 1))
    }

    public var snapshot: Snapshot { state.withLock { $0 } }
    public var current: RelayConfiguration { state.withLock { $0.configuration } }

    /// Puts `configuration` in force; returns its generation.
    @discardableResult
    public func replace(with configuration: RelayConfiguration) -> Int {
        state.withLock { state in
            state = Self.snapshot(configuration, generation: state.generation + 1)
            return state.generation
        }
    }

    private static func snapshot(_ configuration: RelayConfiguration, generation: Int) -> Snapshot {
        var endpoints: [String: Endpoint] = [:]
        for client in configuration.clients { for endpoint in client.endpoints { endpoints[endpoint.id] = endpoint } }
        return Snapshot(configuration: configuration, generation: generation, endpoints: endpoints)
    }
}
