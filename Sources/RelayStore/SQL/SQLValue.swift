/// A value bound to a `?` placeholder of a statement, in either backend.
///
/// Arrays (`integers`, `texts`) are bound as PostgreSQL arrays and, on SQLite, as JSON text; write the condition
/// that uses one with `SQLDialect.anyOf(_:)`. `bool` is `BOOLEAN` on PostgreSQL and 0/1 on SQLite.
public enum SQLValue: Sendable {
    case null
    case integer(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
    case bool(Bool)
    case integers([Int64])
    case texts([String])
    /// PostgreSQL only (bound in batches by the PostgreSQL store's own statements).
    case bools([Bool])
    /// PostgreSQL only, as `bytea[]`.
    case blobs([[UInt8]])

    public static func text(orNull value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
    public static func integer(orNull value: Int64?) -> SQLValue { value.map(SQLValue.integer) ?? .null }
}

/// The name the SQLite code uses for `SQLValue` (kept while the delivery and normalisation files are rewritten).
public typealias SQLiteValue = SQLValue

/// The name the PostgreSQL code uses for `SQLValue` (kept while the delivery and normalisation files are rewritten).
typealias PGValue = SQLValue
