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
