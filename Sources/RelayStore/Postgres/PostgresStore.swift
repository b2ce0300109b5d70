public import Logging
import NIOCore
import PostgresNIO
import RelayCore
import Synchronization

/// The shared store: one PostgreSQL database that several relay instances use at once (docs/CONTRACT.md §8 scale-out).
///
/// Callback inserts are group-committed (one statement, one commit, for everything that arrived while the previous
/// commit ran); deliveries are claimed with `FOR UPDATE SKIP LOCKED` and a lease, so each delivery is sent by one
/// instance at a time and an instance that dies hands its deliveries over when their leases expire; new deliveries
/// are announced with `NOTIFY`, and every instance's delivery loop also polls as a backstop.
public final class PostgresStore: RelayStore, SQLBackedStore {
    let client: PostgresClient
    /// The SQL seam: transactions and reads with the operation timeout.
    let database: PGDatabase
    public var seam: SQLSeam { SQLSeam(database: database) }
    /// The schema used instead of `public`, if any.
    let schema: String?
    let logger: Logger
    let runTask: Task<Void, Never>
    let listenTask = Mutex<Task<Void, Never>?>(nil)
    let listeners = Mutex<[@Sendable () -> Void]>([])
    let ingestBatcher: GroupCommit<PostgresIngestBatcher.Pending, IngestOutcome>
    /// Finished attempts, one statement per batch (River's completer, graphile-worker's `completeJobs`).
    let completionBatcher: GroupCommit<[Completion], [DueDelivery]>
    /// How long one store operation may wait (for a connection, or for PostgreSQL to answer) before it fails, so a
    /// callback is answered 503 rather than held while the database is down.
    let operationTimeout: Duration
    /// How long a callback's group commit may take before the callback is answered 503 (the aggregator retries).
    let ingestTimeout: Duration

    static let deliveriesChannel = "relay_deliveries"

    public var isShared: Bool { true }

