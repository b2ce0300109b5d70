import RelayCore
import RelayStore

/// Where a page of dead letters ended: `<deadAt ms>.<seq>`, the `nextCursor` of the admin API and the `/ops` "next"
/// link. Letters are listed newest first, so the next page holds those before it.
struct DeadLetterCursor: Sendable, Equatable, CustomStringConvertible {
    var deadAt: EventTime
    var seq: Int64

    init(_ letter: DeadLetter) {
        deadAt = letter.deadAt
        seq = letter.seq
    }

    /// Parses a cursor a previous page gave; nil for anything else.
    init?(_ text: String) {
        let parts = text.split(separator: ".")
        guard parts.count == 2, let deadAt = Int64(parts[0]), let seq = Int64(parts[1]) else { return nil }
        self.deadAt = EventTime(epochMilliseconds: deadAt)
        self.seq = seq
    }

    var description: String { "\(deadAt.epochMilliseconds).\(seq)" }
}
