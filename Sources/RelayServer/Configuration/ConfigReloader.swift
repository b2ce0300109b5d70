public import Logging
public import RelayCore
import RelayStore
public import ServiceLifecycle
import Synchronization
import UnixSignals

/// Re-reads the configuration file on `SIGHUP` or `POST /admin/v1/config/reload`.
///
/// Clients, endpoints, credentials, signing secrets, delivery settings, admin tokens and the ops webhook change for
/// new requests and new attempts. `server`, `storage` and `log` are bound at start (listeners, the store, the log
/// handler): a changed value there is kept as it was and reported as needing a restart. An invalid file is refused
/// with its reasons and the running configuration stays. Every outcome is logged and kept for `/ops` and the admin
/// API.
public final class ConfigReloader: Service, Sendable {
    /// What the last reload did.
    public struct Outcome: Sendable {
        public var at: EventTime
        public var applied: Bool
        /// The generation in force after this reload.
        public var generation: Int
        /// Why the file was refused (key path: reason), empty when applied.
        public var issues: [String]
        /// Sections that changed in the file but need a restart to take effect.
        public var restartNeeded: [String]
    }

    let path: String
    let live: LiveConfiguration
    let logger: Logger
    /// The delivery lease the engine took at start (it keeps it until a restart, whatever a reload says).
    let startLeaseSeconds: Double
    private let last = Mutex<Outcome?>(nil)

    /// - Parameters:
    ///   - path: the file `relay serve` was started with; `${ENV}` references are resolved from the process
    ///     environment again at each reload.
    public init(path: String, live: LiveConfiguration, logger: Logger) {
        self.path = path
        self.live = live
        self.logger = logger
        startLeaseSeconds = live.current.deliveryLeaseSeconds
    }

    /// The last reload's outcome, nil before the first one.
    public var lastOutcome: Outcome? { last.withLock { $0 } }

    /// Reads the file and puts it in force when it is valid.
    @discardableResult
    public func reload() -> Outcome {
        let now = WallClock.now()
        let outcome: Outcome
        do {
            var next = try RelayConfiguration.load(path: path)
            let running = live.current
            var restart: [String] = []
            if "\(next.server)" != "\(running.server)" { restart.append("server") }
            if "\(next.storage)" != "\(running.storage)" { restart.append("storage") }
            if "\(next.log)" != "\(running.log)" { restart.append("log") }
            // Leases are taken for what the process computed at start: a longer timeout is held to it
            // (`DeliveryEngine.timeout(of:configuration:leaseSeconds:)`) until a restart, however many reloads
            // came in between.
            if next.deliveryLeaseSeconds > startLeaseSeconds { restart.append("delivery timeouts") }
            next.server = running.server
            next.storage = running.storage
            next.log = running.log
            let generation = live.replace(with: next)
            outcome = Outcome(at: now, applied: true, generation: generation, issues: [], restartNeeded: restart)
            logger.info("configuration reloaded", metadata: [
                "relay.generation": "\(generation)", "relay.clients": "\(next.clients.count)",
                "relay.restart_needed": "\(restart.isEmpty ? "none" : restart.joined(separator: ","))",
            ])
        } catch let error as ConfigurationError {
            outcome = Outcome(at: now, applied: false, generation: live.snapshot.generation,
                              issues: error.issues.map { "\($0.path.isEmpty ? "(file)" : $0.path): \($0.reason)" },
                              restartNeeded: [])
            logger.error("configuration reload refused; the running configuration stays", metadata: [
                "relay.generation": "\(outcome.generation)", "relay.issues": "\(outcome.issues.joined(separator: "; "))",
            ])
        } catch {
            outcome = Outcome(at: now, applied: false, generation: live.snapshot.generation,
                              issues: ["(file): \(error)"], restartNeeded: [])
            logger.error("configuration reload refused; the running configuration stays", metadata: [
                "relay.generation": "\(outcome.generation)", "error": "\(error)",
            ])
        }
        last.withLock { $0 = outcome }
        return outcome
    }

    /// Reloads on every `SIGHUP` until the relay shuts down.
    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                self.reload()
            }
        }
    }
}
