import Foundation

/// Runs blocking work (waiting for a child process, say) on a thread of its own. Swift's cooperative pool has one
/// thread per core, two on a CI machine, and the tests running at once share it with their HTTP receivers: a test
/// blocked in `waitUntilExit` there stalled the receivers of others until the relay's attempts to them timed out.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
