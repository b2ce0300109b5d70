@testable import RelayStore
import Testing

/// Which statement texts run as named prepared statements (`PGStatementCache`): pure bookkeeping, no database.
@Suite("PostgreSQL statement cache")
struct PGStatementCacheTests {
    @Test("a text gets a slot on its second run without NULLs, keeps it, and no two texts share one")
    func slots() {
        let cache = PGStatementCache()
        #expect(cache.slot(for: "SELECT 1 WHERE x = $1", hasNull: false) == nil)  // first run: unnamed
        let slot = cache.slot(for: "SELECT 1 WHERE x = $1", hasNull: false)
        #expect(slot == 0)
        #expect(cache.slot(for: "SELECT 1 WHERE x = $1", hasNull: true) == 0)  // once prepared, NULLs are fine
        #expect(cache.text(of: 0) == "SELECT 1 WHERE x = $1")
        _ = cache.slot(for: "SELECT 2 WHERE y = $1", hasNull: false)
        #expect(cache.slot(for: "SELECT 2 WHERE y = $1", hasNull: false) == 1)
    }

    @Test("a run with a NULL does not count: the parameter types must come from values")
    func nullsDoNotCount() {
        let cache = PGStatementCache()
        for _ in 0..<5 { #expect(cache.slot(for: "UPDATE t SET a = $1", hasNull: true) == nil) }
        #expect(cache.slot(for: "UPDATE t SET a = $1", hasNull: false) == nil)
        #expect(cache.slot(for: "UPDATE t SET a = $1", hasNull: false) == 0)
    }

    @Test("multi-row VALUES lists and schema changes stay unnamed, and past the capacity every new text does")
    func boundaries() {
        let cache = PGStatementCache()
        for _ in 0..<3 { #expect(cache.slot(for: "INSERT INTO t VALUES ($1, $2), ($3, $4)", hasNull: false) == nil) }
        // Schema changes run once per store opened: never prepared, however often a process opens stores.
        for _ in 0..<3 { #expect(cache.slot(for: "CREATE INDEX t_a ON t(a)", hasNull: false) == nil) }
        for index in 0..<PGStatementCache.capacity {
            _ = cache.slot(for: "SELECT \(index)", hasNull: false)
            #expect(cache.slot(for: "SELECT \(index)", hasNull: false) == index)
        }
        _ = cache.slot(for: "SELECT 'one too many'", hasNull: false)
        #expect(cache.slot(for: "SELECT 'one too many'", hasNull: false) == nil)
        #expect(PGSlotStatement<PGSlotDigits.D7, PGSlotDigits.D7>.slot == PGStatementCache.capacity - 1)
    }
}
