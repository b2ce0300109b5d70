/// Columns with NULLs bound as PostgreSQL arrays: PostgresNIO encodes arrays of non-optional values only, so a
/// missing integer is bound as `noInteger` (read back with `nullif(x, noInteger)`), and a missing text as "" beside
/// a boolean array saying which are present (read back with `CASE WHEN has THEN x END`).
enum PGArrays {
    /// The integer that stands for NULL: -1, never a time, count, seq or status code (and, unlike `Int64.min`,
    /// a `bigint` literal in SQL).
    static let noInteger: Int64 = -1

    static func integers(_ values: [Int64?]) -> SQLValue {
        .integers(values.map { $0 ?? noInteger })
    }

    /// Two values: the texts ("" for NULL), then which are present.
    static func texts(_ values: [String?]) -> [SQLValue] {
        [.texts(values.map { $0 ?? "" }), .bools(values.map { $0 != nil })]
    }
}

/// Rows bound as one array per column and read back with `unnest`, so a statement's text is the same for any number
/// of rows (it runs prepared, `PGStatementCache`) where a `VALUES` list is a new text, parsed and planned, for each
/// length. Every column carries a mask of which values are present, so any of them may be NULL.
struct PGUnnest {
    /// The PostgreSQL type of each column: `bigint`, `text`, `boolean` or `bytea`.
    let types: [String]

    /// `SELECT CASE WHEN p0 THEN c0 END AS name0, … FROM unnest(?::type[], ?::boolean[], …) AS u (c0, p0, …)`,
    /// two placeholders per column.
    func select(_ names: [String]) -> String {
        precondition(names.count == types.count)
        let columns = names.indices.map { "CASE WHEN p\($0) THEN c\($0) END AS \(names[$0])" }
        let arrays = types.map { "?::\($0)[], ?::boolean[]" }
        let aliases = types.indices.map { "c\($0), p\($0)" }
        return "SELECT \(columns.joined(separator: ", ")) FROM unnest(\(arrays.joined(separator: ", ")))"
            + " AS u (\(aliases.joined(separator: ", ")))"
    }

    /// The values of `select`'s placeholders for `rows` (each with one value per column, in order).
    func values(_ rows: [[SQLValue]]) -> [SQLValue] {
        var binds: [SQLValue] = []
        binds.reserveCapacity(types.count * 2)
        for (column, type) in types.enumerated() {
            let present = rows.map { row -> Bool in if case .null = row[column] { false } else { true } }
            let array: SQLValue
            switch type {
            case "bigint":
                array = .integers(rows.map { if case .integer(let value) = $0[column] { value } else { 0 } })
            case "boolean":
                array = .bools(rows.map { if case .bool(let value) = $0[column] { value } else { false } })
            case "bytea":
                array = .blobs(rows.map { if case .blob(let value) = $0[column] { value } else { [] } })
            default:
                array = .texts(rows.map { if case .text(let value) = $0[column] { value } else { "" } })
            }
            binds += [array, .bools(present)]
        }
        return binds
    }
}
