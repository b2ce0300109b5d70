import Foundation
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
public final class PostgresStore: RelayStore {
    let client: PostgresClient
    /// The schema used instead of `public`, if any.
    let schema: String?
    let logger: Logger
    let runTask: Task<Void, Never>
    let listenTask = Mutex<Task<Void, Never>?>(nil)
    let listeners = Mutex<[@Sendable () -> Void]>([])
    let ingestBatcher: PostgresIngestBatcher
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
        if let schema {
            configuration.options.additionalStartupParameters = [("search_path", schema)]
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
        runTask = Task { await client.run() }
        ingestBatcher = PostgresIngestBatcher(maxBatch: maxBatch)
    }

    public func close() async {
        listenTask.withLock { $0?.cancel() }
        runTask.cancel()
        // The pool closes its connections; an exit never waits more than a few seconds for that.
        let runTask = self.runTask
        try? await withDeadline(.seconds(5)) { await runTask.value }
    }

    // MARK: Running statements

    /// Runs `body` in one transaction on a pooled connection, failing after `timeout`.
    @discardableResult
    func transaction<T: Sendable>(timeout: Duration? = nil,
                                  _ body: @escaping @Sendable (PGConnection) async throws -> T) async throws -> T
    {
        let client = self.client
        let logger = self.logger
        return try await withDeadline(timeout ?? operationTimeout) {
            try await client.withTransaction(logger: logger) { connection in
                try await body(PGConnection(connection: connection, logger: logger))
            }
        }
    }

    /// Runs `body` on a pooled connection outside a transaction (each statement commits by itself).
    @discardableResult
    func read<T: Sendable>(_ body: @escaping @Sendable (PGConnection) async throws -> T) async throws -> T {
        let client = self.client
        let logger = self.logger
        return try await withDeadline(operationTimeout) {
            try await client.withConnection { connection in
                try await body(PGConnection(connection: connection, logger: logger))
            }
        }
    }

    /// Runs `operation`, failing with `unavailable` after `timeout`. The caller never waits longer, even when the
    /// operation ignores cancellation (a connection request during an outage); the operation is cancelled and its
    /// late result dropped. (A late commit is harmless: the caller answered 503 and the aggregator's retry is a
    /// duplicate.)
    func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T)
        async throws -> T
    {
        let outcome = DeadlineOutcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.start(continuation)
                let work = Task {
                    do { outcome.finish(.success(try await operation())) } catch { outcome.finish(.failure(error)) }
                }
                let timer = Task {
                    try await Task.sleep(for: timeout)
                    if outcome.finish(.failure(PostgresStoreError.unavailable("PostgreSQL did not answer within \(timeout)"))) {
                        work.cancel()
                    }
                }
                outcome.onFinish { timer.cancel() }
            }
        } onCancel: {
            outcome.finish(.failure(CancellationError()))
        }
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
            callback: callback, headers: SQLiteStore.headersJSON(callback.headers), key: key)
        return try await ingestBatcher.submit(pending) { batch in
            // Callbacks are answered quickly either way: committed, or 503 so the aggregator retries.
            try await self.transaction(timeout: self.ingestTimeout) { connection in
                try await PostgresIngestBatcher.commit(batch, connection: connection)
            }
        }
    }

    public func quarantine(_ callback: InboundCallback, error: String, detail: String) async throws -> String {
        let id = Identifier.make(prefix: "cb", epochMilliseconds: callback.receivedAt.epochMilliseconds)
        let headers = SQLiteStore.headersJSON(callback.headers)
        try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO callbacks (id, client, aggregator, received_at, content_type, headers, body, status, error, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'rejected', ?, ?)
                """,
                [.text(id), .text(callback.client), .text(callback.aggregator.rawValue),
                 .integer(callback.receivedAt.epochMilliseconds), .text(orNull: callback.contentType), .text(headers),
                 .blob(callback.body), .text(error), .text(detail)])
        }
        return id
    }

    static func callbackRow(_ row: PGRow) -> StoredCallback {
        StoredCallback(seq: row.int(0), id: row.text(1) ?? "", client: row.text(2) ?? "",
                       aggregator: Aggregator(rawValue: row.text(3) ?? "") ?? .clickpost,
                       receivedAt: EventTime(epochMilliseconds: row.int(4)), contentType: row.text(5),
                       body: row.blob(6))
    }

    public func unnormalisedCallbacks(afterSeq: Int64, limit: Int) async throws -> [StoredCallback] {
        try await read { connection in
            try await connection.query(
                """
                SELECT c.seq, c.id, c.client, c.aggregator, c.received_at, c.content_type, c.body
                FROM unnormalised u JOIN callbacks c ON c.seq = u.seq
                WHERE u.seq > ? ORDER BY u.seq LIMIT ?
                """, [.integer(afterSeq), .integer(Int64(limit))], Self.callbackRow)
        }
    }

    public func counts() async throws -> StoreCounts {
        try await read { connection in
            let row = try await connection.query(
                """
                SELECT (SELECT count(*) FROM callbacks WHERE status != 'rejected'),
                    (SELECT count(*) FROM callbacks WHERE status = 'duplicate'),
                    (SELECT count(*) FROM callbacks WHERE status = 'rejected'),
                    (SELECT count(*) FROM unnormalised),
                    (SELECT count(*) FROM events),
                    (SELECT count(*) FROM notifications),
                    (SELECT count(*) FROM deliveries),
                    (SELECT count(*) FROM deliveries WHERE state = 'pending')
                """)[0]
            return StoreCounts(callbacks: Int(row.int(0)), duplicates: Int(row.int(1)), quarantined: Int(row.int(2)),
                               unnormalised: Int(row.int(3)), events: Int(row.int(4)),
                               notifications: Int(row.int(5)), deliveries: Int(row.int(6)),
                               pendingDeliveries: Int(row.int(7)))
        }
    }

    static func notificationRow(_ row: PGRow) -> StoredNotification {
        StoredNotification(id: row.text(0) ?? "", client: row.text(1) ?? "", awb: row.text(2), type: row.text(3) ?? "",
                           direction: row.text(4) ?? "", callbackSeq: row.optionalInt(5), payload: row.blob(6))
    }

    public func notifications(client: String, awb: String) async throws -> [StoredNotification] {
        try await read { connection in
            try await connection.query(
                """
                SELECT id, client, awb, type, direction, callback_seq, payload FROM notifications
                WHERE client = ? AND (awb = ? OR shipment = ?) ORDER BY seq
                """, [.text(client), .text(awb), .text(awb)], Self.notificationRow)
        }
    }

    public func allNotifications(limit: Int) async throws -> [StoredNotification] {
        try await read { connection in
            try await connection.query(
                "SELECT id, client, awb, type, direction, callback_seq, payload FROM notifications ORDER BY seq LIMIT ?",
                [.integer(Int64(limit))], Self.notificationRow)
        }
    }

    public func events(client: String, awb: String) async throws -> [StoredEvent] {
        try await read { connection in
            try await connection.query(
                """
                SELECT callback_seq, awb, status_code, role, outcome, notification_type, notification_id FROM events
                WHERE client = ? AND awb = ? ORDER BY seq
                """, [.text(client), .text(awb)], StoreRows.event)
        }
    }

    public func quarantined(limit: Int) async throws -> [QuarantinedCallback] {
        try await read { connection in
            try await connection.query(
                """
                SELECT id, client, aggregator, received_at, error, detail, body FROM callbacks
                WHERE status = 'rejected' OR error = 'unmapped' ORDER BY seq DESC LIMIT ?
                """, [.integer(Int64(limit))], StoreRows.quarantined)
        }
    }
}
