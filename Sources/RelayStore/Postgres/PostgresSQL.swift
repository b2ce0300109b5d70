import NIOCore
import PostgresNIO

enum PostgresSQL {
    /// Turns SQL written with `?` placeholders into a `PostgresQuery` with `$1…$n` and its bindings.
    static func query(_ sql: String, _ values: [SQLValue]) -> PostgresQuery {
        var text = ""
        text.reserveCapacity(sql.utf8.count + values.count * 3)
        var index = 0
        for character in sql {
            if character == "?" {
                index += 1
                text += "$\(index)"
            } else {
                text.append(character)
            }
        }
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
