public import RelayCore

extension SQLiteStore {
    public func cleanup(olderThan cutoff: EventTime, batch: Int) async throws -> Int {
        let time = SQLiteValue.integer(cutoff.epochMilliseconds)
        let limit = SQLiteValue.integer(Int64(batch))
        return try await writer.perform { connection in
            var deleted = 0
            // Rows are scanned from the oldest seq, so each statement stops after `batch` old rows.
            deleted += try connection.run(
                """
                DELETE FROM callbacks WHERE seq IN (SELECT c.seq FROM callbacks c WHERE c.received_at < ?
                    AND NOT EXISTS (SELECT 1 FROM unnormalised u WHERE u.seq = c.seq) ORDER BY c.seq LIMIT ?)
                """, [time, limit])
            let oldestCallback = try connection.query("SELECT min(seq) FROM callbacks") { $0.optionalInt(0) }.first ?? nil
            let keep = SQLiteValue.integer(oldestCallback ?? Int64.max)
            deleted += try connection.run(
                "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE callback_seq < ? ORDER BY seq LIMIT ?)",
                [keep, limit])
            // Dedup keys of deleted callbacks can no longer be confirmed against their row: drop them too.
            deleted += try connection.run(
                "DELETE FROM callback_keys WHERE key IN (SELECT key FROM callback_keys WHERE seq < ? LIMIT ?)",
                [keep, limit])
            deleted += try connection.run(
                """
                DELETE FROM attempts WHERE seq IN (SELECT a.seq FROM attempts a WHERE a.started_at < ?
                    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = a.delivery_seq AND d.state = 'dead')
                    ORDER BY a.seq LIMIT ?)
                """, [time, limit])
            deleted += try connection.run(
                """
                DELETE FROM deliveries WHERE seq IN (SELECT seq FROM deliveries WHERE updated_at < ?
                    AND state IN ('delivered', 'discarded') ORDER BY seq LIMIT ?)
                """, [time, limit])
            deleted += try connection.run(
                """
                DELETE FROM notifications WHERE seq IN (SELECT n.seq FROM notifications n WHERE n.created_at < ?
                    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.notification_seq = n.seq) ORDER BY n.seq LIMIT ?)
                """, [time, limit])
            return deleted
        }
    }
}
