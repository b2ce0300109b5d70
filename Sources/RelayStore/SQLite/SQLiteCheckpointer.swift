import Foundation

/// Copies WAL frames into the database file on its own connection and thread, so the writer's commits do not pay
/// for checkpoints (which showed up as the writer's tail latency). PASSIVE checkpoints never block the writer; the
/// writer's own auto-checkpoint stays as a backstop at a larger WAL size.
final class SQLiteCheckpointer: @unchecked Sendable {
    private let connection: SQLiteConnection
    private let condition = NSCondition()
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    /// Failed checkpoints in a row (checkpoint thread only).
    private var failures = 0
    /// Told of the first failure of a run, and of every 1,200th after it (once a minute): the error and the count.
    /// Set before `start`.
    var onFailure: ((String, Int) -> Void)?

    init(path: String) throws {
        connection = try SQLiteConnection(path: path)
    }

    func start(every interval: TimeInterval = 0.05) {
        let thread = Thread { [self] in
            nameCurrentThread("relay-checkpt")
            while true {
                condition.lock()
                if !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
                let stop = stopping
                condition.unlock()
                if stop { break }
                do {
                    try connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    failures = 0
                } catch {
                    // The WAL then grows until a checkpoint succeeds: say so, once a minute at most.
                    failures += 1
                    if failures == 1 || failures % 1200 == 0 {
                        onFailure?("\(error)", failures)
                    }
                }
            }
            finished.signal()
        }
        thread.start()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }
}
