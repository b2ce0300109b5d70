import Logging
import PostgresNIO
import Synchronization

/// Named prepared statements for the statements the relay runs again and again (the due read, the lease, the batch
/// of completions, ingest): PostgresNIO prepares a named statement once per connection and from then on only binds
/// and executes it, where an unnamed statement is parsed, analysed and rewritten at every call.
///
/// PostgreSQL may keep a generic plan for them (planned once, not at every run); the store's connection settings
/// make that plan an index plan however the tables grow (`PostgresSchema.sessionSettings`, `PostgresPlanTests`).
///
/// A statement text gets a slot the second time it runs with no NULL among its values (its parameter types are
/// then all known from the values, and stay so: a NULL later carries no type). Slots are never reused, so a
/// connection's prepared statement of a slot always has that slot's text; past `capacity` texts run unnamed, as
/// does SQL built at run time that never repeats, and a multi-row `VALUES` list (each length is a text of its
/// own, and a plan of one length is no use for another), and schema changes (`isQuery`).
final class PGStatementCache: Sendable {
    static let shared = PGStatementCache()

    /// Texts that may be prepared: `PGSlotDigit`s squared.
    static var capacity: Int { PGSlotDigits.all.count * PGSlotDigits.all.count }

    private struct State {
        var slots: [String: Int] = [:]
        var texts: [String] = []
        var seen: [String: Int] = [:]
    }

    private let state = Mutex(State())

    /// The slot of `sql`, assigning one on its second run without NULLs; nil: run it unnamed.
    func slot(for sql: String, hasNull: Bool) -> Int? {
        state.withLock { state in
            if let slot = state.slots[sql] { return slot }
            guard !hasNull, state.texts.count < Self.capacity, !sql.contains("), ($"), Self.isQuery(sql) else { return nil }
            let runs = state.seen[sql, default: 0] + 1
            guard runs >= 2 else {
                // Bounded: SQL built at run time (lists of varying length) would otherwise pile up here.
                if state.seen.count >= 4096 { state.seen.removeAll(keepingCapacity: true) }
                state.seen[sql] = runs
                return nil
            }
            state.seen[sql] = nil
            state.texts.append(sql)
            state.slots[sql] = state.texts.count - 1
            return state.texts.count - 1
        }
    }

    /// Queries and data changes only: schema changes (migrations, `CREATE SCHEMA`) run once per store opened, and
    /// a process that opens many stores (the tests) would otherwise fill the slots with them.
    static func isQuery(_ sql: String) -> Bool {
        ["SELECT", "WITH", "INSERT", "UPDATE", "DELETE"].contains { sql.hasPrefix($0) }
    }

    /// Every text that has a slot, in slot order.
    var preparedTexts: [String] { state.withLock { $0.texts } }

    /// The text of a slot (fixed once assigned).
    func text(of slot: Int) -> String {
        state.withLock { $0.texts[slot] }
    }

    /// Runs `query` as the named statement of `slot` on `connection`.
    static func run(slot: Int, _ query: PostgresQuery, on connection: PostgresConnection, logger: Logger)
        async throws -> [PostgresRow]
    {
        let digits = PGSlotDigits.all
        return try await digits[slot / digits.count].run(low: digits[slot % digits.count], query.binds,
                                                         on: connection, logger: logger)
    }
}
