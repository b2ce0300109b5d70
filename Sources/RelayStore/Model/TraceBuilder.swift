import RelayCore

/// Assembles a shipment trace (`TraceStore.trace`) from the rows of its three queries: bind `awb` (and `client` when
/// given) in the order of the `?`s, and feed every row here.
struct TraceBuilder {
    private var entries: [TraceEntry] = []

    /// The AWB's notifications: bind awb, awb[, client] (`StoreRows.notificationOfAWB`).
    static func notificationsSQL(client: String?) -> String {
        client == nil ? notificationsOfAll : notificationsOfClient
    }

    private static let notificationsOfAll = notifications(clientFilter: "")
    private static let notificationsOfClient = notifications(clientFilter: " AND n.client = ?")

    private static func notifications(clientFilter: String) -> String {
        """
        SELECT n.seq, n.id, n.created_at, n.type, n.direction FROM notifications n
        WHERE \(StoreRows.notificationOfAWB("n"))\(clientFilter) ORDER BY n.seq
        """
    }

    /// The deliveries of one notification: bind its seq twice. In two halves because PostgreSQL's
    /// `deliveries_notification` leaves out deliveries in flight (migration 9: a lease adds no entry to it); those
    /// few are found by the lease index's condition.
    static let deliveriesSQL = """
        SELECT seq, endpoint, state, updated_at, failure_class FROM deliveries
        WHERE notification_seq = ? AND state <> 'in_flight'
        UNION ALL
        SELECT seq, endpoint, state, updated_at, failure_class FROM deliveries
        WHERE state = 'in_flight' AND notification_seq = ?
        ORDER BY seq
        """

    /// A row of `EventSQL.traceSQL`.
    struct EventRow: Sendable {
        var callbackId: String, receivedAt: Int64, aggregator: String, status: String, statusCode: String
        var outcome: String, notificationType: String?, eventTime: Int64?
        /// `evt_<seq>` for an `events` row, `evt_<notification id>` for the event kept in its notification's row.
        var id: String

        init(_ row: some SQLRow) {
            callbackId = row.text(0) ?? ""
            receivedAt = row.int(1)
            aggregator = row.text(2) ?? ""
            status = row.text(3) ?? ""
            statusCode = row.text(4) ?? ""
            outcome = row.text(5) ?? ""
            notificationType = row.text(6)
            eventTime = row.optionalInt(7)
            id = row.optionalInt(8).map { "evt_\($0)" } ?? "evt_\(row.text(9) ?? "")"
        }
    }

    /// A row of `notificationsSQL`.
    struct NotificationRow: Sendable {
        var seq: Int64, id: String, createdAt: Int64, type: String, direction: String

        init(_ row: some SQLRow) {
            seq = row.int(0)
            id = row.text(1) ?? ""
            createdAt = row.int(2)
            type = row.text(3) ?? ""
            direction = row.text(4) ?? ""
        }
    }

    /// A row of `deliveriesSQL`.
    struct DeliveryRow: Sendable {
        var seq: Int64, endpoint: String, state: String?, updatedAt: Int64, failureClass: String?

        init(_ row: some SQLRow) {
            seq = row.int(0)
            endpoint = row.text(1) ?? ""
            state = row.text(2)
            updatedAt = row.int(3)
            failureClass = row.text(4)
        }
    }

    /// A row of `AttemptSQL.ofDelivery`, for a trace.
    struct AttemptRow: Sendable {
        var number: Int64, startedAt: Int64, durationMilliseconds: Int64, statusCode: Int64?, failureClass: String?
        var trigger: String?

        init(_ row: some SQLRow) {
            number = row.int(1)
            startedAt = row.int(2)
            durationMilliseconds = row.int(3)
            statusCode = row.optionalInt(4)
            failureClass = row.text(5)
            trigger = row.text(7)
        }
    }

    mutating func addEvent(_ row: EventRow) {
        if !entries.contains(where: { $0.kind == "callback" && $0.id == row.callbackId }) {
            entries.append(TraceEntry(at: EventTime(epochMilliseconds: row.receivedAt), kind: "callback",
                                      id: row.callbackId, detail: "\(row.aggregator) callback (\(row.status))"))
        }
        let eventTime = row.eventTime.map { EventTime(epochMilliseconds: $0).iso8601 } ?? "?"
        entries.append(TraceEntry(at: EventTime(epochMilliseconds: row.receivedAt), kind: "event", id: row.id,
                                  detail: "status \(row.statusCode) at \(eventTime) → \(row.outcome)"
                                      + (row.notificationType.map { " \($0)" } ?? "")))
    }

    /// Adds a notification row.
    mutating func addNotification(_ row: NotificationRow) {
        if !entries.contains(where: { $0.kind == "notification" && $0.id == row.id }) {
            entries.append(TraceEntry(at: EventTime(epochMilliseconds: row.createdAt), kind: "notification", id: row.id,
                                      detail: "\(row.type) (\(row.direction))"))
        }
    }

    /// Adds a delivery row; its attempts come next.
    mutating func addDelivery(_ row: DeliveryRow) {
        entries.append(TraceEntry(at: EventTime(epochMilliseconds: row.updatedAt), kind: "delivery", id: "dlv_\(row.seq)",
                                  detail: "\(row.endpoint) \(row.state ?? "")"
                                      + (row.failureClass.map { " (\($0))" } ?? "")
                                      + (row.state == AwaitingOrder.state
                                          ? " (no order code: held until the AWB is registered)" : "")))
    }

    /// Adds an attempt row of the delivery `seq`.
    mutating func addAttempt(_ row: AttemptRow, delivery seq: Int64) {
        entries.append(TraceEntry(
            at: EventTime(epochMilliseconds: row.startedAt), kind: "attempt", id: "dlv_\(seq)#\(row.number)",
            detail: "\(row.statusCode.map { "HTTP \($0)" } ?? (row.failureClass ?? "failed")) in \(row.durationMilliseconds) ms"
                + (row.trigger == "manual" ? " (manual)" : "")))
    }

    /// Everything added, in time order.
    var trace: [TraceEntry] { entries.sorted { ($0.at, $0.kind) < ($1.at, $1.kind) } }
}
