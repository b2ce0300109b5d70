/// Reads Clickpost webhooks: All-Status and Selected-Status tracking webhooks and return (RVP) webhooks, with or
/// without the `{"payload": {...}, "internal": {...}}` wrapper (docs/AGGREGATORS.md §1).
///
/// `additional.latest_status` is the newest status Clickpost knows: it drives the notification; the outer scan is
/// kept as history when it is a different status.
enum ClickpostParser {
    /// Return-request webhooks (codes 101/102) time-stamp in UTC without a zone (docs/AGGREGATORS.md §1.7).
    static let returnRequestCodes: Set<Int64> = [101, 102]

    static func parse(_ value: JSONValue) throws(CallbackParseError) -> ParsedCallback {
        var body = value
        if let payload = value["payload"], payload.object != nil, value["clickpost_status_code"] == nil {
            body = payload
        }
        guard body.object != nil else {
            throw .unrecognisedShape("a Clickpost webhook is a JSON object")
        }
        let additional = body["additional"] ?? .object(JSONObject())
        let latest = additional["latest_status"].flatMap { $0.object != nil ? $0 : nil }
        let outerCode = body["clickpost_status_code"]?.integer.map { Int($0) }
        guard outerCode != nil || latest?["clickpost_status_code"]?.integer != nil else {
            throw .unrecognisedShape("clickpost_status_code is missing")
        }
        let isReversePickup = additional["is_rvp"]?.boolean ?? false
        let event = (additional["notification_event_id"]?.integer ?? body["notification_event"]?.integer).map { Int($0) }
        let awb = body["waybill"]?.text
        let orderId = additional["order_id"]?.text ?? latest?["reference_number"]?.text
        let courierName = body["account_code"]?.text ?? additional["account_code"]?.text
            ?? (body["cp_id"]?.integer).flatMap(ClickpostCouriers.name(cpId:))
        let items = additional["item_info"]?.array.map { list in
            list.compactMap { item -> NotificationItem? in
                guard let sku = item["sku"]?.text else { return nil }
                return NotificationItem(itemId: item["item_id"]?.text, sku: sku,
                                        quantity: Int(item["quantity"]?.integer ?? 1))
            }
        }
        let forwardOrderCode = additional["forward_reference_number"]?.text ?? additional["forward_order_id"]?.text
        let returnOrderId = isReversePickup
            ? (additional["return_reference_number"]?.text ?? additional["order_id"]?.text) : nil
        let ndrReason = additional["ndr_status_description"]?.text

        func makeEvent(from scan: JSONValue, role: CourierEvent.Role, eventId: Int?) -> CourierEvent {
            let code = scan["clickpost_status_code"]?.integer.map { Int($0) }
            let timeText = scan["timestamp"]?.text
            let parser = TimestampParser(
                defaultOffsetSeconds: code.map { returnRequestCodes.contains(Int64($0)) } == true
                    ? 0 : TimestampParser.istOffsetSeconds
            )
            let key = DedupKey.make([
                "clickpost", awb ?? orderId, code.map(String.init), timeText, scan["status"]?.text,
                scan["location"]?.text,
            ])
            return CourierEvent(
                aggregator: .clickpost, role: role, awb: awb, orderId: orderId, courierName: courierName,
                statusCode: code.map(String.init) ?? (eventId.map { "event \($0)" } ?? "?"),
                statusText: scan["clickpost_status_description"]?.text, courierStatus: scan["status"]?.text,
                remark: scan["remark"]?.text, location: scan["location"]?.text,
                ndrReason: code == 9 || code == 7 ? ndrReason : nil,
                eventTime: timeText.flatMap(parser.parse), eventTimeText: timeText,
                mapping: ClickpostMapping.lookup(code: code, event: eventId, isReversePickup: isReversePickup),
                forwardAwb: additional["forward_awb"]?.text, forwardOrderCode: forwardOrderCode,
                returnOrderId: returnOrderId, rtoAwb: body["rto_awb"]?.text, items: items, dedupKey: key
            )
        }

        let outer = outerCode != nil ? makeEvent(from: body, role: .driving, eventId: event) : nil
        var events: [CourierEvent] = []
        if let latest, let outer, latest["clickpost_status_code"]?.integer.map({ Int($0) }) != outerCode {
            // A newer status than the scan that triggered this webhook: the scan is history, latest drives.
            var history = outer
            history.role = .history
            events.append(history)
            events.append(makeEvent(from: latest, role: .driving, eventId: nil))
        } else if let outer {
            events.append(outer)
        } else if let latest {
            events.append(makeEvent(from: latest, role: .driving, eventId: event))
        }
        let callbackKey = outer?.dedupKey ?? events.last?.dedupKey ?? DedupKey.make(["clickpost"])
        return ParsedCallback(events: events, dedupKey: callbackKey)
    }
}
