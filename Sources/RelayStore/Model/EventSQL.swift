/// Reads of courier events, written once for both stores. An event lives in one of two places (migration 13): the
/// event that produced a stored notification is kept in that notification's row (`event_*` columns), every other
/// event (history, unmapped, stale, duplicate, …) is an `events` row. Each read is the union of both halves; a
/// notification stored before migration 13 has no event columns (its event is an `events` row) and is left out.
enum EventSQL {
    /// An AWB's events with their callbacks, for a trace: bind awb[, client], then awb, awb, awb[, client].
    /// Columns: callback id, received at, aggregator, callback status, status code, outcome, notification type,
    /// courier time, event seq (NULL in a notification), notification id (NULL in an `events` row), then the
    /// order: callback seq and the event's place in its callback (-1 for events stored before migration 13, which
    /// then keep their seq order).
    static func traceSQL(client: String?) -> String { client == nil ? traceOfAll : traceOfClient }

    private static let traceOfAll = trace(eventClient: "", notificationClient: "")
    private static let traceOfClient = trace(eventClient: " AND e.client = ?", notificationClient: " AND n.client = ?")

    private static func trace(eventClient: String, notificationClient: String) -> String {
        """
        SELECT c.id, c.received_at, c.aggregator, c.status, e.status_code, e.outcome, e.notification_type,
            e.event_time, e.seq AS eseq, NULL AS nid, e.callback_seq AS cseq, coalesce(e.position, -1) AS pos
        FROM events e JOIN callbacks c ON c.seq = e.callback_seq WHERE e.awb = ?\(eventClient)
        UNION ALL
        SELECT c.id, c.received_at, c.aggregator, c.status, n.event_status_code, n.event_outcome, n.type,
            n.event_time_sent, NULL, n.id, n.callback_seq, n.event_position
        FROM notifications n JOIN callbacks c ON c.seq = n.callback_seq
        WHERE \(StoreRows.notificationOfAWB("n")) AND n.awb = ? AND n.event_outcome IS NOT NULL\(notificationClient)
        ORDER BY cseq, pos, eseq
        """
    }

    /// A client's events of an AWB (`StoreRows.event`'s columns): bind client, awb, then client, awb, awb, awb.
    static let ofAWB = """
        SELECT callback_seq, awb, status_code, role, outcome, notification_type, notification_id,
            callback_seq AS cseq, coalesce(position, -1) AS pos, seq AS eseq
        FROM events WHERE client = ? AND awb = ?
        UNION ALL
        SELECT callback_seq, awb, event_status_code, event_role, event_outcome, type, id, callback_seq,
            event_position, NULL
        FROM notifications
        WHERE client = ? AND \(StoreRows.notificationOfAWB()) AND awb = ? AND event_outcome IS NOT NULL
        ORDER BY cseq, pos, eseq
        """

    /// How many events are stored, in both halves.
    static let count = """
        (SELECT count(*) FROM events) + (SELECT count(*) FROM notifications WHERE event_outcome IS NOT NULL)
        """
}
