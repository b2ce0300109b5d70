/// Reads Shipway webhooks (docs/AGGREGATORS.md §3.2): the classic shape `{hash, status_feed: [...]}` with several orders per
/// callback, and the panel shape with `api_input` whose `scans` is an object keyed "0", "1", ….
enum ShipwayParser {
    static func parse(_ value: JSONValue) throws(CallbackParseError) -> ParsedCallback {
        guard value.object != nil else { throw .unrecognisedShape("a Shipway webhook is a JSON object") }
        var events: [CourierEvent] = []
        if let feedValue = value["status_feed"] {
            let feed = feedValue.array ?? (feedValue.object != nil ? [feedValue] : [])
            guard !feed.isEmpty else { throw .unrecognisedShape("status_feed is empty") }
            for (position, item) in feed.enumerated() {
                guard item.object != nil else { throw .unrecognisedShape("status_feed[\(position)] is not an object") }
                guard let status = item["current_status"]?.text else {
                    throw .unrecognisedShape("status_feed[\(position)].current_status is missing")
                }
                events.append(makeEvent(item: item, status: status, carrier: item["carrier"]?.text,
                                        scans: scanList(item["scans"])))
            }
        } else {
            let input = value["api_input"]
            guard let status = value["current_status"]?.text ?? input?["current_status"]?.text else {
                throw .unrecognisedShape("current_status (or status_feed) is missing")
            }
            // Top-level members override api_input's; built in one pass (a linear lookup per key was quadratic).
            var members = input?.object?.members ?? []
            var positions: [String: Int] = [:]
            for (position, member) in members.enumerated() { positions[member.key] = position }
            for member in value.object ?? JSONObject() where member.key != "api_input" {
                if let position = positions[member.key] {
                    members[position].value = member.value
                } else {
                    positions[member.key] = members.count
                    members.append(member)
                }
            }
            let item = JSONValue.object(JSONObject(members))
            events.append(makeEvent(item: item, status: status,
                                    carrier: value["carrier"]?.text ?? input?["carrier"]?.text,
                                    scans: scanList(input?["scans"] ?? value["scans"])))
        }
        let key = DedupKey.make(["shipway"] + events.map(\.dedupKey))
        return ParsedCallback(events: events, dedupKey: key)
    }

    /// Scans as a list, newest first, from an array or an object keyed by position.
    static func scanList(_ value: JSONValue?) -> [JSONValue] {
        if let array = value?.array { return array }
        guard let object = value?.object else { return [] }
        return object.members.sorted { (Int($0.key) ?? .max) < (Int($1.key) ?? .max) }.map(\.value)
    }

    static func makeEvent(item: JSONValue, status: String, carrier: String?, scans: [JSONValue]) -> CourierEvent {
        let code = status.uppercased().trimmingSpaces()
        let timeText = item["status_time"]?.text ?? item["scans_current_status_time"]?.text ?? scans.first?["time"]?.text
        let mapping = ShipwayMapping.lookup(code)
        let isReverse = code.hasPrefix("R") && code != "RTO" && code != "RTD"
        let awb = item["awbno"]?.text
        let orderId = item["order_id"]?.text
        let key = DedupKey.make(["shipway", orderId, awb, code, timeText])
        let latestScan = scans.first
        return CourierEvent(
            aggregator: .shipway, awb: awb, orderId: orderId, courierName: carrier, statusCode: code,
            statusText: item["current_status_desc"]?.text,
            courierStatus: item["scans_current_status"]?.text ?? latestScan?["status"]?.text,
            remark: latestScan?["status"]?.text, location: latestScan?["location"]?.text,
            ndrReason: mapping == .mapped(.init(.failedDelivery, .forward)) ? item["current_status_desc"]?.text : nil,
            eventTime: timeText.flatMap(TimestampParser().parse), eventTimeText: timeText, mapping: mapping,
            returnOrderId: isReverse ? orderId : nil, dedupKey: key
        )
    }
}
