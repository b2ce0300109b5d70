import RelayCore

/// Assembles a shipment trace (`RelayStore.trace`) from the rows of its three queries. Both stores run the queries
/// below, bind `awb` (and `client` when given) in the order of the `?`s, and feed every row here.
struct TraceBuilder {
    private var entries: [TraceEntry] = []

    /// Callbacks and the events parsed from them: bind awb[, client].
    static func eventsSQL(client: String?) -> String { client == nil ? eventsOfAll : eventsOfClient }

    private static let eventsOfAll = events(clientFilter: "")
    private static let eventsOfClient = events(clientFilter: " AND e.client = ?")

    private static func events(clientFilter: String) -> String {
        """
        SELECT c.id, c.received_at, c.aggregator, c.status, e.status_code, e.outcome, e.notification_type,
            e.event_time, e.seq
        FROM events e JOIN callbacks c ON c.seq = e.callback_seq WHERE e.awb = ?\(clientFilter)
        ORDER BY e.seq
        """
    }

    /// Notifications with their deliveries: bind awb, awb[, client].
    static func notificationsSQL(client: String?) -> String {
        client == nil ? notificationsOfAll : notificationsOfClient
    }

    private static let notificationsOfAll = notifications(clientFilter: "")
    private static let notificationsOfClient = notifications(clientFilter: " AND n.client = ?")

    private static func notifications(clientFilter: String) -> String {
        """
        SELECT n.id, n.created_at, n.type, n.direction, d.seq, d.endpoint, d.state, d.updated_at, d.failure_class
        FROM notifications n LEFT JOIN deliveries d ON d.notification_seq = n.seq
        WHERE (n.awb = ? OR n.shipment = ?)\(clientFilter) ORDER BY n.seq, d.seq
        """
    }

    /// The attempts of one delivery: bind the delivery seq.
    static let attemptsSQL = """
        SELECT number, started_at, duration_ms, status_code, failure_class, trigger FROM attempts
        WHERE delivery_seq = ? ORDER BY number
        """

    /// A row of `eventsSQL`.
    mutating func addEvent(_ row: some StoreRow) {
        let callbackId = row.text(0) ?? ""
        if !entries.contains(where: { $0.kind == "callback" && $0.id == callbackId }) {
            entries.append(TraceEntry(at: EventTime(epochMilliseconds: row.int(1)), kind: "callback",
                                      id: callbackId, detail: "\(row.text(2) ?? "") callback (\(row.text(3) ?? ""))"))
        }
        let eventTime = row.optionalInt(7).map { EventTime(epochMilliseconds: $0).iso8601 } ?? "?"
        entries.append(TraceEntry(at: EventTime(epochMilliseconds: row.int(1)), kind: "event", id: "evt_\(row.int(8))",
                                  detail: "status \(row.text(4) ?? "") at \(eventTime) → \(row.text(5) ?? "")"
                                      + (row.text(6).map { " \($0)" } ?? "")))
    }

    /// A row of `notificationsSQL`; returns the seq of its delivery, whose attempts come next, if it has one.
    mutating func addNotification(_ row: some StoreRow) -> Int64? {
        let id = row.text(0) ?? ""
        if !entries.contains(where: { $0.kind == "notification" && $0.id == id }) {
            entries.append(TraceEntry(at: EventTime(epochMilliseconds: row.int(1)), kind: "notification", id: id,
                                      detail: "\(row.text(2) ?? "") (\(row.text(3) ?? ""))"))
        }
        guard let seq = row.optionalInt(4) else { return nil }
        entries.append(TraceEntry(at: EventTime(epochMilliseconds: row.int(7)), kind: "delivery", id: "dlv_\(seq)",
                                  detail: "\(row.text(5) ?? "") \(row.text(6) ?? "")"
                                      + (row.text(8).map { " (\($0))" } ?? "")
                                      + (row.text(6) == AwaitingOrder.state
                                          ? " (no order code: held until the AWB is registered)" : "")))
        return seq
    }

    /// A row of `attemptsSQL` for the delivery `seq`.
    mutating func addAttempt(_ row: some StoreRow, delivery seq: Int64) {
        entries.append(TraceEntry(
            at: EventTime(epochMilliseconds: row.int(1)), kind: "attempt", id: "dlv_\(seq)#\(row.int(0))",
            detail: "\(row.optionalInt(3).map { "HTTP \($0)" } ?? (row.text(4) ?? "failed")) in \(row.int(2)) ms"
                + (row.text(5) == "manual" ? " (manual)" : "")))
    }

    /// Everything added, in time order.
    var trace: [TraceEntry] { entries.sorted { ($0.at, $0.kind) < ($1.at, $1.kind) } }
}
