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

    static let commitSQL = """
        WITH input AS (
            \(inputRows.select(["id", "client", "aggregator", "received_at", "content_type", "headers", "body", "key",
                                "first", "ord"]))
        ),
        new_keys AS (
            INSERT INTO callback_keys (key) SELECT key FROM input WHERE first ON CONFLICT DO NOTHING RETURNING key
        ),
        stored AS (
            INSERT INTO callbacks (id, client, aggregator, received_at, content_type, headers, body, dedup_key, status)
            SELECT id, client, aggregator, received_at, content_type, headers, body, key,
                CASE WHEN first AND key IN (SELECT key FROM new_keys) THEN 'accepted' ELSE 'duplicate' END
            FROM input ORDER BY ord
            RETURNING seq, id, status
        ),
        marked AS (
            INSERT INTO unnormalised (seq) SELECT seq FROM stored WHERE status = 'accepted'
        )
        SELECT id, seq, status FROM stored
        """

    /// Stores a batch in one statement: new dedup keys, the callback rows (accepted or duplicate) and the
    /// unnormalised marks of the accepted ones.
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
        // One array per column (`PGUnnest`): the text is the same for every batch size, so it runs prepared.
        let rows = try await connection.query(commitSQL, try inputRows.values(input))
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
