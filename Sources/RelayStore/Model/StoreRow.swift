/// One result row read by column index: what the SQLite and PostgreSQL stores have in common, so that each model
/// is decoded from its columns in one place (`StoreRows`).
protocol StoreRow {
    func int(_ column: Int) -> Int64
    func optionalInt(_ column: Int) -> Int64?
    func text(_ column: Int) -> String?
    func blob(_ column: Int) -> [UInt8]
}

extension SQLiteStatement: StoreRow {
    func int(_ column: Int) -> Int64 { int(Int32(column)) }
    func optionalInt(_ column: Int) -> Int64? { optionalInt(Int32(column)) }
    func text(_ column: Int) -> String? { text(Int32(column)) }
    func blob(_ column: Int) -> [UInt8] { blob(Int32(column)) }
}

extension PGRow: StoreRow {}
