import Foundation
public import Logging
public import RelayCore

/// The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, one group-committing writer thread and
/// one reader connection.
public final class SQLiteStore: RelayStore, SQLBackedStore {
    let writer: SQLiteWriter
    /// Touched only on the writer thread.
    let dedupIndex: SQLiteDedupIndex
    let reader: SQLiteReader
    let checkpointer: SQLiteCheckpointer
    /// Held while open: one relay process per file.
    let fileLock: SQLiteFileLock
    let logger: Logger
    /// The database file.
    public let path: String
    /// The SQL seam: reads on `reader`, writes lent the writer's connection.
    public let seam: SQLSeam
    /// Told after each commit that made deliveries due.
    let announcer = DeliveryAnnouncer()

    /// Opens (creating and migrating) the database.
    /// - Parameters:
    ///   - configuration: path and group-commit settings.
    public init(configuration: RelayConfiguration.Storage.SQLite, logger: Logger) throws {
        path = configuration.path
        let directory = (configuration.path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        fileLock = try SQLiteFileLock(databasePath: configuration.path)
        let connection = try SQLiteConnection(path: configuration.path)
        try SQLiteSchema.migrate(connection)
        // Fail at start, not at the first callback, when the file cannot be written (a read-only file or mount).
        do {
            try connection.execute("""
                BEGIN IMMEDIATE;
                INSERT INTO schema_migrations (version, applied_at) VALUES (-1, 0);
                DELETE FROM schema_migrations WHERE version = -1;
                COMMIT;
                """)
        } catch {
            try? connection.execute("ROLLBACK")
            throw SQLiteStoreUnwritable(path: configuration.path, cause: "\(error)")
        }
        dedupIndex = SQLiteDedupIndex()
        try dedupIndex.load(connection)
        writer = SQLiteWriter(connection: connection, groupCommit: configuration.groupCommit,
                              maxBatch: configuration.maxBatch, logger: logger)
        // A rolled-back batch may have flushed keys to `callback_keys` or added keys of rows that are gone: read
        // the index again from what is committed.
        writer.onRollback = { [dedupIndex, logger] connection in
            do {
                try dedupIndex.reload(connection)
            } catch {
                logger.error("cannot reload the callback dedup index", metadata: ["error": "\(error)"])
            }
        }
        reader = try SQLiteReader(path: configuration.path)
        seam = SQLSeam(database: SQLiteDatabase(writer: writer, reader: reader, announcer: announcer))
        checkpointer = try SQLiteCheckpointer(path: configuration.path)
        checkpointer.onFailure = { [logger] error, count in
            logger.warning("WAL checkpoint failed; the WAL file grows until one succeeds",
                           metadata: ["error": "\(error)", "relay.count": "\(count)"])
        }
        self.logger = logger
        writer.start()
        checkpointer.start()
    }

    /// Group-commit statistics: transactions committed and writes they carried.
    public var commitStatistics: (commits: Int, writes: Int) { (writer.commits, writer.committedJobs) }

    /// Calls `handler` after every commit that made deliveries due (new notifications, held ones released, replays,
    /// an endpoint enabled again).
    public func onDeliveriesChanged(_ handler: @escaping @Sendable () -> Void) {
        announcer.observe(handler)
    }

    public func close() async {
        writer.stop()
        checkpointer.stop()
        fileLock.release()
        let statistics = commitStatistics
        logger.info("store closed", metadata: [
            "relay.store.commits": "\(statistics.commits)", "relay.store.writes": "\(statistics.writes)",
        ])
    }

    public func ingest(_ callback: InboundCallback, dedupKey: String) async throws -> IngestOutcome {
        let headers = InboundCallback.headersJSON(callback.headers)
        let key = DedupKey.make([callback.client, callback.aggregator.rawValue, dedupKey])
        let dedupIndex = self.dedupIndex
        // Not isolated: the statements below fail only when the database does, and then the batch fails whole.
        return try await writer.perform(isolated: false) { connection in
            let id = Identifier.make(prefix: "cb", epochMilliseconds: callback.receivedAt.epochMilliseconds)
            let duplicate = try dedupIndex.find(key, connection: connection) != nil
            try connection.run(
                """
                INSERT INTO callbacks (id, client, aggregator, received_at, content_type, headers, body, dedup_key, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(id), .text(callback.client), .text(callback.aggregator.rawValue),
                 .integer(callback.receivedAt.epochMilliseconds), .text(orNull: callback.contentType), .text(headers),
                 .blob(callback.body), .text(key), .text(duplicate ? "duplicate" : "accepted")])
            let seq = connection.lastInsertRowID
            if !duplicate {
                dedupIndex.add(key, seq: seq)
                if dedupIndex.needsFlush { try dedupIndex.flush(connection) }
            }
            // Normalisation state lives in a small table of its own, so marking a callback normalised never
            // rewrites the (large) callback row.
            if !duplicate { try connection.run("INSERT INTO unnormalised (seq) VALUES (?)", [.integer(seq)]) }
            return IngestOutcome(callbackId: id, seq: seq, duplicate: duplicate)
        }
    }

    public func requeue(quarantined callback: StoredCallback, rejected: Bool, dedupKey: String) async throws
        -> IngestOutcome
    {
        let key = DedupKey.make([callback.client, callback.aggregator.rawValue, dedupKey])
        let dedupIndex = self.dedupIndex
        return try await writer.perform { connection in
            var duplicate = false
            if rejected {
                duplicate = try dedupIndex.find(key, connection: connection) != nil
                try connection.run(
                    "UPDATE callbacks SET status = ?, dedup_key = ?, error = NULL, detail = NULL WHERE seq = ?",
                    [.text(duplicate ? "duplicate" : "accepted"), .text(key), .integer(callback.seq)])
                if !duplicate { dedupIndex.add(key, seq: callback.seq) }
            }
            if !duplicate {
                try connection.run("INSERT OR IGNORE INTO unnormalised (seq) VALUES (?)", [.integer(callback.seq)])
            }
            return IngestOutcome(callbackId: callback.id, seq: callback.seq, duplicate: duplicate)
        }
    }
}

/// The SQLite file (or its directory) cannot be written: the relay does not start.
public struct SQLiteStoreUnwritable: Error, CustomStringConvertible {
    public let path: String
    public let cause: String
    public var description: String { "the SQLite database \(path) cannot be written: \(cause)" }
}
