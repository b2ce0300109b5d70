/// Turns an `application/x-www-form-urlencoded` body into a JSON object. A field whose value is itself JSON
/// (`status_feed=[…]`, `payload={…}`) becomes that JSON; a single `payload`/`data`/`json` field holding an object is
/// unwrapped.
enum FormDecoder {
    static func decode(_ body: [UInt8]) -> JSONValue? {
        let text = String(decoding: body, as: UTF8.self)
        var object = JSONObject()
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let rawKey = parts.first, let key = percentDecode(rawKey), !key.isEmpty else { return nil }
            let value = parts.count > 1 ? (percentDecode(parts[1]) ?? "") : ""
            let first = value.utf8.first
            if first == UInt8(ascii: "{") || first == UInt8(ascii: "["), let json = try? JSONValue.parse(value) {
                object[key] = json
            } else {
                object[key] = .string(value)
            }
        }
        guard !object.isEmpty else { return nil }
        if object.members.count == 1, let only = object.members.first,
            ["payload", "data", "json", "body"].contains(only.key.lowercased()), only.value.object != nil
        {
            return only.value
        }
        return .object(object)
    }

    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
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
