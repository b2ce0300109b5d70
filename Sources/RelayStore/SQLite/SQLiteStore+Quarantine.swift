import RelayCore

extension SQLiteStore {
    public func quarantinedCallback(id: String) async throws -> (callback: StoredCallback, rejected: Bool)? {
        try await reader.read { connection in
            try connection.query(
                """
                SELECT seq, id, client, aggregator, received_at, content_type, body, status FROM callbacks
                WHERE id = ? AND (status = 'rejected' OR error = 'unmapped')
                """, [.text(id)]
            ) { row in
                (StoredCallback(seq: row.int(0), id: row.text(1) ?? "", client: row.text(2) ?? "",
                                aggregator: Aggregator(rawValue: row.text(3) ?? "") ?? .clickpost,
                                receivedAt: EventTime(epochMilliseconds: row.int(4)), contentType: row.text(5),
                                body: row.blob(6)),
                 row.text(7) == "rejected")
            }.first
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
