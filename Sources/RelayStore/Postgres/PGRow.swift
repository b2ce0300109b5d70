import NIOCore
import PostgresNIO

/// Reads the columns of one result row by index (the accessors `SQLiteStatement` has).
struct PGRow {
    let cells: PostgresRandomAccessRow

    init(_ row: PostgresRow) { cells = row.makeRandomAccess() }

    func isNull(_ index: Int) -> Bool { cells[index].bytes == nil }

    func text(_ index: Int) -> String? {
        guard !isNull(index) else { return nil }
        return try? cells[index].decode(String.self)
    }

    func optionalInt(_ index: Int) -> Int64? {
        guard !isNull(index) else { return nil }
        if let value = try? cells[index].decode(Int64.self) { return value }
        // numeric (sum of bigint) arrives as text-convertible.
        if let string = try? cells[index].decode(String.self) { return Int64(string) }
        if let bool = try? cells[index].decode(Bool.self) { return bool ? 1 : 0 }
        return nil
    }

    func int(_ index: Int) -> Int64 { optionalInt(index) ?? 0 }

    func bool(_ index: Int) -> Bool {
        (try? cells[index].decode(Bool.self)) ?? (int(index) != 0)
    }

    func blob(_ index: Int) -> [UInt8] {
        guard let buffer = try? cells[index].decode(ByteBuffer.self) else { return [] }
        return Array(buffer.readableBytesView)
    }
}
