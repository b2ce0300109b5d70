public import RelayCore

extension PostgresStore {
    public func cleanup(olderThan cutoff: EventTime, batch: Int) async throws -> Int {
        let time = PGValue.integer(cutoff.epochMilliseconds)
        let limit = PGValue.integer(Int64(batch))
        return try await transaction { connection in
            var deleted = 0
            // Each statement deletes at most `batch` of the oldest rows, so one call stays short.
            let callbacks = try await connection.query(
                """
                DELETE FROM callbacks WHERE seq IN (SELECT c.seq FROM callbacks c WHERE c.received_at < ?
                    AND NOT EXISTS (SELECT 1 FROM unnormalised u WHERE u.seq = c.seq) ORDER BY c.seq LIMIT ?)
                RETURNING dedup_key
                """, [time, limit]) { $0.text(0) }
            deleted += callbacks.count
            // Dedup keys of deleted callbacks go with them.
            let keys = callbacks.compactMap { $0 }
            if !keys.isEmpty {
                deleted += try await connection.count(
                    "DELETE FROM callback_keys WHERE key = ANY(?) RETURNING key", [.texts(keys)])
            }
            let oldest = try await connection.query("SELECT min(seq) FROM callbacks") { $0.optionalInt(0) }.first ?? nil
            deleted += try await connection.count(
                "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE callback_seq < ? ORDER BY seq LIMIT ?) RETURNING seq",
                [.integer(oldest ?? Int64.max), limit])
            deleted += try await connection.count(
                """
                DELETE FROM attempts WHERE seq IN (SELECT a.seq FROM attempts a WHERE a.started_at < ?
                    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = a.delivery_seq AND d.state = 'dead')
                    ORDER BY a.seq LIMIT ?) RETURNING seq
                """, [time, limit])
            deleted += try await connection.count(
                """
                DELETE FROM deliveries WHERE seq IN (SELECT seq FROM deliveries WHERE updated_at < ?
                    AND state IN ('delivered', 'discarded') ORDER BY seq LIMIT ?) RETURNING seq
                """, [time, limit])
            deleted += try await connection.count(
                """
                DELETE FROM notifications WHERE seq IN (SELECT n.seq FROM notifications n WHERE n.created_at < ?
                    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.notification_seq = n.seq) ORDER BY n.seq LIMIT ?)
                RETURNING seq
                """, [time, limit])
            return deleted
        }
    }
}
