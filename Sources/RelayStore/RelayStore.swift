public import RelayCore

/// Durable storage of callbacks, events, notifications and deliveries. Implemented by `SQLiteStore` (embedded)
/// and, for scale-out, PostgreSQL.
public protocol RelayStore: Sendable {
    /// Commits a callback (group-committed with concurrent ones) and says whether it was a duplicate.
    /// Returns only once the row is durable.
    func ingest(_ callback: InboundCallback, dedupKey: String) async throws -> IngestOutcome

    /// Keeps the raw bytes of a rejected callback for ops; returns its id.
    func quarantine(_ callback: InboundCallback, error: String, detail: String) async throws -> String

    /// Accepted callbacks not yet normalised, oldest first, after `afterSeq`.
    func unnormalisedCallbacks(afterSeq: Int64, limit: Int) async throws -> [StoredCallback]

    /// Normalises callbacks in one transaction: each callback is marked normalised together with the events,
    /// notifications, deliveries and shipment states it produced, so a crash never loses or doubles one.
    /// - Parameter normalise: the pure step, run inside the transaction with a context reading committed state.
    func normalise(
        _ batch: [NormalisationInput],
        using normalise: @escaping @Sendable (NormalisationInput, any NormalisationContext) -> NormalisationResult?
    ) async throws -> NormalisationSummary

    /// Whole-store counts.
    func counts() async throws -> StoreCounts

    /// Notifications of a client's AWB, oldest first.
    func notifications(client: String, awb: String) async throws -> [StoredNotification]

    /// All notifications, oldest first (bounded by `limit`).
    func allNotifications(limit: Int) async throws -> [StoredNotification]

    /// Events of a client's AWB, oldest first.
    func events(client: String, awb: String) async throws -> [StoredEvent]

    /// Quarantined callbacks, newest first.
    func quarantined(limit: Int) async throws -> [QuarantinedCallback]

    /// Releases connections; later calls fail.
    func close() async
}
