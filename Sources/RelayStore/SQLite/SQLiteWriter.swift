import Foundation
public import Logging

/// The single writer of an SQLite database, with group commit.
///
/// Callers submit closures with `perform`. A dedicated thread takes everything queued (up to `maxBatch`), runs each
/// closure inside its own savepoint of one transaction, commits once (one fsync), and only then resumes the callers.
/// A closure that throws rolls back its own savepoint and gets its error; the rest of the batch commits. While one
/// commit runs, the next batch queues up, so under load many requests share one fsync.
public final class SQLiteWriter: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [any WriterJob] = []
    private var stopping = false
    private var stopped = false
    private let connection: SQLiteConnection
    private let maxBatch: Int
    private let logger: Logger
    /// Failed transactions, at most one line per cause every 10 s (a full disk fails every one).
    private let errors: RateLimitedLogger
    private let finished = DispatchSemaphore(value: 0)
    private var started = false

    /// Called on the writer thread after a whole batch was rolled back, so that state kept in memory beside the
    /// database (the dedup index) can be read again. Set before `start()`.
    public var onRollback: (@Sendable (SQLiteConnection) -> Void)?

    /// Statistics for benchmarks and `/metrics`.
    public private(set) var commits: Int = 0
    public private(set) var committedJobs: Int = 0

    /// - Parameters:
    ///   - connection: the connection, used only by the writer thread from now on.
    ///   - groupCommit: false commits each job on its own (for comparison).
    ///   - maxBatch: the largest number of jobs in one transaction.
    public init(connection: SQLiteConnection, groupCommit: Bool, maxBatch: Int, logger: Logger) {
        self.connection = connection
        self.maxBatch = groupCommit ? max(1, maxBatch) : 1
        self.logger = logger
        self.errors = RateLimitedLogger(logger: logger)
    }

    /// Starts the writer thread.
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        started = true
        let thread = Thread { [self] in
            nameCurrentThread("relay-writer")
            loop()
        }
        thread.start()
    }

    /// Finishes what is queued, then stops the thread. Later `perform` calls fail.
    public func stop() {
        condition.lock()
        let wasStarted = started
        let alreadyStopping = stopping
        stopping = true
        condition.signal()
        condition.unlock()
        if wasStarted, !alreadyStopping { finished.wait() }
    }

    /// Runs `body` in the next group commit and returns its result once that commit is durable.
    /// - Parameters:
    ///   - isolated: true runs `body` in a savepoint of its own, so that when it throws only its own writes are
    ///     undone and the rest of the batch commits. false saves the two statements a savepoint costs, for hot
    ///     paths whose failures are failures of the database itself: when such a body throws, the whole
    ///     transaction rolls back and every job of the batch fails (their callers answer 503 and are retried).
    public func perform<T: Sendable>(
        isolated: Bool = true, _ body: @escaping @Sendable (SQLiteConnection) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            if !enqueue(TypedJob(body: body, continuation: continuation, isolated: isolated)) {
                continuation.resume(throwing: Self.closed)
            }
        }
    }

    private static let closed = SQLiteError(code: 21, message: "the store is closed")

    /// Queues `job` for the next batch; false when the writer is stopping (the job will never run).
    private func enqueue(_ job: any WriterJob) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        queue.append(job)
        condition.signal()
        return true
    }

    /// Lends the connection to `body` for one job of the next group commit, and returns `body`'s result once that
    /// commit is durable. The writer thread waits while `body` runs its statements on the calling thread, inside the
    /// job's savepoint: when `body` throws, only its own writes are undone. `body` must not wait for the writer
    /// (another `perform` or `lend`): it holds it.
    public func lend<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        let job = LentJob()
        let connection = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<LentConnection, any Error>) in
            job.lent = continuation
            if !enqueue(job) {
                job.lent = nil
                continuation.resume(throwing: Self.closed)
            }
        }.connection
        let result: Result<T, any Error>
        do { result = .success(try await body(connection)) } catch { result = .failure(error) }
        job.bodyFinished(error: result.failureValue)
        try await job.committed()
        return try result.get()
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty, !stopping { condition.wait() }
            if queue.isEmpty, stopping {
                stopped = true
                condition.unlock()
                finished.signal()
                return
            }
            let count = min(maxBatch, queue.count)
            let batch = Array(queue.prefix(count))
            queue.removeFirst(count)
            condition.unlock()
            runBatch(batch)
        }
    }

    private func runBatch(_ batch: [any WriterJob]) {
        do {
            try connection.run("BEGIN IMMEDIATE")
        } catch {
            errors.error("cannot begin a transaction", cause: "begin", metadata: ["error": "\(error)"])
            for job in batch { job.fail(error) }
            return
        }
        for job in batch {
            // Prepared once and reused: SAVEPOINT/RELEASE run for every isolated write.
            let savepoint = job.isolated
            if savepoint { _ = try? connection.run("SAVEPOINT job") }
            let succeeded = job.run(connection)
            if !succeeded, !connection.inTransaction {
                // SQLite itself rolled the whole transaction back (a full disk, an I/O error): the savepoint is gone
                // with it, and the jobs after this one would each commit on their own. Nothing of this batch stands.
                let error = job.error ?? SQLiteError(code: 1, message: "a write failed and ended the transaction")
                errors.error("write failed and SQLite rolled its batch back", cause: "write",
                             metadata: ["error": "\(error)", "relay.batch.size": "\(batch.count)"])
                rollBack(batch, error: error)
                return
            }
            if savepoint {
                if !succeeded { _ = try? connection.run("ROLLBACK TO job") }
                _ = try? connection.run("RELEASE job")
            } else if !succeeded {
                // Its partial writes cannot be undone alone: nothing of this batch commits.
                let error = job.error ?? SQLiteError(code: 1, message: "a write failed")
                errors.error("write failed; rolling back its batch", cause: "write",
                             metadata: ["error": "\(error)", "relay.batch.size": "\(batch.count)"])
                rollBack(batch, error: error)
                return
            }
        }
        do {
            try connection.run("COMMIT")
        } catch {
            errors.error("commit failed", cause: "commit",
                         metadata: ["error": "\(error)", "relay.batch.size": "\(batch.count)"])
            rollBack(batch, error: error)
            return
        }
        commits += 1
        committedJobs += batch.count
        for job in batch { job.complete() }
    }
}

