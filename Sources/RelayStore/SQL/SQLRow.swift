/// One result row read by column index, the same way in both backends, so that each model is decoded from its
/// columns in one place (`StoreRows`).
public protocol SQLRow {
    func int(_ column: Int) -> Int64
    func optionalInt(_ column: Int) -> Int64?
    func text(_ column: Int) -> String?
    func blob(_ column: Int) -> [UInt8]
    /// A boolean column or expression: `BOOLEAN` on PostgreSQL, an integer (0 is false) on SQLite.
    func bool(_ column: Int) -> Bool
}

extension SQLiteStatement: SQLRow {
    public func int(_ column: Int) -> Int64 { int(Int32(column)) }
    public func optionalInt(_ column: Int) -> Int64? { optionalInt(Int32(column)) }
    public func text(_ column: Int) -> String? { text(Int32(column)) }
    public func blob(_ column: Int) -> [UInt8] { blob(Int32(column)) }
    public func bool(_ column: Int) -> Bool { int(Int32(column)) != 0 }
}

extension PGRow: SQLRow {}
