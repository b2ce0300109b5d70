import Synchronization
public import RelayStore

/// Hands committed callbacks from the routes to the normaliser without waiting. Bounded: past `capacity` it drops
/// the in-memory copy and raises `overflowed`, and the normaliser reads those callbacks back from the store.
public final class NormalisationQueue: Sendable {
    private struct State {
        var items: [NormalisationInput] = []
        /// The callbacks of `items`.
        var queued = Set<Int64>()
        var waiter: CheckedContinuation<Void, Never>?
        var overflowed = false
        var finished = false
    }

    private let state = Mutex(State())
    /// How many callbacks it holds before it drops them (they are read back from the store).
    public let capacity: Int

    /// A queue holding at most `capacity` callbacks.
    public init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    /// Queues a committed callback.
    public func submit(_ input: NormalisationInput) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.items.count >= capacity {
                state.overflowed = true
            } else {
                state.items.append(input)
                state.queued.insert(input.callback.seq)
            }
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Whether the callback waits in the queue (a sweep leaves it to the queue).
    public func isQueued(_ seq: Int64) -> Bool {
        state.withLock { $0.queued.contains(seq) }
    }

    /// Takes up to `limit` queued items without waiting (none when the queue is empty); leaves `overflowed` for
    /// `next`.
    public func takeNow(limit: Int) -> [NormalisationInput] {
        state.withLock { state in
            let count = min(limit, state.items.count)
            guard count > 0 else { return [] }
            let items = Array(state.items.prefix(count))
            state.items.removeFirst(count)
            for item in items { state.queued.remove(item.callback.seq) }
            return items
        }
    }

    /// Wakes the consumer so it can notice shutdown.
    public func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Takes up to `limit` queued items, waiting while there are none. Returns `nil` once finished and empty, or
    /// when the calling task is cancelled (the service group is stopping after a failure: never wait forever).
    /// `overflowed` tells whether items were dropped since the last call.
    public func next(limit: Int) async -> (items: [NormalisationInput], overflowed: Bool)? {
        while true {
            let taken = state.withLock { state -> (items: [NormalisationInput], overflowed: Bool)? in
                guard !state.items.isEmpty || state.overflowed else { return nil }
                let count = min(limit, state.items.count)
                let items = Array(state.items.prefix(count))
                state.items.removeFirst(count)
                for item in items { state.queued.remove(item.callback.seq) }
                let overflowed = state.overflowed
                state.overflowed = false
                return (items, overflowed)
            }
            if let taken { return taken }
            if state.withLock({ $0.finished }) || Task.isCancelled { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state -> Bool in
                        if !state.items.isEmpty || state.overflowed || state.finished { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow {
                        continuation.resume()
                    } else if Task.isCancelled {
                        wakeWaiter()  // cancelled before the handler could see the waiter
                    }
                }
            } onCancel: {
                self.wakeWaiter()
            }
        }
    }

    /// Resumes the waiting consumer, if any (it then looks at the queue, the finished flag and cancellation).
    private func wakeWaiter() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }
}
