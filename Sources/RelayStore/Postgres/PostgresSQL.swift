import NIOCore
import PostgresNIO

enum PostgresSQL {
    /// Turns SQL written with `?` placeholders into a `PostgresQuery` with `$1…$n` and its bindings.
    static func query(_ sql: String, _ values: [SQLValue]) -> PostgresQuery {
        // Byte by byte: `?` is ASCII and never part of a multi-byte UTF-8 sequence, and walking a statement of a few
        // KB by `Character` (grapheme breaking) at every run cost more than the rest of building the query.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(sql.utf8.count + values.count * 3)
        var index = 0
        for byte in sql.utf8 {
            if byte == UInt8(ascii: "?") {
                index += 1
                bytes.append(UInt8(ascii: "$"))
                bytes.append(contentsOf: String(index).utf8)
            } else {
                bytes.append(byte)
            }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        precondition(index == values.count, "statement has \(index) placeholders but \(values.count) values: \(sql)")
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .text(let string): bindings.append(string)
            case .integer(let integer): bindings.append(integer)
            case .double(let double): bindings.append(double)
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            case .bool(let bool): bindings.append(bool)
            case .integers(let integers): bindings.append(integers)
            case .texts(let strings): bindings.append(strings)
            case .bools(let flags): bindings.append(flags)
            case .blobs(let blobs): bindings.append(blobs.map { ByteBuffer(bytes: $0) })
            case .null: bindings.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: text, binds: bindings)
    }
}
