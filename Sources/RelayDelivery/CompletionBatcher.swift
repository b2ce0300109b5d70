import RelayStore
import Synchronization

/// Records finished attempts in batches, like a group commit: the first attempt to finish while no batch is being
/// written writes its own completion together with every one waiting (up to `maxBatch`), then hands the turn to the
/// oldest completion still waiting. Each caller returns only once its completion is committed (or with the error
/// that failed its batch), so a chain's next delivery never starts before its predecessor's state is stored.
///
/// No task of its own: the writing is done by the callers, one at a time, and the number waiting is bounded by the
/// deliveries in flight.
final class CompletionBatcher: Sendable {
    private enum Turn {
        case recorded
        case write
    }

    private struct Waiting {
        var completion: Completion
        var continuation: CheckedContinuation<Turn, any Error>
    }

    private struct State {
        var writing = false
        var waiting: [Waiting] = []
    }

    private let queue: any RelayStore
    private let maxBatch: Int
    private let state = Mutex(State())

    init(queue: any RelayStore, maxBatch: Int = 512) {
        self.queue = queue
        self.maxBatch = maxBatch
    }

    /// Commits `completion`, batched with those of other attempts finishing at the same time.
    func record(_ completion: Completion) async throws {
        let turn = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Turn, any Error>) in
            let write = state.withLock { state -> Bool in
                if state.writing {
                    state.waiting.append(Waiting(completion: completion, continuation: continuation))
                    return false
                }
                state.writing = true
                return true
            }
            if write { continuation.resume(returning: .write) }
        }
        if case .write = turn { try await write(completion) }
    }

    /// Writes `own` with up to `maxBatch - 1` waiting completions, wakes their callers, and passes the turn on.
    private func write(_ own: Completion) async throws {
        let batch = state.withLock { state -> [Waiting] in
            let count = min(maxBatch - 1, state.waiting.count)
            defer { state.waiting.removeFirst(count) }
            return Array(state.waiting.prefix(count))
        }
        var failure: (any Error)?
        do {
            try await queue.complete([own] + batch.map(\.completion))
            for waiting in batch { waiting.continuation.resume(returning: .recorded) }
        } catch {
            failure = error
            for waiting in batch { waiting.continuation.resume(throwing: error) }
        }
        let next = state.withLock { state -> Waiting? in
            guard !state.waiting.isEmpty else {
                state.writing = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .write)
        if let failure { throw failure }
    }
}
