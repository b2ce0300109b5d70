import Logging
import PostgresNIO

/// One digit of a slot number: a slot is a type (PostgresNIO names a prepared statement by its type), and the
/// types are made from two digits, `PGSlotStatement<High, Low>`.
protocol PGSlotDigit { static var value: Int { get } }

extension PGSlotDigit {
    /// Called on the high digit's metatype (which opens it), then on the low one's.
    static func run(low: any PGSlotDigit.Type, _ binds: PostgresBindings, on connection: PostgresConnection,
                    logger: Logger) async throws -> [PostgresRow]
    {
        try await low.run(high: Self.self, binds, on: connection, logger: logger)
    }

    static func run<High: PGSlotDigit>(high: High.Type, _ binds: PostgresBindings, on connection: PostgresConnection,
                                       logger: Logger) async throws -> [PostgresRow]
    {
        var rows: [PostgresRow] = []
        for try await row in try await connection.execute(PGSlotStatement<High, Self>(binds: binds), logger: logger) {
            rows.append(row)
        }
        return rows
    }
}
