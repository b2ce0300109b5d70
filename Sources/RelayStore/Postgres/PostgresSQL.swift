import Logging
import NIOCore
import PostgresNIO

/// A value bound to a `?` placeholder of a PostgreSQL statement (the same shape as `SQLiteValue`, so the two stores
/// read alike).
enum PGValue: Sendable {
    case text(String)
    case integer(Int64)
    case blob([UInt8])
    case bool(Bool)
    case integers([Int64])
    case texts([String])
    case null

    static func text(orNull value: String?) -> PGValue { value.map(PGValue.text) ?? .null }
    static func integer(orNull value: Int64?) -> PGValue { value.map(PGValue.integer) ?? .null }
}

enum PostgresSQL {
    /// Turns SQL written with `?` placeholders into a `PostgresQuery` with `$1…$n` and its bindings.
    static func query(_ sql: String, _ values: [PGValue]) -> PostgresQuery {
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
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            case .bool(let bool): bindings.append(bool)
            case .integers(let integers): bindings.append(integers)
            case .texts(let strings): bindings.append(strings)
            case .null: bindings.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: text, binds: bindings)
    }

    /// `(?, ?, …), (?, ?, …)` for `rows` rows of `columns` values, with optional casts on the first row so the
    /// column types of a `VALUES` list are known even when a column is all NULL.
    static func valuesList(rows: Int, casts: [String]) -> String {
        let first = "(" + casts.map { $0.isEmpty ? "?" : "?::\($0)" }.joined(separator: ", ") + ")"
        let other = "(" + Array(repeating: "?", count: casts.count).joined(separator: ", ") + ")"
        return ([first] + Array(repeating: other, count: max(0, rows - 1))).joined(separator: ", ")
    }
}

/// Reads the columns of one result row by index (the accessors `SQLiteStatement` has).
struct PGRow {
    let cells: PostgresRandomAccessRow

    init(_ row: PostgresRow) { cells = row.makeRandomAccess() }

    func isNull(_ index: Int) -> Bool { cells[index].bytes == nil }

    func text(_ index: Int) -> String? {
        guard !isNull(index) else { return nil }
        return try? cells[index].decode(String.self)
    }

    func optionalInt(_ index: Int) -> Int64? {
        guard !isNull(index) else { return nil }
        if let value = try? cells[index].decode(Int64.self) { return value }
        // numeric (sum of bigint) arrives as text-convertible.
        if let string = try? cells[index].decode(String.self) { return Int64(string) }
        if let bool = try? cells[index].decode(Bool.self) { return bool ? 1 : 0 }
        return nil
    }

    func int(_ index: Int) -> Int64 { optionalInt(index) ?? 0 }

    func bool(_ index: Int) -> Bool {
        (try? cells[index].decode(Bool.self)) ?? (int(index) != 0)
    }

    func blob(_ index: Int) -> [UInt8] {
        guard let buffer = try? cells[index].decode(ByteBuffer.self) else { return [] }
        return Array(buffer.readableBytesView)
    }
}

/// One connection inside a store operation (a transaction or a single read).
struct PGConnection {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs a statement and returns its rows.
    @discardableResult
    func query(_ sql: String, _ values: [PGValue] = []) async throws -> [PGRow] {
        try await connection.query(PostgresSQL.query(sql, values), logger: logger).collect().map(PGRow.init)
    }

    /// Runs a statement and maps its rows.
    func query<T>(_ sql: String, _ values: [PGValue] = [], _ map: (PGRow) throws -> T) async throws -> [T] {
        try await query(sql, values).map(map)
    }

    /// Runs a statement ending in `RETURNING …` and counts the rows it touched.
    func count(_ sql: String, _ values: [PGValue] = []) async throws -> Int {
        try await query(sql, values).count
    }
}
