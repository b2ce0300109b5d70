public import RelayCore

/// Retention: bounded deletion of old data (docs/CONTRACT.md §8).
public protocol RetentionStore: Sendable {
    /// Deletes one bounded batch of data older than `cutoff` (docs/CONTRACT.md §8 retention): normalised callbacks and their
    /// events, attempts of deliveries that are not dead letters, finished deliveries, and notifications left without
    /// deliveries. Dead letters and their attempts stay until replayed or discarded.
    /// - Returns: rows deleted; 0 when nothing older is left.
    func cleanup(olderThan cutoff: EventTime, batch: Int) async throws -> Int
}
