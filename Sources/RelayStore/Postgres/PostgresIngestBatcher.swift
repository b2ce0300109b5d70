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

    /// Stores a batch in one statement: new dedup keys, the callback rows (accepted or duplicate) and the
    /// unnormalised marks of the accepted ones.
    static func commit(_ batch: [Pending], connection: PGConnection) async throws -> [IngestOutcome] {
        // Within a batch the first callback with a key may be accepted; later ones are duplicates of it.
        var seen = Set<String>()
        var firsts: [Bool] = []
        firsts.reserveCapacity(batch.count)
        for pending in batch { firsts.append(seen.insert(pending.key).inserted) }
        let callbacks = batch.map(\.callback)
        // One array per column: the text is the same for every batch size, so it runs prepared.
        let values: [PGValue] = [
            .texts(batch.map(\.id)), .texts(callbacks.map(\.client)), .texts(callbacks.map(\.aggregator.rawValue)),
            .integers(callbacks.map(\.receivedAt.epochMilliseconds)),
        ] + PGArrays.texts(callbacks.map(\.contentType)) + [
            .texts(batch.map(\.headers)), .blobs(callbacks.map(\.body)), .texts(batch.map(\.key)), .bools(firsts),
        ]
        let rows = try await connection.query(
            """
            WITH input AS (
                SELECT id, client, aggregator, received_at, CASE WHEN has_type THEN content_type END AS content_type,
                    headers, body, key, first, ord
                FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::boolean[], ?::text[],
                    ?::bytea[], ?::text[], ?::boolean[]) WITH ORDINALITY
                    AS u (id, client, aggregator, received_at, content_type, has_type, headers, body, key, first, ord)
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
            """, values)
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
