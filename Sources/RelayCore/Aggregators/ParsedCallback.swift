/// The result of reading one callback body: its events and its semantic key.
public struct ParsedCallback: Sendable, Hashable {
    /// The events, in the order the callback lists them.
    public var events: [CourierEvent]
    /// The callback's semantic dedup key: a replay of the same facts has the same key.
    public var dedupKey: String
    /// A probe or test ping with no shipment in it (Shiprocket's dashboard test): accepted, nothing to relay.
    public var isProbe: Bool

    public init(events: [CourierEvent], dedupKey: String, isProbe: Bool = false) {
        self.events = events
        self.dedupKey = dedupKey
        self.isProbe = isProbe
    }
}

/// Reads an aggregator's callback body. Pure: bytes in, events out.
public enum CallbackParser {
    /// Parses `body` as a callback of `aggregator`.
    /// - Parameters:
    ///   - body: the raw request body.
    ///   - contentType: the request's `Content-Type` (Shipway may send `application/x-www-form-urlencoded`).
    public static func parse(
        aggregator: Aggregator, body: [UInt8], contentType: String?
    ) throws(CallbackParseError) -> ParsedCallback {
        try parse(aggregator: aggregator, json: try readBody(aggregator: aggregator, body: body, contentType: contentType))
    }

    /// Parses a body already read by `readBody` (the routes read it once and also take Shipway's `hash` from it).
    public static func parse(aggregator: Aggregator, json value: JSONValue) throws(CallbackParseError) -> ParsedCallback {
        let parsed: ParsedCallback
        switch aggregator {
        case .clickpost: parsed = try ClickpostParser.parse(value)
        case .shiprocket: parsed = try ShiprocketParser.parse(value)
        case .shipway: parsed = try ShipwayParser.parse(value)
        case .eshipz: parsed = try EshipzParser.parse(value)
        }
        try checkIdentifiers(parsed)
        return parsed
    }

    /// The longest waybill or order id a callback may carry, in UTF-8 bytes. Real ones are a few dozen characters;
    /// the stores index them (PostgreSQL refuses an index entry over about 2,700 bytes, which would fail every
    /// normalisation batch holding the callback), so a longer one is answered 400 and quarantined.
    public static let maxIdentifierBytes = 256

    /// Refuses an event whose waybill or order ids are longer than `maxIdentifierBytes`.
    static func checkIdentifiers(_ parsed: ParsedCallback) throws(CallbackParseError) {
        for event in parsed.events {
            let identifiers: [(String, String?)] = [
                ("waybill", event.awb), ("order id", event.orderId), ("forward waybill", event.forwardAwb),
                ("forward order code", event.forwardOrderCode), ("return order id", event.returnOrderId),
                ("RTO waybill", event.rtoAwb),
            ]
            for (name, value) in identifiers where (value?.utf8.count ?? 0) > maxIdentifierBytes {
                throw .unrecognisedShape("the \(name) is longer than \(maxIdentifierBytes) bytes (limit)")
            }
        }
    }

    /// The body as JSON (form-encoded bodies become an object); what the parsers read.
    public static func readBody(
        aggregator: Aggregator, body: [UInt8], contentType: String?
    ) throws(CallbackParseError) -> JSONValue {
        let trimmed = body.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
        if trimmed.isEmpty {
            if aggregator == .shiprocket { return .object(JSONObject()) }  // dashboard test ping
            throw .emptyBody
        }
        let isForm = contentType.map(isFormContentType) ?? false
        if isForm || (aggregator == .shipway && trimmed.first != UInt8(ascii: "{") && trimmed.first != UInt8(ascii: "[")) {
            guard let form = try FormDecoder.decode(body) else {
                throw .notJSON("the body is neither JSON nor form-encoded")
            }
            return form
        }
        do {
            return try JSONValue.parse(body)
        } catch {
            throw error.exceedsLimit ? .limitExceeded(error.description) : .notJSON(error.description)
        }
    }

    private static let formContentType: [UInt8] = Array("application/x-www-form-urlencoded".utf8)

    /// Whether a Content-Type names `application/x-www-form-urlencoded` (ASCII case-insensitive, parameters allowed).
    static func isFormContentType(_ contentType: String) -> Bool {
        let wanted = formContentType
        let bytes = Array(contentType.utf8)
        guard bytes.count >= wanted.count else { return false }
        for start in 0...(bytes.count - wanted.count) {
            var matches = true
            for offset in 0..<wanted.count {
                var byte = bytes[start + offset]
                if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte += 32 }
                if byte != wanted[offset] {
                    matches = false
                    break
                }
            }
            if matches { return true }
        }
        return false
    }
}
