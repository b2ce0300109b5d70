public import RelayCore

/// Dead letters for ops: list, inspect, replay, discard, and recover an endpoint's letters.
public protocol DeadLetterStore: Sendable {
    /// Dead letters, newest first, filtered.
    func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter]

    /// One dead letter (or any delivery) by seq.
    func deadLetter(seq: Int64) async throws -> DeadLetter?

    /// Sends a dead letter again now, with `webhook-attempt-trigger: manual`; false when it is not dead.
    func replay(deadLetter seq: Int64, now: EventTime) async throws -> Bool

    /// Discards a dead letter; false when it is not dead.
    func discard(deadLetter seq: Int64, now: EventTime) async throws -> Bool

    /// Replays an endpoint's dead letters that died at or after `since`; returns how many.
    func recover(endpoint id: String, since: EventTime, now: EventTime) async throws -> Int
}
