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

    public func normalise(
        _ batch: [NormalisationInput],
        using normalise: @escaping @Sendable (NormalisationInput, any NormalisationContext) -> NormalisationResult?
    ) async throws -> NormalisationSummary {
        try await writer.perform { connection in
            var summary = NormalisationSummary()
            let now = WallClock.now().epochMilliseconds
            let context = SQLiteNormalisationContext(connection: connection)
            // Marked normalised in one statement per chunk; a callback another batch already did is skipped.
            var marked = Set<Int64>()
            var start = 0
            while start < batch.count {
                let chunk = batch[start..<min(batch.count, start + Self.markChunk)]
                let seqs = try connection.query(Self.markNormalisedSQL[chunk.count], chunk.map { .integer($0.callback.seq) }) {
                    $0.int(0)
                }
                marked.formUnion(seqs)
                start += chunk.count
            }
            for input in batch {
                guard marked.remove(input.callback.seq) != nil else {
                    summary.alreadyDone += 1
                    continue
                }
                summary.callbacks += 1
                guard let result = normalise(input, context) else { continue }
                try Self.write(result, callback: input.callback, now: now, connection: connection, summary: &summary)
                // A status the mapping tables do not know: ops see the callback in quarantine (rare, so the
                // callback row is rewritten only then).
                let unmapped = result.events.contains { $0.outcome == .unmapped }
                if unmapped || input.requeued {
                    try connection.run(
                        "UPDATE callbacks SET error = ?, detail = ? WHERE seq = ? AND status = 'accepted'",
                        [unmapped ? .text("unmapped") : .null,
                         unmapped ? .text("status not in the mapping table") : .null, .integer(input.callback.seq)])
                }
            }
            return summary
        }
    }

    static let markChunk = 128
    /// `DELETE FROM unnormalised WHERE seq IN (?, …) RETURNING seq` for 0…markChunk placeholders, made once so that
    /// each text keeps one address in the connection's statement cache.
    static let markNormalisedSQL: [String] = (0...markChunk).map { count in
        "DELETE FROM unnormalised WHERE seq IN (\(Array(repeating: "?", count: max(count, 1)).joined(separator: ", "))) RETURNING seq"
    }

    static func write(_ result: NormalisationResult, callback: StoredCallback, now: Int64, connection: SQLiteConnection,
                      summary: inout NormalisationSummary) throws {
        for record in result.events {
            summary.outcomes[record.outcome, default: 0] += 1
            try connection.run(
                """
                INSERT INTO events (callback_seq, client, aggregator, awb, status_code, status_text, event_time, role,
                    outcome, notification_type, direction, notification_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.integer(callback.seq), .text(callback.client), .text(callback.aggregator.rawValue),
                 .text(orNull: record.event.awb), .text(record.event.statusCode), .text(orNull: record.event.statusText),
                 .integer(orNull: record.event.eventTime?.epochMilliseconds), .text(record.event.role.rawValue),
                 .text(record.outcome.rawValue), .text(orNull: record.type?.name),
                 .text(orNull: record.direction?.rawValue), .text(orNull: record.notificationId)])
        }
        for draft in result.notifications {
            let inserted = try connection.run(
                """
                INSERT OR IGNORE INTO notifications (id, client, awb, shipment, type, direction, dedup_key, event_time,
                    created_at, callback_seq, payload, awaiting_order)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(draft.id), .text(draft.client), .text(orNull: draft.awb), .text(draft.shipmentKey.shipment),
                 .text(draft.type.name), .text(draft.direction.rawValue), .text(draft.dedupKey),
                 .integer(draft.eventTime.epochMilliseconds), .integer(now), .integer(callback.seq),
                 .blob(draft.payload.serializedBytes()), .integer(draft.awaitingOrder ? 1 : 0)])
            guard inserted == 1 else { continue }
            let notificationSeq = connection.lastInsertRowID
            summary.notifications += 1
            let orderingKey = "\(draft.shipmentKey.client)\u{1F}\(draft.shipmentKey.shipment)"
            for endpoint in draft.endpointIds {
                try connection.run(Self.insertDeliverySQL,
                    [.integer(notificationSeq), .text(draft.id), .text(draft.client), .text(endpoint),
                     .text(orderingKey), .integer(draft.eventTime.epochMilliseconds), .integer(now),
                     .integer(draft.awaitingOrder ? 1 : 0)])
                summary.deliveries += 1
            }
        }
        for (key, state) in result.states {
            try connection.run(
                """
                INSERT INTO shipment_states (client, shipment, leg, newest_relayed, terminal, rto_raised, notification_keys)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (client, shipment, leg) DO UPDATE SET newest_relayed = excluded.newest_relayed,
                    terminal = excluded.terminal, rto_raised = excluded.rto_raised,
                    notification_keys = excluded.notification_keys
                """,
                [.text(key.client), .text(key.shipment), .text(key.leg.rawValue),
                 .integer(orNull: state.newestRelayed?.epochMilliseconds), .text(orNull: state.terminal?.name),
                 .integer(state.rtoRaised ? 1 : 0), .text(state.notificationKeys.joined(separator: " "))])
        }
    }

    /// Inserts a delivery (bind: notification seq, notification id, client, endpoint, ordering key, event time, now,
    /// awaiting order 0/1). It is held (`awaiting_order`) when its notification has no order code yet, or when an
    /// earlier delivery of its chain is held: a later notification never overtakes a held one.
    static let insertDeliverySQL = """
        INSERT INTO deliveries (notification_seq, notification_id, client, endpoint, ordering_key, event_time,
            state, next_attempt_at, created_at, updated_at, held_at)
        SELECT ?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN h.held THEN 'awaiting_order' ELSE 'pending' END, ?7, ?7, ?7,
            CASE WHEN h.held THEN ?7 END
        FROM (SELECT ?8 = 1 OR EXISTS (SELECT 1 FROM deliveries WHERE state = 'awaiting_order' AND ordering_key = ?5
            AND endpoint = ?4) AS held) h
        """
}

/// The SQLite file (or its directory) cannot be written: the relay does not start.
public struct SQLiteStoreUnwritable: Error, CustomStringConvertible {
    public let path: String
    public let cause: String
    public var description: String { "the SQLite database \(path) cannot be written: \(cause)" }
}
