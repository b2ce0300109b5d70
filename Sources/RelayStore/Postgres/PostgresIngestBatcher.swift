import PostgresNIO
import RelayCore

/// Group commit for callback inserts (`GroupCommit`): callbacks that arrive while a commit runs wait for the next
/// one, which stores them all with one statement (and one commit), then answers each.
enum PostgresIngestBatcher {
    struct Pending: Sendable {
        var id: String
        var callback: InboundCallback
        var headers: String
        var key: String
    }

    static let inputRows = PGUnnest(types: [
        "text", "text", "text", "bigint", "text?", "text", "bytea", "text", "boolean", "bigint",
    ])

    static let columns = "id, client, aggregator, received_at, content_type, headers, body, dedup_key, status"
    static let input = """
        WITH input AS (
            \(inputRows.select(["id", "client", "aggregator", "received_at", "content_type", "headers", "body", "key",
                                "first", "ord"]))
        )
        """

    /// The batch: the first callback of each key is accepted unless an accepted callback has the key (a probe of
    /// the unique index on accepted callbacks' keys, migration 14), the others are duplicates. A plain insert spares
    /// the speculative insertion of `ON CONFLICT` (an index probe first, a confirmation record after); only a key
    /// accepted meanwhile by another instance, not yet committed when probed, fails the statement, and then the
    /// batch goes again as `conflictSQL`. The probe ends in `OFFSET 0` so that it stays a look-up per callback:
    /// without it, the plan prepared while the table was small read every accepted key into a hash per batch (a
    /// statement took 21 ms instead of 0.8 ms after 20,000 callbacks).
    static let plainSQL = """
        \(input), stored AS (
            INSERT INTO callbacks (\(columns))
            SELECT id, client, aggregator, received_at, content_type, headers, body, key,
                CASE WHEN first AND NOT EXISTS (SELECT 1 FROM callbacks c WHERE c.dedup_key = input.key
                    AND c.status = 'accepted' OFFSET 0) THEN 'accepted' ELSE 'duplicate' END
            FROM input ORDER BY ord
            RETURNING seq, id, status
        ), marked AS (
            INSERT INTO unnormalised (seq) SELECT seq FROM stored WHERE status = 'accepted'
        )
        SELECT id, seq, status FROM stored
        """

    /// The batch again when `plainSQL` met a key taken by a concurrent insert: each first callback of a key is
    /// accepted unless its key is taken (`ON CONFLICT`, which waits for that insert), every other callback is stored
    /// as a duplicate.
    static let conflictSQL = """
        \(input), accepted AS (
            INSERT INTO callbacks (\(columns))
            SELECT id, client, aggregator, received_at, content_type, headers, body, key, 'accepted'
            FROM input WHERE first ORDER BY ord
            ON CONFLICT (dedup_key) WHERE status = 'accepted' DO NOTHING
            RETURNING seq, id, status
        ), duplicates AS (
            INSERT INTO callbacks (\(columns))
            SELECT id, client, aggregator, received_at, content_type, headers, body, key, 'duplicate'
            FROM input WHERE NOT EXISTS (SELECT 1 FROM accepted a WHERE a.id = input.id) ORDER BY ord
            RETURNING seq, id, status
        ), marked AS (
            INSERT INTO unnormalised (seq) SELECT seq FROM accepted
        )
        SELECT id, seq, status FROM accepted UNION ALL SELECT id, seq, status FROM duplicates
        """

    /// Whether `error` is the unique index on accepted callbacks' keys refusing a key that is taken.
    static func isTakenKey(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let info = error.serverInfo else { return false }
        return info[.sqlState] == "23505" && info[.constraintName] == "callbacks_accepted_key"
    }

    /// Stores a batch in one statement: the callback rows (accepted or duplicate) and the unnormalised marks of the
    /// accepted ones; a second statement when a key was taken.
    static func commit(_ batch: [Pending], connection: PGConnection) async throws -> [IngestOutcome] {
        // Within a batch the first callback with a key may be accepted; later ones are duplicates of it.
        var seen = Set<String>()
        var input: [[PGValue]] = []
        input.reserveCapacity(batch.count)
        for (index, pending) in batch.enumerated() {
            let first = seen.insert(pending.key).inserted
            let callback = pending.callback
            input.append([.text(pending.id), .text(callback.client), .text(callback.aggregator.rawValue),
                         .integer(callback.receivedAt.epochMilliseconds), .text(orNull: callback.contentType),
                         .text(pending.headers), .blob(callback.body), .text(pending.key), .bool(first),
                         .integer(Int64(index))])
        }
        // One array per column (`PGUnnest`): the text is the same for every batch size, so it runs prepared. The
        // statement is atomic by itself: one that fails stored nothing, and the batch goes again.
        let values = try inputRows.values(input)
        let rows: [PGRow]
        do {
            rows = try await connection.query(plainSQL, values)
        } catch where isTakenKey(error) {
            rows = try await connection.query(conflictSQL, values)
        }
        var outcomes: [String: IngestOutcome] = [:]
        for row in rows {
            let id = row.text(0) ?? ""
            outcomes[id] = IngestOutcome(callbackId: id, seq: row.int(1), duplicate: row.text(2) != "accepted")
        }
        return try batch.map { pending in
            guard let outcome = outcomes[pending.id] else {
                throw PostgresStoreError.unavailable("callback \(pending.id) missing from its commit")
            }
            return outcome
        }
    }
}
