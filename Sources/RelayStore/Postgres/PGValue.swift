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
