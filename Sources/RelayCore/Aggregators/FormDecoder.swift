/// Turns an `application/x-www-form-urlencoded` body into a JSON object. A field whose value is itself JSON
/// (`status_feed=[…]`, `payload={…}`) becomes that JSON; a single `payload`/`data`/`json` field holding an object is
/// unwrapped.
enum FormDecoder {
    /// At most this many fields in one form body; more is answered 400 (a hostile body with 30,000 keys costs no
    /// more than one with 1,001).
    static let maxFields = 1_000

    /// Decodes a form body in one linear pass. Returns `nil` when it is not a form; throws when it has more than
    /// `maxFields` fields.
    static func decode(_ body: [UInt8]) throws(CallbackParseError) -> JSONValue? {
        var members: [(key: String, value: JSONValue)] = []
        var positions: [String: Int] = [:]  // a repeated key replaces the value at its first position
        var start = 0
        var fields = 0
        while start <= body.count {
            var end = start
            while end < body.count, body[end] != UInt8(ascii: "&") { end += 1 }
            if end > start {
                fields += 1
                guard fields <= maxFields else {
                    throw .limitExceeded("the form has more than \(maxFields) fields (limit)")
                }
                var equals = start
                while equals < end, body[equals] != UInt8(ascii: "=") { equals += 1 }
                guard let key = percentDecode(body[start..<equals]), !key.isEmpty else { return nil }
                guard !key.utf8.contains(0) else { throw .notJSON("a form field name holds %00 (NUL)") }
                let value = equals < end ? (percentDecode(body[(equals + 1)..<end]) ?? "") : ""
                // No text column of PostgreSQL can hold NUL: refused here, like `\u0000` in JSON.
                guard !value.utf8.contains(0) else { throw .notJSON("form field \(key.prefix(64)) holds %00 (NUL)") }
                let first = value.utf8.first
                let decoded: JSONValue
                if first == UInt8(ascii: "{") || first == UInt8(ascii: "["), let json = try? JSONValue.parse(value) {
                    decoded = json
                } else {
                    decoded = .string(value)
                }
                if let position = positions[key] {
                    members[position].value = decoded
                } else {
                    positions[key] = members.count
                    members.append((key, decoded))
                }
            }
            start = end + 1
        }
        guard !members.isEmpty else { return nil }
        if members.count == 1, let only = members.first,
            ["payload", "data", "json", "body"].contains(only.key.lowercased()), only.value.object != nil
        {
            return only.value
        }
        return .object(JSONObject(members))
    }

    static func percentDecode(_ text: Substring) -> String? {
        percentDecode(text.utf8)
    }

    static func percentDecode(_ text: some Collection<UInt8>) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue)
                else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
