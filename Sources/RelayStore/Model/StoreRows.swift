import RelayCore

/// Rows to models, shared by both stores: each function reads the columns of the queries that use it, in order.
enum StoreRows {
    static let deadLetterColumns = """
        d.seq, d.notification_id, d.client, d.endpoint, n.type, n.awb, d.failure_class, d.attempts, d.dead_at, n.payload,
        d.state
        """

    static func deadLetter(_ row: some StoreRow) -> DeadLetter {
        DeadLetter(id: "dlv_\(row.int(0))", seq: row.int(0), notificationId: row.text(1) ?? "", client: row.text(2) ?? "",
                   endpointId: row.text(3) ?? "", type: row.text(4) ?? "", awb: row.text(5),
                   failureClass: row.text(6), attempts: Int(row.int(7)),
                   deadAt: EventTime(epochMilliseconds: row.optionalInt(8) ?? 0), payload: row.blob(9),
                   state: row.text(10) ?? "")
    }


    static func delivery(_ row: some StoreRow) -> StoredDelivery {
        StoredDelivery(seq: row.int(0), notificationId: row.text(1) ?? "", endpointId: row.text(2) ?? "",
                       state: row.text(3) ?? "", attempts: Int(row.int(4)), failureClass: row.text(5),
                       nextAttemptAt: EventTime(epochMilliseconds: row.int(6)))
    }


    static func attempt(_ row: some StoreRow) -> StoredAttempt {
        StoredAttempt(deliverySeq: row.int(0), number: Int(row.int(1)),
                      startedAt: EventTime(epochMilliseconds: row.int(2)),
                      durationMilliseconds: row.int(3), statusCode: row.optionalInt(4).map { Int($0) },
                      failureClass: row.text(5), responseExcerpt: row.blob(6))
    }


    static func event(_ row: some StoreRow) -> StoredEvent {
        StoredEvent(callbackSeq: row.int(0), awb: row.text(1), statusCode: row.text(2) ?? "",
                    role: row.text(3) ?? "", outcome: row.text(4) ?? "", type: row.text(5),
                    notificationId: row.text(6))
    }


    static func quarantined(_ row: some StoreRow) -> QuarantinedCallback {
        QuarantinedCallback(id: row.text(0) ?? "", client: row.text(1) ?? "", aggregator: row.text(2) ?? "",
                            receivedAt: EventTime(epochMilliseconds: row.int(3)), error: row.text(4) ?? "",
                            detail: row.text(5) ?? "", body: row.blob(6))
    }
}
