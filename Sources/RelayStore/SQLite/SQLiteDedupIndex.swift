import RelayCore

/// The callback dedup index, written behind.
///
/// A dedup key is random, so inserting each one into a B-tree dirties a random page: one 4 KB WAL frame per
/// callback, the largest write cost of ingest. Instead the writer keeps keys of recent callbacks in memory and
/// flushes them to `callback_keys` sorted, in bulk, where one pass touches each leaf page at most once.
///
/// Nothing is lost in a crash: the key is also in the callback row itself (`callbacks.dedup_key`), committed with
/// the callback, and on start the keys of callbacks after the last flush (`store_meta.dedup_flushed_seq`) are read
/// back into memory. Lookups check memory first, then the table; a 64-bit key match is confirmed against the full
/// key in the callback row. Used only on the writer thread.
final class SQLiteDedupIndex: @unchecked Sendable {
    private var pending: [Int64: Int64] = [:]  // key → callback seq, not yet in callback_keys
    private var lastFlushedSeq: Int64 = 0
    /// Flush once this many keys wait in memory.
    let flushThreshold: Int

    init(flushThreshold: Int = 2_048) {
        self.flushThreshold = flushThreshold
    }

    static func key(_ text: String) -> Int64 {
        // Dedup keys are 32 hex digits (128 bits of SHA-256); the first 16 make the 64-bit key.
        Int64(bitPattern: UInt64(text.prefix(16), radix: 16) ?? UInt64(truncatingIfNeeded: text.hashValue))
    }

    /// Loads the keys committed after the last flush.
    func load(_ connection: SQLiteConnection) throws {
        lastFlushedSeq = try connection.query("SELECT value FROM store_meta WHERE name = 'dedup_flushed_seq'") {
            $0.int(0)
        }.first ?? 0
        let rows = try connection.query(
            "SELECT seq, dedup_key FROM callbacks WHERE seq > ? AND status = 'accepted' AND dedup_key IS NOT NULL",
            [.integer(lastFlushedSeq)]
        ) { ($0.int(0), $0.text(1) ?? "") }
        for (seq, text) in rows { pending[Self.key(text)] = seq }
    }

    /// The seq of the accepted callback with this full dedup key, if any.
    func find(_ dedupKey: String, connection: SQLiteConnection) throws -> Int64? {
        let key = Self.key(dedupKey)
        let candidate: Int64?
        if let seq = pending[key] {
            candidate = seq
        } else {
            candidate = try connection.query("SELECT seq FROM callback_keys WHERE key = ?", [.integer(key)]) {
                $0.int(0)
            }.first
        }
        guard let candidate else { return nil }
        let stored = try connection.query("SELECT dedup_key FROM callbacks WHERE seq = ?", [.integer(candidate)]) {
            $0.text(0)
        }.first ?? nil
        return stored == dedupKey ? candidate : nil
    }

    /// Records a new accepted callback's key (in the same transaction as its row).
    func add(_ dedupKey: String, seq: Int64) {
        pending[Self.key(dedupKey)] = seq
    }

    var needsFlush: Bool { pending.count >= flushThreshold }

    /// Writes the pending keys, sorted, and remembers how far the table is complete. Runs inside a transaction.
    func flush(_ connection: SQLiteConnection) throws {
        guard !pending.isEmpty else { return }
        let sorted = pending.sorted { $0.key < $1.key }
        for (key, seq) in sorted {
            try connection.run("INSERT OR IGNORE INTO callback_keys (key, seq) VALUES (?, ?)", [.integer(key), .integer(seq)])
        }
        let maxSeq = sorted.map(\.value).max() ?? lastFlushedSeq
        try connection.run(
            "INSERT INTO store_meta (name, value) VALUES ('dedup_flushed_seq', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [.integer(maxSeq)])
        lastFlushedSeq = maxSeq
        pending.removeAll(keepingCapacity: true)
    }

    /// Forgets everything in memory and loads the committed state again (after a transaction rolled back).
    func reload(_ connection: SQLiteConnection) throws {
        pending.removeAll()
        lastFlushedSeq = 0
        try load(connection)
    }
}
