import Synchronization

/// Group commit without a task of its own: items submitted while a batch is being written wait; the next submitter
/// (or, when a batch finishes, the oldest waiting item's caller) writes everything waiting, up to `maxBatch` items,
/// with one call of `commit`. Each caller returns once the batch carrying its item committed, with that item's
/// result, or with the error that failed the batch.
///
/// Used for PostgreSQL ingest (one statement per batch of callbacks) and for recording delivery attempts (one
/// statement per batch of completions). The number waiting is bounded by the callers: requests in flight, attempts
/// in flight.
public final class GroupCommit<Item: Sendable, Output: Sendable>: Sendable {
    private enum Turn {
        case done(Output)
        case write
    }

    /// How a submitted item entered: its caller writes, it waits, or its caller was cancelled already.
    private enum Entry { case write, queued, cancelled }

    private struct Waiting {
        var id: UInt64
        var item: Item
        var continuation: CheckedContinuation<Turn, any Error>
    }

    private struct State {
        var writing = false
        var waiting: [Waiting] = []
        var lastId: UInt64 = 0
    }

    private let state = Mutex(State())
    private let maxBatch: Int
    private let gather: Duration
    private let gatherBelow: Int

    /// One batch is written at a time; the next fills while it commits. (Two at once, each on its own connection,
    /// halved PostgreSQL's ingest batches and cost it more CPU: docs/BENCHMARKS.md, "Eighth pass".)
    public init(maxBatch: Int, gather: Duration = .zero, gatherBelow: Int = 0) {
        precondition(maxBatch >= 1)
        self.maxBatch = maxBatch
        self.gather = gather
        self.gatherBelow = gatherBelow
    }

    /// Commits `item` with whatever else is waiting; returns its output.
    /// - Parameters:
    ///   - leavesWhenCancelled: a caller cancelled while its item still waits (not yet in a batch) takes the item
    ///     back and gets `CancellationError`. For callers that answer on a deadline (a callback answered 503 after
    ///     its timeout): during an outage their items would otherwise pile up for as long as it lasts, bodies
    ///     included, and commit first when the store is back. Without it the item waits for its batch whatever
    ///     happens to the caller (an attempt's outcome must be recorded).
    ///   - commit: writes a batch and returns one output per item, in order (run only if this caller's turn
    ///     comes to write; every caller passes the same).
    public func submit(_ item: Item, leavesWhenCancelled: Bool = false,
                       commit: @escaping @Sendable ([Item]) async throws -> [Output]) async throws -> Output
    {
        let id = state.withLock { state -> UInt64 in
            state.lastId &+= 1
            return state.lastId
        }
        let turn = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Turn, any Error>) in
                let entry = state.withLock { state -> Entry in
                    guard !state.writing else {
                        // Checked under the lock the cancellation handler takes: either this sees the cancellation,
                        // or the handler sees the item.
                        if leavesWhenCancelled, Task.isCancelled { return .cancelled }
                        state.waiting.append(Waiting(id: id, item: item, continuation: continuation))
                        return .queued
                    }
                    state.writing = true
                    return .write
                }
                switch entry {
                case .write: continuation.resume(returning: .write)
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            guard leavesWhenCancelled else { return }
            let left = state.withLock { state -> Waiting? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index)
            }
            left?.continuation.resume(throwing: CancellationError())
        }
        switch turn {
        case .done(let output): return output
        case .write: return try await write(item, commit: commit)
        }
    }

    /// How many items wait for a batch (tests, diagnostics).
    public var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Waits up to `gather` for more items, a millisecond at a time, while the batch is below `gatherBelow` and
    /// items keep arriving: a millisecond in which none arrived means the callers are all here (a client with a
    /// few connections, each waiting for its answer), and waiting longer would only slow them down.
    private func gatherMore() async {
        let deadline = ContinuousClock.now + gather
        var seen = state.withLock { $0.waiting.count }
        while seen + 1 < gatherBelow, ContinuousClock.now < deadline {
            try? await Task.sleep(for: min(.milliseconds(1), deadline - ContinuousClock.now))
            let now = state.withLock { $0.waiting.count }
            if now == seen { return }
            seen = now
        }
    }

    /// Writes `own` with up to `maxBatch - 1` waiting items, answers their callers, and passes the turn on.
    private func write(_ own: Item, commit: @escaping @Sendable ([Item]) async throws -> [Output]) async throws
        -> Output
    {
        if gather > .zero { await gatherMore() }
        let batch = state.withLock { state -> [Waiting] in
            let count = min(maxBatch - 1, state.waiting.count)
            defer { state.waiting.removeFirst(count) }
            return Array(state.waiting.prefix(count))
        }
        let result: Result<Output, any Error>
        do {
            // The batch carries other callers' items: the writing caller's cancellation must not fail it, so the
            // commit runs in a task of its own (awaiting its value does not pass cancellation on).
            let items = [own] + batch.map(\.item)
            let outputs = try await Task { try await commit(items) }.value
            guard outputs.count == batch.count + 1 else { throw GroupCommitError.outputCount(outputs.count) }
            for (waiting, output) in zip(batch, outputs.dropFirst()) { waiting.continuation.resume(returning: .done(output)) }
            result = .success(outputs[0])
        } catch {
            for waiting in batch { waiting.continuation.resume(throwing: error) }
            result = .failure(error)
        }
        let next = state.withLock { state -> Waiting? in
            guard !state.waiting.isEmpty else {
                state.writing = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .write)
        return try result.get()
    }
}
