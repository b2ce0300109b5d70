/// Where a page of the quarantine ended: `q<seq>`, the `nextCursor` of the admin API and the `/ops` "Older" link.
/// Quarantined callbacks are listed newest first, so the next page holds those stored before it.
struct QuarantineCursor: Sendable, Equatable, CustomStringConvertible {
    var seq: Int64

    init(seq: Int64) { self.seq = seq }

    /// Parses a cursor a previous page gave; nil for anything else.
    init?(_ text: String) {
        guard text.hasPrefix("q"), text.count <= 21, let seq = Int64(text.dropFirst()), seq > 0 else { return nil }
        self.seq = seq
    }

    var description: String { "q\(seq)" }
}
