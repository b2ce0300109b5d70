import RelayCore

/// Read-only views of what was stored, written once over the SQL seam. (`deliveries` and `attempts` are still with
/// each backend's delivery queue.)
extension TraceStore where Self: SQLBackedStore {
    public func trace(client: String?, awb: String) async throws -> [TraceEntry] {
        try await seam.database.read { session in
            var trace = TraceBuilder()
            let clientBinding = client.map { [SQLValue.text($0)] } ?? []
            for row in try await session.query(EventSQL.traceSQL(client: client),
                                               [.text(awb)] + clientBinding + [.text(awb), .text(awb), .text(awb)]
                                                   + clientBinding,
                                               { TraceBuilder.EventRow($0) }) {
                trace.addEvent(row)
            }
            for notification in try await session.query(TraceBuilder.notificationsSQL(client: client),
                                                        [.text(awb), .text(awb)] + clientBinding,
                                                        { TraceBuilder.NotificationRow($0) }) {
                trace.addNotification(notification)
                for delivery in try await session.query(TraceBuilder.deliveriesSQL,
                                                        [.integer(notification.seq), .integer(notification.seq)],
                                                        { TraceBuilder.DeliveryRow($0) }) {
                    trace.addDelivery(delivery)
                    let seq = SQLValue.integer(delivery.seq)
                    for attempt in try await session.query(AttemptSQL.ofDelivery, [seq, seq],
                                                           { TraceBuilder.AttemptRow($0) }) {
                        trace.addAttempt(attempt, delivery: delivery.seq)
                    }
                }
            }
            return trace.trace
        }
    }

    public func notifications(client: String, awb: String) async throws -> [StoredNotification] {
        try await seam.database.read { session in
            try await session.query(
                """
                SELECT \(StoreRows.notificationColumns) FROM notifications
                WHERE client = ? AND \(StoreRows.notificationOfAWB()) ORDER BY seq
                """, [.text(client), .text(awb), .text(awb)]) { StoreRows.notification($0) }
        }
    }

    public func allNotifications(limit: Int) async throws -> [StoredNotification] {
        try await seam.database.read { session in
            try await session.query(
                "SELECT \(StoreRows.notificationColumns) FROM notifications ORDER BY seq LIMIT ?",
                [.integer(Int64(limit))]) { StoreRows.notification($0) }
        }
    }

    public func events(client: String, awb: String) async throws -> [StoredEvent] {
        try await seam.database.read { session in
            try await session.query(EventSQL.ofAWB,
                                    [.text(client), .text(awb), .text(client), .text(awb), .text(awb), .text(awb)]) {
                StoreRows.event($0)
            }
        }
    }

    public func counts() async throws -> StoreCounts {
        try await seam.database.read { session in
            try await session.query(
                """
                SELECT (SELECT count(*) FROM callbacks WHERE status != 'rejected'),
                    (SELECT count(*) FROM callbacks WHERE status = 'duplicate'),
                    (SELECT count(*) FROM callbacks WHERE status = 'rejected'),
                    (SELECT count(*) FROM unnormalised),
                    \(EventSQL.count),
                    (SELECT count(*) FROM notifications),
                    (SELECT count(*) FROM deliveries),
                    (SELECT count(*) FROM deliveries WHERE state = 'pending')
                """
            ) { row in
                StoreCounts(callbacks: Int(row.int(0)), duplicates: Int(row.int(1)), quarantined: Int(row.int(2)),
                            unnormalised: Int(row.int(3)), events: Int(row.int(4)),
                            notifications: Int(row.int(5)), deliveries: Int(row.int(6)),
                            pendingDeliveries: Int(row.int(7)))
            }[0]
        }
    }

    public func deliveries(notificationId: String?, limit: Int) async throws -> [StoredDelivery] {
        let filter = notificationId == nil ? "" : "WHERE notification_id = ?"
        let binds: [SQLValue] = (notificationId.map { [SQLValue.text($0)] } ?? []) + [.integer(Int64(limit))]
        return try await seam.database.read { session in
            try await session.query(
                """
                SELECT seq, notification_id, endpoint, state, attempts, failure_class, next_attempt_at FROM deliveries
                \(filter) ORDER BY seq LIMIT ?
                """, binds) { StoreRows.delivery($0) }
        }
    }

    public func attempts(delivery seq: Int64) async throws -> [StoredAttempt] {
        try await seam.database.read { session in
            try await session.query(AttemptSQL.ofDelivery, [.integer(seq), .integer(seq)]) { StoreRows.attempt($0) }
        }
    }
}
