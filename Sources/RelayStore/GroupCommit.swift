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

    private struct Waiting {
        var item: Item
        var continuation: CheckedContinuation<Turn, any Error>
    }

    private struct State {
        var writing = false
        var waiting: [Waiting] = []
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
    /// - Parameter commit: writes a batch and returns one output per item, in order (run only if this caller's turn
    ///   comes to write; every caller passes the same).
    public func submit(_ item: Item, commit: @escaping @Sendable ([Item]) async throws -> [Output]) async throws
        -> Output
    {
        let turn = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Turn, any Error>) in
            let write = state.withLock { state -> Bool in
                guard !state.writing else {
                    state.waiting.append(Waiting(item: item, continuation: continuation))
                    return false
                }
                state.writing = true
                return true
            }
            if write { continuation.resume(returning: .write) }
        }
        switch turn {
        case .done(let output): return output
        case .write: return try await write(item, commit: commit)
        }
    }

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
