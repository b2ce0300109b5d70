import NIOCore
import NIOPosix
import Synchronization

/// Wakes the delivery loop: on new deliveries (`signal`), on a finished attempt (`nudge`), or after a timeout.
public final class DeliveryWakeup: Sendable {
    private struct State {
        var pending = false
        var urgent = false
        var waiter: CheckedContinuation<Void, Never>?
        var signals = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiter now, or the next `wait` immediately: new deliveries are due (or the loop must stop).
    public func signal() { wake(urgent: true) }

    /// Wakes the waiter like `signal`, but says that only an attempt finished: a slot or a chain may be free. The
    /// loop on a shared store then claims at most once per `DeliveryEngine.claimInterval`.
    public func nudge() { wake(urgent: false) }

    /// How many times `signal` was called so far (a timeout counts too): a finished attempt that saw it change
    /// while its outcome was committed may have missed new deliveries of its chain, and nudges the loop.
    var signals: Int { state.withLock { $0.signals } }

    private func wake(urgent: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if urgent {
                state.urgent = true
                state.signals &+= 1
            }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns on the next signal or nudge, or after `timeout`, whichever comes first; true unless only nudges
    /// came (a timeout counts as a signal).
    @discardableResult
    func wait(timeout: Duration) async -> Bool {
        let signalled = state.withLock { state -> Bool in
            defer { state.pending = false }
            return state.pending
        }
        if signalled { return takeUrgent() }
        // The timeout is a timer on an event loop (no task and no dispatch timer per wait: the loop waits after
        // every claim). A timer that fires just after a signal leaves `pending` set: the next wait returns at once
        // and the loop looks again, which is harmless. A cancelled caller is woken too.
        let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(timeout)) { [self] in
            signal()
        }
        await withTaskCancellationHandler {
            await waitForSignal()
        } onCancel: {
            self.signal()
        }
        timer.cancel()
        return takeUrgent()
    }

    private func takeUrgent() -> Bool {
        state.withLock { state in
            defer { state.urgent = false }
            return state.urgent
        }
    }

    private func waitForSignal() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.pending {
                    state.pending = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
