import PostgresNIO
import RelayCore
import Synchronization

/// Group commit for callback inserts: callbacks that arrive while a commit runs wait for the next one, which
/// stores them all with one statement (and one commit), then answers each.
final class PostgresIngestBatcher: Sendable {
    struct Pending: Sendable {
        var id: String
        var callback: InboundCallback
        var headers: String
        var key: String
    }

    private struct Waiting {
        var pending: Pending
        var continuation: CheckedContinuation<IngestOutcome, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var committing = 0
    }

    private let state = Mutex(State())
    let maxBatch: Int
    /// Commits running at once (each on its own connection): one fills while another commits.
    let maxCommitting = 2

    init(maxBatch: Int) {
        self.maxBatch = maxBatch
    }

    /// Queues a callback and returns once the commit that carried it has finished.
    func submit(_ pending: Pending,
                commit: @escaping @Sendable ([Pending]) async throws -> [IngestOutcome]) async throws -> IngestOutcome
    {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.queue.append(Waiting(pending: pending, continuation: continuation))
                guard state.committing < maxCommitting else { return false }
                state.committing += 1
                return true
            }
            if start { Task { await self.drain(commit) } }
        }
    }

    private func drain(_ commit: @escaping @Sendable ([Pending]) async throws -> [IngestOutcome]) async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let count = min(maxBatch, state.queue.count)
                guard count > 0 else {
                    state.committing -= 1
                    return []
                }
                let batch = Array(state.queue.prefix(count))
                state.queue.removeFirst(count)
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                let outcomes = try await commit(batch.map(\.pending))
                for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(returning: outcome) }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }

    /// Stores a batch in one statement: new dedup keys, the callback rows (accepted or duplicate) and the
    /// unnormalised marks of the accepted ones.
    static func commit(_ batch: [Pending], connection: PGConnection) async throws -> [IngestOutcome] {
        // Within a batch the first callback with a key may be accepted; later ones are duplicates of it.
        var seen = Set<String>()
        var values: [PGValue] = []
        values.reserveCapacity(batch.count * 10)
        for (index, pending) in batch.enumerated() {
            let first = seen.insert(pending.key).inserted
            let callback = pending.callback
            values += [.text(pending.id), .text(callback.client), .text(callback.aggregator.rawValue),
                       .integer(callback.receivedAt.epochMilliseconds), .text(orNull: callback.contentType),
                       .text(pending.headers), .blob(callback.body), .text(pending.key), .bool(first),
                       .integer(Int64(index))]
        }
        let list = PostgresSQL.valuesList(
            rows: batch.count, casts: ["text", "text", "text", "bigint", "text", "text", "bytea", "text", "boolean", "bigint"])
        let rows = try await connection.query(
            """
            WITH input (id, client, aggregator, received_at, content_type, headers, body, key, first, ord) AS (
                VALUES \(list)
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