    /// Connects, applies migrations and starts the background work.
    /// - Parameters:
    ///   - url: `postgres://user:password@host:port/database[?sslmode=disable|prefer|require]`.
    ///   - schema: a schema to use instead of `public` (created when missing); the tests isolate themselves this way.
    ///   - maxBatch: largest number of callbacks in one group commit.
    ///   - operationTimeout: how long one store operation may wait for a connection or an answer.
    ///   - ingestTimeout: how long a callback's commit may take before it is answered 503 (at most
    ///     `operationTimeout`); short, because the aggregator is waiting and retries anyway.
    public static func open(url: String, schema: String? = nil, maxBatch: Int = 512, maxConnections: Int = 20,
                            operationTimeout: Duration = .seconds(5), ingestTimeout: Duration = .seconds(3),
                            logger: Logger) async throws -> PostgresStore
    {
        let resolved = try PostgresURL.resolve(url)
        if let warning = resolved.warning { logger.warning("\(warning)") }
        var configuration = resolved.configuration
        configuration.options.maximumConnections = maxConnections
        configuration.options.connectTimeout = .seconds(3)
        // Plan settings that let prepared statements keep their generic plans (`PostgresSchema.sessionSettings`).
        configuration.options.additionalStartupParameters = PostgresSchema.sessionSettings
        if let schema {
            configuration.options.additionalStartupParameters.append(("search_path", schema))
        }
        var backgroundLogger = logger
        backgroundLogger.logLevel = logger.logLevel <= .debug ? logger.logLevel : max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: configuration, backgroundLogger: backgroundLogger)
        let store = PostgresStore(client: client, schema: schema, maxBatch: maxBatch, operationTimeout: operationTimeout,
                                  ingestTimeout: min(ingestTimeout, operationTimeout), logger: logger)
        do {
            // Waits a while longer than one operation: the database may be starting too.
            try await store.transaction(timeout: operationTimeout * 3) { connection in
                try await PostgresSchema.migrate(connection, schema: schema)
            }
        } catch {
            await store.close()
            throw PostgresStoreError.unavailable("cannot open the PostgreSQL store: \(String(reflecting: error))")
        }
        store.startListening()
        return store
    }

    private init(client: PostgresClient, schema: String?, maxBatch: Int, operationTimeout: Duration,
                 ingestTimeout: Duration, logger: Logger) {
        self.client = client
        self.schema = schema
        self.logger = logger
        self.operationTimeout = operationTimeout
        self.ingestTimeout = ingestTimeout
        database = PGDatabase(client: client, logger: logger, operationTimeout: operationTimeout,
                              normalisationLockKey: PostgresSchema.lockKey(PostgresSchema.normalisationLock, schema: schema))
        runTask = Task { await client.run() }
        // Both wait a little for more (up to 3 and 20 ms, only while items keep arriving and the batch is small):
        // fewer, larger statements and commits, the largest saving of PostgreSQL CPU at a steady rate
        // (docs/BENCHMARKS.md, "Ninth pass"). A callback's answer waits at most 3 ms longer (6 ms below 64 saved a
        // little more but doubled the answer time and made aggregators queue on their connections); a
        // completion's commit (and the next delivery of its chain) at most 20 ms.
        ingestBatcher = GroupCommit(maxBatch: maxBatch, gather: .milliseconds(3), gatherBelow: 16)
        completionBatcher = GroupCommit(maxBatch: 512, gather: .milliseconds(20), gatherBelow: 64)
    }

    public func close() async {
        listenTask.withLock { $0?.cancel() }
        runTask.cancel()
        // The pool closes its connections; an exit never waits more than a few seconds for that.
        let runTask = self.runTask
        try? await PGDatabase.withDeadline(.seconds(5)) { await runTask.value }
    }

    // MARK: Running statements

    /// Runs `body` in one transaction on a pooled connection, failing after `timeout`.
    @discardableResult
    func transaction<T: Sendable>(timeout: Duration? = nil,
                                  _ body: @escaping @Sendable (PGConnection) async throws -> T) async throws -> T
    {
        try await database.transaction(timeout: timeout, body)
    }

    /// Runs `body` on a pooled connection outside a transaction (each statement commits by itself).
    @discardableResult
    func read<T: Sendable>(_ body: @escaping @Sendable (PGConnection) async throws -> T) async throws -> T {
        try await database.withConnection(body)
    }

    // MARK: Delivery wake-ups across instances

    /// Calls `handler` whenever any instance commits new due deliveries (PostgreSQL `NOTIFY`).
    public func onDeliveriesChanged(_ handler: @escaping @Sendable () -> Void) {
        listeners.withLock { $0.append(handler) }
    }

    func wakeListeners() {
        for listener in listeners.withLock({ $0 }) { listener() }
    }

    func startListening() {
        let client = self.client
        let logger = self.logger
        let task = Task { [self] in
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.deliveriesChannel) { notifications in
                            for try await _ in notifications {
                                self.wakeListeners()
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.debug("LISTEN connection lost; retrying", metadata: ["error": "\(error)"])
                }
                // The poll backstop covers the gap; wake everyone once in case something was missed.
                self.wakeListeners()
                try? await Task.sleep(for: .seconds(1))
            }
        }
        listenTask.withLock { $0 = task }
    }

    // MARK: Callbacks

    public func ingest(_ callback: InboundCallback, dedupKey: String) async throws -> IngestOutcome {
        let key = DedupKey.make([callback.client, callback.aggregator.rawValue, dedupKey])
        let pending = PostgresIngestBatcher.Pending(
            id: Identifier.make(prefix: "cb", epochMilliseconds: callback.receivedAt.epochMilliseconds),
            callback: callback, headers: InboundCallback.headersJSON(callback.headers), key: key)
        // Callbacks are answered quickly either way: committed, or 503 so the aggregator retries. The deadline
        // runs from this callback's arrival, not from its batch's start: during an outage a callback queued behind
        // a failing batch would otherwise wait for that batch and then for its own (twice the timeout).
        let (batcher, database, timeout) = (ingestBatcher, database, ingestTimeout)
        return try await PGDatabase.withDeadline(timeout) {
            try await batcher.submit(pending, leavesWhenCancelled: true) { batch in
                // The batch is one statement, atomic by itself: no BEGIN and COMMIT round trips around it.
                try await database.withConnection(timeout: timeout) { connection in
                    try await PostgresIngestBatcher.commit(batch, connection: connection)
                }
            }
        }
    }

    public func requeue(quarantined callback: StoredCallback, rejected: Bool, dedupKey: String) async throws
        -> IngestOutcome
    {
        let key = DedupKey.make([callback.client, callback.aggregator.rawValue, dedupKey])
        do {
            return try await requeue(callback, rejected: rejected, key: key)
        } catch where PostgresIngestBatcher.isTakenKey(error) {
            // Another callback with the key was accepted meanwhile (its insert was not yet visible to the check):
            // now it is, and this one becomes its duplicate.
            return try await requeue(callback, rejected: rejected, key: key)
        }
    }

    private func requeue(_ callback: StoredCallback, rejected: Bool, key: String) async throws -> IngestOutcome {
        try await transaction { connection in
            var duplicate = false
            if rejected {
                // Accepted unless an accepted callback has the key (the unique index of migration 14 enforces it).
                duplicate = try await connection.execute(
                    """
                    UPDATE callbacks SET status = 'accepted', dedup_key = ?, error = NULL, detail = NULL
                    WHERE seq = ? AND NOT EXISTS (SELECT 1 FROM callbacks WHERE dedup_key = ? AND status = 'accepted')
                    """, [.text(key), .integer(callback.seq), .text(key)]) == 0
                if duplicate {
                    try await connection.execute(
                        """
                        UPDATE callbacks SET status = 'duplicate', dedup_key = ?, error = NULL, detail = NULL
                        WHERE seq = ?
                        """, [.text(key), .integer(callback.seq)])
                }
            }
            if !duplicate {
                try await connection.execute("INSERT INTO unnormalised (seq) VALUES (?) ON CONFLICT DO NOTHING",
                                             [.integer(callback.seq)])
            }
            return IngestOutcome(callbackId: callback.id, seq: callback.seq, duplicate: duplicate)
        }
    }
}