extension SQLiteWriter {
    /// Undoes the open transaction and fails every job of its batch.
    fileprivate func rollBack(_ batch: [any WriterJob], error: any Error) {
        try? connection.execute("ROLLBACK")
        onRollback?(connection)
        for job in batch { job.fail(error) }
    }
}

protocol WriterJob: AnyObject {
    /// Runs in a savepoint of its own (see `SQLiteWriter.perform(isolated:_:)`).
    var isolated: Bool { get }
    /// The error of a `run` that returned false.
    var error: (any Error)? { get }
    /// Runs the body; false when it threw (its error is kept for `complete`).
    func run(_ connection: SQLiteConnection) -> Bool
    /// Resumes the caller after the commit.
    func complete()
    /// Resumes the caller with a failure of the whole transaction.
    func fail(_ error: any Error)
}

private final class TypedJob<T: Sendable>: WriterJob {
    let body: @Sendable (SQLiteConnection) throws -> T
    let continuation: CheckedContinuation<T, any Error>
    let isolated: Bool
    var result: Result<T, any Error>?

    init(body: @escaping @Sendable (SQLiteConnection) throws -> T, continuation: CheckedContinuation<T, any Error>,
         isolated: Bool) {
        self.body = body
        self.continuation = continuation
        self.isolated = isolated
    }

    var error: (any Error)? {
        if case .failure(let error) = result { return error }
        return nil
    }

    func run(_ connection: SQLiteConnection) -> Bool {
        do {
            result = .success(try body(connection))
            return true
        } catch {
            result = .failure(error)
            return false
        }
    }

    func complete() {
        continuation.resume(with: result ?? .failure(SQLiteError(code: 1, message: "job did not run")))
    }

    func fail(_ error: any Error) {
        continuation.resume(throwing: error)
    }
}

/// The writer's connection while it is lent (`SQLiteWriter.lend`): used by one task at a time, while the writer
/// thread waits.
struct LentConnection: @unchecked Sendable {
    let connection: SQLiteConnection
}

/// A job whose body runs on the task that submitted it (`SQLiteWriter.lend`).
private final class LentJob: WriterJob, @unchecked Sendable {
    let isolated = true
    /// Resumed by the writer thread when the job's turn comes (or with the error of a batch that never began).
    var lent: CheckedContinuation<LentConnection, any Error>?
    private let lock = NSLock()
    private let bodyDone = DispatchSemaphore(value: 0)
    private var bodyError: (any Error)?
    private var commit: CheckedContinuation<Void, any Error>?
    private var commitOutcome: Result<Void, any Error>?

    var error: (any Error)? { locked { bodyError } }

    private func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func run(_ connection: SQLiteConnection) -> Bool {
        let continuation = locked { () -> CheckedContinuation<LentConnection, any Error>? in
            defer { lent = nil }
            return lent
        }
        continuation?.resume(returning: LentConnection(connection: connection))
        bodyDone.wait()
        return locked { bodyError == nil }
    }

    /// Called by the borrowing task when its body returned or threw: the writer thread goes on.
    func bodyFinished(error: (any Error)?) {
        locked { bodyError = error }
        bodyDone.signal()
    }

    /// Waits for the commit (or rollback) of the job's batch.
    func committed() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = locked { () -> Result<Void, any Error>? in
                if commitOutcome == nil { commit = continuation }
                return commitOutcome
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    func complete() { finish(.success(())) }

    func fail(_ error: any Error) {
        // A batch that could not begin fails its jobs before they ran: the borrower is still waiting for the
        // connection.
        let waiting = locked { () -> CheckedContinuation<LentConnection, any Error>? in
            defer { lent = nil }
            return lent
        }
        if let waiting {
            waiting.resume(throwing: error)
            return
        }
        finish(.failure(error))
    }

    private func finish(_ outcome: Result<Void, any Error>) {
        let continuation = locked { () -> CheckedContinuation<Void, any Error>? in
            commitOutcome = outcome
            defer { commit = nil }
            return commit
        }
        continuation?.resume(with: outcome)
    }
}

extension Result {
    fileprivate var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
