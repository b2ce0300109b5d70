public import RelayCore

/// The inbox: callbacks as they arrived, before normalisation (route → **inbox** → normaliser). Ingest and requeue
/// are group-committed by each backend's writer; quarantine and the reads go through the SQL seam.
public protocol CallbackInbox: Sendable {
    /// Commits a callback (group-committed with concurrent ones) and says whether it was a duplicate.
    /// Returns only once the row is durable.
    func ingest(_ callback: InboundCallback, dedupKey: String) async throws -> IngestOutcome

    /// Keeps the raw bytes of a rejected callback for ops; returns its id.
    func quarantine(_ callback: InboundCallback, error: String, detail: String) async throws -> String

    /// Accepted callbacks not yet normalised, oldest first, after `afterSeq`; only those received before
    /// `receivedBefore` when it is given.
    func unnormalisedCallbacks(afterSeq: Int64, receivedBefore: EventTime?, limit: Int) async throws
        -> [StoredCallback]

    /// Quarantined callbacks, newest first: only `client`'s when given, and only those stored before the one with
    /// seq `before` when given (the last of the previous page).
    func quarantined(client: String?, before: Int64?, limit: Int) async throws -> [QuarantinedCallback]

    /// A quarantined (rejected or unmapped) callback by id, with whether it was rejected.
    func quarantinedCallback(id: String) async throws -> (callback: StoredCallback, rejected: Bool)?

    /// Accepts a quarantined callback again after a parser or mapping fix: a rejected one becomes accepted (or a
    /// duplicate), and either is queued for normalisation. Returns the outcome.
    func requeue(quarantined callback: StoredCallback, rejected: Bool, dedupKey: String) async throws -> IngestOutcome
}

extension CallbackInbox {
    /// Every accepted callback not yet normalised, oldest first, after `afterSeq`.
    public func unnormalisedCallbacks(afterSeq: Int64, limit: Int) async throws -> [StoredCallback] {
        try await unnormalisedCallbacks(afterSeq: afterSeq, receivedBefore: nil, limit: limit)
    }
}
