import RelayCore

extension PostgresStore {
    public func quarantinedCallback(id: String) async throws -> (callback: StoredCallback, rejected: Bool)? {
        try await read { connection in
            try await connection.query(
                """
                SELECT seq, id, client, aggregator, received_at, content_type, body, status FROM callbacks
                WHERE id = ? AND (status = 'rejected' OR error = 'unmapped')
                """, [.text(id)]
            ) { row in (Self.callbackRow(row), row.text(7) == "rejected") }.first
        }
    }

    public func requeue(quarantined callback: StoredCallback, rejected: Bool, dedupKey: String) async throws
        -> IngestOutcome
    {
        let key = DedupKey.make([callback.client, callback.aggregator.rawValue, dedupKey])
        return try await transaction { connection in
            var duplicate = false
            if rejected {
                duplicate = try await connection.count(
                    "INSERT INTO callback_keys (key) VALUES (?) ON CONFLICT DO NOTHING RETURNING key", [.text(key)]) == 0
                try await connection.query(
                    "UPDATE callbacks SET status = ?, dedup_key = ?, error = NULL, detail = NULL WHERE seq = ?",
                    [.text(duplicate ? "duplicate" : "accepted"), .text(key), .integer(callback.seq)])
            }
            if !duplicate {
                try await connection.query("INSERT INTO unnormalised (seq) VALUES (?) ON CONFLICT DO NOTHING",
                                           [.integer(callback.seq)])
            }
            return IngestOutcome(callbackId: callback.id, seq: callback.seq, duplicate: duplicate)
        }
    }
}
