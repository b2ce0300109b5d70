import Synchronization

/// The first of an operation's result and its deadline, delivered once.
final class DeadlineOutcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
        var onFinish: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let result = state.withLock { state -> Result<T, any Error>? in
            if let result = state.result { return result }
            state.continuation = continuation
            return nil
        }
        if let result { continuation.resume(with: result) }
    }

    func onFinish(_ action: @escaping @Sendable () -> Void) {
        let finished = state.withLock { state -> Bool in
            if state.result != nil { return true }
            state.onFinish = action
            return false
        }
        if finished { action() }
    }

    /// Delivers `result` unless something was delivered before; says whether it was delivered.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let delivered = state.withLock { state -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?)? in
            guard state.result == nil else { return nil }
            state.result = result
            defer {
                state.continuation = nil
                state.onFinish = nil
            }
            return (state.continuation, state.onFinish)
        }
        guard let delivered else { return false }
        delivered.0?.resume(with: result)
        delivered.1?()
        return true
    }
}
