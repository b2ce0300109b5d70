import Foundation
import Hummingbird
public import Logging
import RelayCore
import RelayStore
public import ServiceLifecycle
import Synchronization
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// Which of the relay's services are running: `/readyz` answers 200 only while all are, and none is draining.
final class ServiceHealth: Sendable {
    private struct State {
        var running: [String: Bool] = [:]
        var draining = false
    }

    private let state = Mutex(State())
    /// How long stopping may take after a failure before the process is ended anyway.
    let grace: Duration

    init(grace: Duration) { self.grace = grace }

    func register(_ name: String) { state.withLock { $0.running[name] = false } }
    func set(_ name: String, running: Bool) { state.withLock { $0.running[name] = running } }
    func drain() { state.withLock { $0.draining = true } }

    /// Services not running (or "shutting down"), empty when ready.
    var problems: [String] {
        state.withLock { state in
            (state.draining ? ["shutting down"] : []) + state.running.filter { !$0.value }.keys.sorted()
        }
    }
}

/// Runs a service and makes its failure loud: an error thrown by it, or a return while the relay is not shutting
/// down, is logged at error level with the service's name and ends the service group (the process then exits
/// non-zero). Errors of services cancelled because another one failed are not logged again.
struct Supervised: Service {
    let name: String
    let service: any Service
    let health: ServiceHealth
    let logger: Logger

    init(_ name: String, _ service: any Service, health: ServiceHealth, logger: Logger) {
        self.name = name
        self.service = service
        self.health = health
        self.logger = logger
        health.register(name)
    }

    struct Stopped: Error, CustomStringConvertible {
        let name: String
        let cause: String
        var description: String { "the \(name) service stopped: \(cause)" }
    }

    func run() async throws {
        health.set(name, running: true)
        defer { health.set(name, running: false) }
        let health = self.health
        do {
            try await withGracefulShutdownHandler {
                try await service.run()
            } onGracefulShutdown: {
                health.drain()
            }
        } catch {
            if Task.isCancelled || Task.isShuttingDownGracefully && error is CancellationError { throw error }
            logger.error("service failed; the relay stops", metadata: ["relay.service": "\(name)", "error": "\(error)"])
            ShutdownWatchdog.exit(after: health.grace, logger: logger)
            throw Stopped(name: name, cause: "\(error)")
        }
        if !Task.isCancelled, !Task.isShuttingDownGracefully {
            logger.error("service returned while the relay was running; the relay stops",
                         metadata: ["relay.service": "\(name)"])
            ShutdownWatchdog.exit(after: health.grace, logger: logger)
            throw Stopped(name: name, cause: "returned unexpectedly")
        }
    }
}

/// Runs the relay until SIGTERM/SIGINT or a service failure. Shutdown is bounded by `grace`: the service group
/// drains for 80 % of it, is then cancelled, and a watchdog ends the process (exit 1, error logged) at `grace`
/// whatever still runs, so a stuck task never keeps a stopped relay alive.
/// - Throws: the failure that stopped the relay (the caller exits non-zero).
public func runRelay(_ service: any Service, grace: Duration, logger: Logger) async throws {
    var configuration = ServiceGroupConfiguration(services: [service], gracefulShutdownSignals: [.sigterm, .sigint],
                                                  logger: logger)
    configuration.maximumGracefulShutdownDuration = grace * 0.8
    configuration.maximumCancellationDuration = grace * 0.15
    let watchdog = ShutdownWatchdog(grace: grace, logger: logger)
    watchdog.arm()
    defer { watchdog.disarm() }
    try await ServiceGroup(configuration: configuration).run()
}

/// After SIGTERM or SIGINT, ends the process at `grace` if it is still running.
/// `sources` is touched only by `arm` and `disarm`, called one after the other by `runRelay`.
final class ShutdownWatchdog: @unchecked Sendable {
    let grace: Duration
    let logger: Logger
    private var sources: [any DispatchSourceSignal] = []
    private let armed = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    private let queue = DispatchQueue(label: "relay.shutdown-watchdog")

