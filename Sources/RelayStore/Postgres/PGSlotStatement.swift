import PostgresNIO

/// The named statement of slot `High.value * 8 + Low.value`, with the values of one run.
struct PGSlotStatement<High: PGSlotDigit, Low: PGSlotDigit>: PostgresPreparedStatement {
    typealias Row = PostgresRow

    static var slot: Int { High.value * PGSlotDigits.all.count + Low.value }
    static var name: String { "relay_\(slot)" }
    static var sql: String { PGStatementCache.shared.text(of: slot) }

    let binds: PostgresBindings

    func makeBindings() throws -> PostgresBindings { binds }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
