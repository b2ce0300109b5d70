/// A value bound to a statement, before it is a dialect's: the SQLite store binds a `bool` as 0 or 1, the
/// PostgreSQL store as a boolean. Lets the rows a write produces be built once for both stores.
enum StoreValue: Sendable, Hashable {
    case text(String)
    case integer(Int64)
    case blob([UInt8])
    case bool(Bool)
    case null

    static func text(orNull value: String?) -> StoreValue { value.map(StoreValue.text) ?? .null }
    static func integer(orNull value: Int64?) -> StoreValue { value.map(StoreValue.integer) ?? .null }
}
