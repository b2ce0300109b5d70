@testable import RelayStore
import Testing

@Suite("PGUnnest: rows bound as arrays")
struct PGUnnestTests {
    let rows = PGUnnest(types: ["bigint", "text?", "bytea"])

    @Test("a required column is bound alone; a nullable one with its mask and a CASE")
    func select() {
        #expect(rows.select(["seq", "note", "body"]) == "SELECT c0 AS seq, CASE WHEN p1 THEN c1 END AS note, c2 AS body"
            + " FROM unnest(?::bigint[], ?::text[], ?::boolean[], ?::bytea[]) AS u (c0, c1, p1, c2)")
    }

    @Test("values: one array per column, a mask after each nullable one")
    func values() throws {
        let binds = try rows.values([[.integer(1), .null, .blob([1])], [.integer(2), .text("x"), .blob([])]])
        #expect(binds.count == 4)
        guard case .integers(let seqs) = binds[0], case .texts(let notes) = binds[1], case .bools(let present) = binds[2],
              case .blobs(let bodies) = binds[3] else {
            Issue.record("unexpected binds \(binds)")
            return
        }
        #expect(seqs == [1, 2] && notes == ["", "x"] && present == [false, true] && bodies == [[1], []])
    }

    @Test("a NULL in a required column is an error, not a made-up value")
    func nullInRequiredColumn() {
        #expect(throws: PGUnnest.NullInRequiredColumn.self) {
            try rows.values([[.null, .text("x"), .blob([])]])
        }
    }
}
