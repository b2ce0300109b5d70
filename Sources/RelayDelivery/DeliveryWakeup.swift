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
        // A cancelled caller is woken too: the signal wait itself ignores cancellation.
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.waitForSignal() }
                group.addTask {
                    do {
                        try await Task.sleep(for: timeout)
                        self.signal()
                    } catch {}
                }
                await group.next()
                group.cancelAll()
            }
        } onCancel: {
            self.signal()
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
