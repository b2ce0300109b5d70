/// Reads eShipz webhooks (docs/AGGREGATORS.md §4.2): the flat tracking event (`tracking_status`, `tracking_sub_status`, …) and
/// the Tracking-API object (`tag`, `subtag`, `checkpoints[]`), as a single object, a bare array, or
/// `{data|trackings: [...]}`.
enum EshipzParser {
    static func parse(_ value: JSONValue) throws(CallbackParseError) -> ParsedCallback {
        let list: [JSONValue]
        if let array = value.array {
            list = array
        } else if let inner = value["data"] ?? value["trackings"], inner.array != nil || inner.object != nil {
            list = inner.array ?? [inner]
        } else if value.object != nil {
            list = [value]
        } else {
            throw .unrecognisedShape("an eShipz webhook is a JSON object or array")
        }
        guard !list.isEmpty else { throw .unrecognisedShape("the tracking list is empty") }
        var events: [CourierEvent] = []
        for (position, item) in list.enumerated() {
            guard item.object != nil else { throw .unrecognisedShape("item \(position) is not an object") }
            guard let awb = item["tracking_number"]?.text ?? item["awb"]?.text else {
                throw .unrecognisedShape("tracking_number is missing")
            }
            let tag = item["tracking_status"]?.text ?? item["tag"]?.text
            let subtag = item["tracking_sub_status"]?.text ?? item["subtag"]?.text
            let shipmentStatus = item["shipment_status"]?.text
            guard tag != nil || shipmentStatus != nil else {
                throw .unrecognisedShape("tracking_status (or tag) is missing")
            }
            let checkpoint = item["checkpoints"]?.array?.first
            let timeText = item["tracking_checkpoint_datetime"]?.text ?? checkpoint?["date"]?.text
                ?? item["delivery_date"]?.text
            let location = checkpoint.map { point in
                [point["city"]?.text, point["state"]?.text].compactMap { $0 }.joined(separator: ", ")
            }.flatMap { $0.isEmpty ? nil : $0 } ?? item["location"]?.text
            let key = DedupKey.make(["eshipz", awb, tag, subtag, timeText, shipmentStatus])
            // A reverse indicator, when the webhook carries one (eShipz marks reverse shipments at creation).
            let isReverse = (item["is_reverse"] ?? item["is_return"] ?? item["reverse"])?.boolean ?? false
            let mapping = EshipzMapping.lookup(tag: tag, subtag: subtag, shipmentStatus: shipmentStatus,
                                               isReverse: isReverse)
            events.append(CourierEvent(
                aggregator: .eshipz, awb: awb, orderId: item["order_id"]?.text,
                courierName: item["carrier"]?.text ?? item["slug"]?.text,
                statusCode: [tag ?? "-", subtag].compactMap { $0 }.joined(separator: "/"),
                statusText: item["tracking_msg"]?.text ?? checkpoint?["remark"]?.text,
                courierStatus: tag, remark: item["tracking_msg"]?.text ?? checkpoint?["remark"]?.text,
                location: location,
                ndrReason: mapping == .mapped(.init(.failedDelivery, isReverse ? .customerReturn : .forward))
                    ? (item["tracking_msg"]?.text ?? checkpoint?["remark"]?.text) : nil,
                eventTime: timeText.flatMap(TimestampParser().parse), eventTimeText: timeText, mapping: mapping,
                returnOrderId: isReverse ? item["order_id"]?.text : nil, dedupKey: key
            ))
        }
        return ParsedCallback(events: events, dedupKey: DedupKey.make(["eshipz"] + events.map(\.dedupKey)))
    }
}
