/// Rows bound as one array per column and read back with `unnest`, so a statement's text is the same for any number
/// of rows (it runs prepared, `PGStatementCache`) where a `VALUES` list is a new text, parsed and planned, for each
/// length. A column that may be NULL (its type ends in `?`) also carries a mask of which values are present: the
/// arrays are bound without NULL elements. The other columns are bound alone, with no mask and no `CASE`: fewer
/// arrays to decode per statement and fewer expressions for PostgreSQL to set up at every run of a generic plan.
struct PGUnnest {
    /// The PostgreSQL type of each column: `bigint`, `text`, `boolean` or `bytea` (without the `?`).
    private let baseTypes: [String]
    /// Whether each column may be NULL (its type was given with `?`).
    private let nullable: [Bool]

    /// - Parameter types: each column's type, `bigint`, `text`, `boolean` or `bytea`, with `?` when it may be NULL.
    init(types: [String]) {
        nullable = types.map { $0.hasSuffix("?") }
        baseTypes = types.map { $0.hasSuffix("?") ? String($0.dropLast()) : $0 }
    }

    /// A NULL in a column not declared nullable: a programming error, reported instead of binding a made-up value.
    struct NullInRequiredColumn: Error, CustomStringConvertible {
        var column: Int
        var description: String { "a NULL in column \(column) of an unnest batch that declares it NOT NULL" }
    }

    /// `SELECT c0 AS name0, CASE WHEN p1 THEN c1 END AS name1, … FROM unnest(?::type[], ?::type[], ?::boolean[], …)
    /// AS u (c0, c1, p1, …)`: one placeholder per column, two for a nullable one.
    func select(_ names: [String]) -> String {
        precondition(names.count == baseTypes.count)
        let columns = names.indices.map { i in
            nullable[i] ? "CASE WHEN p\(i) THEN c\(i) END AS \(names[i])" : "c\(i) AS \(names[i])"
        }
        let arrays = baseTypes.indices.map { i in
            nullable[i] ? "?::\(baseTypes[i])[], ?::boolean[]" : "?::\(baseTypes[i])[]"
        }
        let aliases = baseTypes.indices.map { i in nullable[i] ? "c\(i), p\(i)" : "c\(i)" }
        return "SELECT \(columns.joined(separator: ", ")) FROM unnest(\(arrays.joined(separator: ", ")))"
            + " AS u (\(aliases.joined(separator: ", ")))"
    }

    /// The values of `select`'s placeholders for `rows` (each with one value per column, in order).
    func values(_ rows: [[SQLValue]]) throws -> [SQLValue] {
        var binds: [SQLValue] = []
        binds.reserveCapacity(baseTypes.count * 2)
        for (column, type) in baseTypes.enumerated() {
            let present = rows.map { row -> Bool in if case .null = row[column] { false } else { true } }
            if !nullable[column], present.contains(false) { throw NullInRequiredColumn(column: column) }
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
            binds.append(array)
            if nullable[column] { binds.append(.bools(present)) }
        }
        return binds
    }
}
