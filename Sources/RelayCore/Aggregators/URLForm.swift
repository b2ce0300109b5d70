/// `application/x-www-form-urlencoded` fields, in order (for the `/ops` page's forms and query strings).
public enum URLForm {
    /// Decodes `a=1&b=two+words`; undecodable pairs are skipped.
    public static func decode(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = FormDecoder.percentDecode(parts[0]) else { return nil }
            return (name, parts.count > 1 ? FormDecoder.percentDecode(parts[1]) ?? "" : "")
        }
    }

    /// Percent-encodes a value for a query string.
    public static func encode(_ value: String) -> String {
        var output = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                output.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = Array("0123456789ABCDEF")
                output += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
            }
        }
        return output
    }
}
