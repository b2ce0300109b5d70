import Foundation
public import Logging
public import RelayCore

/// The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, one group-committing writer thread and
/// one reader connection.
public final class SQLiteStore: RelayStore {
    let writer: SQLiteWriter
    /// Touched only on the writer thread.
    let dedupIndex: SQLiteDedupIndex
    let reader: SQLiteReader
    let checkpointer: SQLiteCheckpointer
    let logger: Logger
    /// The database file.
    public let path: String

    /// Opens (creating and migrating) the database.
    /// - Parameters:
    ///   - configuration: path and group-commit settings.
    public init(configuration: RelayConfiguration.Storage.SQLite, logger: Logger) throws {
        path = configuration.path
        let directory = (configuration.path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
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
        checkpointer = try SQLiteCheckpointer(path: configuration.path)
        self.logger = logger
        writer.start()
        checkpointer.start()
    }

    /// Group-commit statistics: transactions committed and writes they carried.
    public var commitStatistics: (commits: Int, writes: Int) { (writer.commits, writer.committedJobs) }

    public func close() async {
        writer.stop()
        checkpointer.stop()
        let statistics = commitStatistics
        logger.info("store closed", metadata: [
            "relay.store.commits": "\(statistics.commits)", "relay.store.writes": "\(statistics.writes)",
        ])
    }

    static func headersJSON(_ headers: [(name: String, value: String)]) -> String {
        JSONValue.object(JSONObject(headers.map { (key: $0.name, value: JSONValue.string($0.value)) })).serialized()
    }

    public func ingest(_ callback: InboundCallback, dedupKey: String) async throws -> IngestOutcome {
        let headers = Self.headersJSON(callback.headers)
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

    public func quarantine(_ callback: InboundCallback, error: String, detail: String) async throws -> String {
        let headers = Self.headersJSON(callback.headers)
        return try await writer.perform { connection in
            let id = Identifier.make(prefix: "cb", epochMilliseconds: callback.receivedAt.epochMilliseconds)
            try connection.run(
                """
                INSERT INTO callbacks (id, client, aggregator, received_at, content_type, headers, body, status, error, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'rejected', ?, ?)
                """,
                [.text(id), .text(callback.client), .text(callback.aggregator.rawValue),
                 .integer(callback.receivedAt.epochMilliseconds), .text(orNull: callback.contentType), .text(headers),
                 .blob(callback.body), .text(error), .text(detail)])
            return id
        }
    }

    public func unnormalisedCallbacks(afterSeq: Int64, limit: Int) async throws -> [StoredCallback] {
        try await reader.read { connection in
            try connection.query(
                """
                SELECT c.seq, c.id, c.client, c.aggregator, c.received_at, c.content_type, c.body
                FROM unnormalised u JOIN callbacks c ON c.seq = u.seq
                WHERE u.seq > ? ORDER BY u.seq LIMIT ?
                """, [.integer(afterSeq), .integer(Int64(limit))]
            ) { row in
                StoredCallback(seq: row.int(0), id: row.text(1) ?? "", client: row.text(2) ?? "",
                               aggregator: Aggregator(rawValue: row.text(3) ?? "") ?? .clickpost,
                               receivedAt: EventTime(epochMilliseconds: row.int(4)), contentType: row.text(5),
                               body: row.blob(6))
            }
        }
    }

    public func counts() async throws -> StoreCounts {
        try await reader.read { connection in
            func count(_ sql: String) throws -> Int {
                Int(try connection.query(sql) { $0.int(0) }.first ?? 0)
            }
            return StoreCounts(
                callbacks: try count("SELECT count(*) FROM callbacks WHERE status != 'rejected'"),
                duplicates: try count("SELECT count(*) FROM callbacks WHERE status = 'duplicate'"),
                quarantined: try count("SELECT count(*) FROM callbacks WHERE status = 'rejected'"),
                unnormalised: try count("SELECT count(*) FROM unnormalised"),
                events: try count("SELECT count(*) FROM events"),
                notifications: try count("SELECT count(*) FROM notifications"),
                deliveries: try count("SELECT count(*) FROM deliveries"),
                pendingDeliveries: try count("SELECT count(*) FROM deliveries WHERE state = 'pending'"))
        }
    }

    static func notificationRow(_ row: SQLiteStatement) -> StoredNotification {
        StoredNotification(id: row.text(0) ?? "", client: row.text(1) ?? "", awb: row.text(2), type: row.text(3) ?? "",
                           direction: row.text(4) ?? "", callbackSeq: row.optionalInt(5), payload: row.blob(6))
    }

    public func notifications(client: String, awb: String) async throws -> [StoredNotification] {
        try await reader.read { connection in
            try connection.query(
                """
                SELECT id, client, awb, type, direction, callback_seq, payload FROM notifications
                WHERE client = ? AND (awb = ? OR shipment = ?) ORDER BY seq
                """, [.text(client), .text(awb), .text(awb)], Self.notificationRow)
        }
    }

    public func allNotifications(limit: Int) async throws -> [StoredNotification] {
        try await reader.read { connection in
            try connection.query(
                "SELECT id, client, awb, type, direction, callback_seq, payload FROM notifications ORDER BY seq LIMIT ?",
                [.integer(Int64(limit))], Self.notificationRow)
        }
    }

    public func events(client: String, awb: String) async throws -> [StoredEvent] {
        try await reader.read { connection in
            try connection.query(
                """
                SELECT callback_seq, awb, status_code, role, outcome, notification_type, notification_id FROM events
                WHERE client = ? AND awb = ? ORDER BY seq
                """, [.text(client), .text(awb)], StoreRows.event)
        }
    }

    public func quarantined(limit: Int) async throws -> [QuarantinedCallback] {
        try await reader.read { connection in
            try connection.query(
                """
                SELECT id, client, aggregator, received_at, error, detail, body FROM callbacks
                WHERE status = 'rejected' OR error = 'unmapped' ORDER BY seq DESC LIMIT ?
                """, [.integer(Int64(limit))], StoreRows.quarantined)
        }
    }
}

/// The SQLite file (or its directory) cannot be written: the relay does not start.
public struct SQLiteStoreUnwritable: Error, CustomStringConvertible {
    public let path: String
    public let cause: String
    public var description: String { "the SQLite database \(path) cannot be written: \(cause)" }
}
