import NIOCore
import NIOPosix
import Synchronization

/// Wakes the delivery loop: on new deliveries, on a finished attempt, or after a timeout.
public final class DeliveryWakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiter now, or the next `wait` immediately.
    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns on the next signal or after `timeout`, whichever comes first.
    func wait(timeout: Duration) async {
        let signalled = state.withLock { state -> Bool in
            defer { state.pending = false }
            return state.pending
        }
        if signalled { return }
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