    init(grace: Duration, logger: Logger) {
        self.grace = grace
        self.logger = logger
    }

    func arm() {
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)  // delivered to the dispatch sources (ours and the service group's)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [self] in self.signalled() }
            source.resume()
            sources.append(source)
        }
    }

    private func signalled() {
        guard !armed.exchange(true, ordering: .relaxed) else { return }
        Self.exit(after: grace, logger: logger) { [self] in !self.finished.load(ordering: .relaxed) }
    }

    /// Ends the process with exit code 1 after `grace` unless `stillNeeded` says otherwise by then (a stopping
    /// relay that returned normally has exited before).
    static func exit(after grace: Duration, logger: Logger, stillNeeded: @escaping @Sendable () -> Bool = { true }) {
        let seconds = Double(grace.components.seconds) + Double(grace.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            guard stillNeeded() else { return }
            logger.error("stopping did not finish within the shutdown grace; exiting",
                         metadata: ["relay.shutdown_grace_seconds": "\(seconds)"])
            fflush(nil)
            _exit(1)
        }
    }

    func disarm() {
        finished.store(true, ordering: .relaxed)
        for source in sources { source.cancel() }
        sources.removeAll()
    }
}

/// `GET /readyz`: 200 while every service runs and the store answers a trivial query within 2 s; else 503 with the
/// reasons. The answer never waits longer than that: a store read that ignores cancellation (a SQLite reader
/// blocked on a slow disk) is left to finish on its own.
enum Readiness {
    static let storeDeadline: Duration = .seconds(2)

    static func check(store: any DeliveryQueue, health: ServiceHealth) async -> Response {
        var problems = health.problems
        let answered = await firstOf(within: storeDeadline) {
            do {
                _ = try await store.nextDueTime()
                return true
            } catch {
                return false
            }
        }
        switch answered {
        case true?: break
        case false?: problems.append("storage failed")
        case nil: problems.append("storage did not answer within \(storeDeadline)")
        }
        if problems.isEmpty { return JSONResponse.make(.ok, ["status": "ready"]) }
        return JSONResponse.make(.serviceUnavailable, [
            "status": "not_ready", "problems": .array(problems.map { .string($0) }),
        ])
    }
}

extension Readiness {
    /// `probe`'s result, or nil once `limit` has passed without one; returns at the first of the two. Unlike a task
    /// group, it does not wait for a probe that outlives the limit (that one is cancelled, and its result dropped).
    static func firstOf(within limit: Duration, _ probe: @escaping @Sendable () async -> Bool) async -> Bool? {
        let slot = ContinuationSlot()
        return await withCheckedContinuation { continuation in
            slot.fill(continuation)
            let work = Task { if slot.resume(await probe()) { slot.cancelTimer() } }
            slot.setTimer(Task {
                try? await Task.sleep(for: limit)
                if slot.resume(nil) { work.cancel() }
            })
        }
    }

    /// A continuation resumed once, by whoever comes first, and the timer to stop when the probe came first.
    private final class ContinuationSlot: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Bool?, Never>?
            var resumed = false
            var timer: Task<Void, Never>?
        }

        private let state = Mutex(State())

        func fill(_ continuation: CheckedContinuation<Bool?, Never>) {
            state.withLock { $0.continuation = continuation }
        }

        /// Resumes with `value` unless already resumed; true when this call did it.
        @discardableResult
        func resume(_ value: Bool?) -> Bool {
            let continuation = state.withLock { state -> CheckedContinuation<Bool?, Never>? in
                state.resumed = true
                return state.continuation.take()
            }
            continuation?.resume(returning: value)
            return continuation != nil
        }

        func setTimer(_ timer: Task<Void, Never>) {
            let cancel = state.withLock { state -> Bool in
                state.timer = timer
                return state.resumed
            }
            if cancel { timer.cancel() }
        }

        func cancelTimer() {
            state.withLock { $0.timer }?.cancel()
        }
    }
}
