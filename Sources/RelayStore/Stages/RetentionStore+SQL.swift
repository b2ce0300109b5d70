public import RelayCore

/// Retention, written once over the SQL seam.
extension RetentionStore where Self: SQLBackedStore {
    public func cleanup(olderThan cutoff: EventTime, batch: Int) async throws -> Int {
        let time = SQLValue.integer(cutoff.epochMilliseconds)
        let limit = SQLValue.integer(Int64(batch))
        return try await seam.database.write { session in
            // Rows are scanned from the oldest seq, so each statement stops after `batch` old rows and one call
            // stays short. Attempts are deleted by their delivery and number: PostgreSQL's key (migration 8); on
            // SQLite the delivery's index finds them. A notification's deliveries are looked for in two halves:
            // PostgreSQL's `deliveries_notification` leaves out those in flight (migration 9).
            var deleted = try await session.execute(
                """
                DELETE FROM callbacks WHERE seq IN (SELECT c.seq FROM callbacks c WHERE c.received_at < ?
                    AND NOT EXISTS (SELECT 1 FROM unnormalised u WHERE u.seq = c.seq) ORDER BY c.seq LIMIT ?)
                """, [time, limit])
            let oldest = try await session.query("SELECT min(seq) FROM callbacks") { $0.optionalInt(0) }.first ?? nil
            let keep = oldest ?? Int64.max
            // Dedup keys of deleted callbacks can no longer be confirmed against their row: they go too.
            if let (sql, binds) = session.dialect.forgetCallbackKeys(below: keep, limit: Int64(batch)) {
                deleted += try await session.execute(sql, binds)
            }
            deleted += try await session.execute(
                "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE callback_seq < ? ORDER BY seq LIMIT ?)",
                [.integer(keep), limit])
            deleted += try await session.execute(
                """
                DELETE FROM attempts WHERE (delivery_seq, number) IN (SELECT a.delivery_seq, a.number FROM attempts a
                    WHERE a.started_at < ?
                    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = a.delivery_seq AND d.state = 'dead')
                    ORDER BY a.seq LIMIT ?)
                """, [time, limit])
            deleted += try await session.execute(
                """
                DELETE FROM deliveries WHERE seq IN (SELECT seq FROM deliveries WHERE updated_at < ?
                    AND state IN ('delivered', 'discarded') ORDER BY seq LIMIT ?)
                """, [time, limit])
            deleted += try await session.execute(
                """
                DELETE FROM notifications WHERE seq IN (SELECT n.seq FROM notifications n WHERE n.created_at < ?
                    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.notification_seq = n.seq AND d.state <> 'in_flight')
                    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.state = 'in_flight' AND d.notification_seq = n.seq)
                    ORDER BY n.seq LIMIT ?)
                """, [time, limit])
            return deleted
        }
    }
}
