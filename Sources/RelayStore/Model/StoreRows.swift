import RelayCore

/// Rows to models, shared by both stores: each function reads the columns of the queries that use it, in order.
enum StoreRows {
    static let callbackColumns = "c.seq, c.id, c.client, c.aggregator, c.received_at, c.content_type, c.body"

    static func callback(_ row: some SQLRow) -> StoredCallback {
        StoredCallback(seq: row.int(0), id: row.text(1) ?? "", client: row.text(2) ?? "",
                       aggregator: Aggregator(rawValue: row.text(3) ?? "") ?? .clickpost,
                       receivedAt: EventTime(epochMilliseconds: row.int(4)), contentType: row.text(5),
                       body: row.blob(6))
    }

    static let notificationColumns = "id, client, awb, type, direction, callback_seq, payload"

    /// A callback in quarantine by its id (bind the id): `callbackColumns`, then its status. The condition is that of
    /// PostgreSQL's `callbacks_quarantined_id` (migration 10), the only index on callback ids.
    static let quarantinedByIdSQL = """
        SELECT \(callbackColumns), c.status FROM callbacks c
        WHERE c.id = ? AND (c.status = 'rejected' OR c.error = 'unmapped')
        """

    /// A notification of an AWB (bind the AWB twice): the shipment's own, or a return leg's whose own AWB it is. The
    /// same rows as `awb = ? OR shipment = ?`, written so that PostgreSQL's `notifications_awb`, which holds only the
    /// AWBs that differ from their shipment (migration 7), serves the second half.
    static func notificationOfAWB(_ alias: String? = nil) -> String {
        let prefix = alias.map { "\($0)." } ?? ""
        return "(\(prefix)shipment = ? OR (\(prefix)awb = ? AND \(prefix)awb <> \(prefix)shipment))"
    }

    static func notification(_ row: some SQLRow) -> StoredNotification {
        StoredNotification(id: row.text(0) ?? "", client: row.text(1) ?? "", awb: row.text(2), type: row.text(3) ?? "",
                           direction: row.text(4) ?? "", callbackSeq: row.optionalInt(5), payload: row.blob(6))
    }

    /// A claim candidate: seq, notification_id, client, endpoint, ordering_key, event_time, next_attempt_at,
    /// attempts, trigger (`DeliveryQueue.dueColumns`; no payload yet), read from column `i` on.
    static func candidate(_ row: some SQLRow, from i: Int = 0) -> DueDelivery {
        DueDelivery(seq: row.int(i), notificationId: row.text(i + 1) ?? "", client: row.text(i + 2) ?? "",
                    endpointId: row.text(i + 3) ?? "", orderingKey: row.text(i + 4) ?? "",
                    eventTime: EventTime(epochMilliseconds: row.int(i + 5)),
                    nextAttemptAt: EventTime(epochMilliseconds: row.int(i + 6)), attempts: Int(row.int(i + 7)),
                    payload: [], trigger: row.text(i + 8) ?? "scheduled")
    }

    static let deadLetterColumns = """
        d.seq, d.notification_id, d.client, d.endpoint, n.type, n.awb, d.failure_class, d.attempts, d.dead_at, n.payload,
        d.state
        """

    static func deadLetter(_ row: some SQLRow) -> DeadLetter {
        DeadLetter(id: "dlv_\(row.int(0))", seq: row.int(0), notificationId: row.text(1) ?? "", client: row.text(2) ?? "",
                   endpointId: row.text(3) ?? "", type: row.text(4) ?? "", awb: row.text(5),
                   failureClass: row.text(6), attempts: Int(row.int(7)),
                   deadAt: EventTime(epochMilliseconds: row.optionalInt(8) ?? 0), payload: row.blob(9),
                   state: row.text(10) ?? "")
    }

    static func delivery(_ row: some SQLRow) -> StoredDelivery {
        StoredDelivery(seq: row.int(0), notificationId: row.text(1) ?? "", endpointId: row.text(2) ?? "",
                       state: row.text(3) ?? "", attempts: Int(row.int(4)), failureClass: row.text(5),
                       nextAttemptAt: EventTime(epochMilliseconds: row.int(6)))
    }

    static func attempt(_ row: some SQLRow) -> StoredAttempt {
        StoredAttempt(deliverySeq: row.int(0), number: Int(row.int(1)),
                      startedAt: EventTime(epochMilliseconds: row.int(2)),
                      durationMilliseconds: row.int(3), statusCode: row.optionalInt(4).map { Int($0) },
                      failureClass: row.text(5), responseExcerpt: row.blob(6))
    }

    static func event(_ row: some SQLRow) -> StoredEvent {
        StoredEvent(callbackSeq: row.int(0), awb: row.text(1), statusCode: row.text(2) ?? "",
                    role: row.text(3) ?? "", outcome: row.text(4) ?? "", type: row.text(5),
                    notificationId: row.text(6))
    }

    static func quarantined(_ row: some SQLRow) -> QuarantinedCallback {
        QuarantinedCallback(seq: row.int(8), id: row.text(0) ?? "", client: row.text(1) ?? "", aggregator: row.text(2) ?? "",
                            receivedAt: EventTime(epochMilliseconds: row.int(3)), error: row.text(4) ?? "",
                            detail: row.text(5) ?? "", body: row.blob(6), bodyBytes: Int(row.int(7)))
    }
}
