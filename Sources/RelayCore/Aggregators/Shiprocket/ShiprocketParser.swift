/// Reads Shiprocket tracking webhooks. Ids may arrive as numbers or numeric strings; an empty body (or `{}`, or a
/// `test` flag) is the dashboard's test ping, answered 200 with nothing to relay.
///
/// Order-level callbacks (statuses before an AWB exists: INVOICED, PAYMENT_FAILED, UNFULFILLABLE, …) carry an
/// `order_id` and a status but no (or an empty) `awb`: they are events of the order, keyed `order:<order_id>` until
/// an AWB appears (docs/MAPPING.md "Order-level callbacks").
enum ShiprocketParser {
    static func parse(_ value: JSONValue) throws(CallbackParseError) -> ParsedCallback {
        guard let object = value.object else {
            throw .unrecognisedShape("a Shiprocket webhook is a JSON object")
        }
        let awb = value["awb"]?.text ?? value["awb_code"]?.text
        let currentId = value["current_status_id"]?.integer
        let shipmentId = value["shipment_status_id"]?.integer
        if awb == nil, currentId == nil, shipmentId == nil {
            // The dashboard's save-time test POST: empty, `{}` or a `test` flag.
            if object.isEmpty || value["test"] != nil || object.members.count <= 2 {
                return ParsedCallback(events: [], dedupKey: DedupKey.make(["shiprocket", "probe"]), isProbe: true)
            }
            throw .unrecognisedShape("awb and current_status_id are missing")
        }
        let orderId = value["order_id"]?.text
        guard awb != nil || orderId != nil else { throw .unrecognisedShape("awb and order_id are missing") }
        guard currentId != nil || shipmentId != nil else {
            throw .unrecognisedShape("current_status_id and shipment_status_id are missing")
        }
        let isReturn = value["is_return"]?.boolean ?? false
        let timeText = value["current_timestamp"]?.text
        var eventTime = timeText.flatMap(TimestampParser().parse)
        let scans = value["scans"]?.array ?? []
        let lastScan = scans.max { left, right in
            (left["date"]?.text ?? "") < (right["date"]?.text ?? "")
        }
        if eventTime == nil, let date = lastScan?["date"]?.text { eventTime = TimestampParser().parse(date) }
        let key = DedupKey.make([
            "shiprocket", awb ?? orderId.map { "order:\($0)" }, shipmentId.map(String.init),
            currentId.map(String.init), timeText,
        ])
        let statusCode = [currentId.map(String.init) ?? "-", shipmentId.map(String.init) ?? "-"].joined(separator: "/")
        let event = CourierEvent(
            aggregator: .shiprocket, awb: awb, orderId: orderId,
            courierName: value["courier_name"]?.text, statusCode: statusCode,
            statusText: value["current_status"]?.text ?? value["shipment_status"]?.text,
            courierStatus: lastScan?["status"]?.text, remark: lastScan?["activity"]?.text,
            location: lastScan?["location"]?.text,
            ndrReason: currentId == 36 ? lastScan?["activity"]?.text : nil,
            eventTime: eventTime, eventTimeText: timeText,
            mapping: ShiprocketMapping.lookup(currentStatusId: currentId.map { Int($0) },
                                              shipmentStatusId: shipmentId.map { Int($0) }, isReturn: isReturn),
            returnOrderId: isReturn ? orderId : nil, dedupKey: key
        )
        return ParsedCallback(events: [event], dedupKey: key)
    }
}
