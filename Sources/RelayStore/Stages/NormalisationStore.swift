public import RelayCore

/// The normaliser's stage of the store: it answers what the pure normaliser asks for, and commits what it
/// returned. Nothing runs inside the store's transaction but the store's own statements.
///
/// The pipeline reads a `snapshot(for:)` of the keys the batch needs (looping while `Normaliser` asks for more),
/// normalises without I/O, and `commit(_:reads:)`s the results. Optimistic concurrency: a commit whose reads are no
/// longer what is stored (another instance, or another batch, wrote a shipment state or a registration since), or
/// one that carries a callback already normalised elsewhere, writes nothing and reports a conflict; the pipeline
/// reads again and normalises again.
public protocol NormalisationStore: Sendable {
    /// Reads the shipment states (each with its version) and registrations of `keys`. Every key is answered,
    /// with `.absent` / nil when nothing is stored for it. Throws when the store cannot be read: a snapshot is
    /// never partial.
    func snapshot(for keys: NormalisationKeys) async throws -> NormalisationSnapshot

    /// In one transaction: marks the callbacks normalised and writes the events, notifications, deliveries and
    /// shipment states their results produced, provided every state and registration in `reads` is still as read
    /// and every callback is still unnormalised. Otherwise it writes nothing for the whole batch and returns the
    /// conflict.
    /// - Parameters:
    ///   - results: one entry per callback, in the order they were normalised (a nil result only marks it).
    ///   - reads: the snapshot entries the results rest on (`BatchNormalisation.complete`'s `reads`).
    ///   - leases: slots a delivery engine of this process reserved for the batch's new deliveries: a store that
    ///     can (PostgreSQL) inserts a delivery that heads its chain already leased to `leases.owner`, and returns it in
    ///     `NormalisationSummary.leased` for the engine to send without a claim. nil, or a store that cannot: every
    ///     new delivery is queued pending (or held) and claimed as usual.
    func commit(_ results: [CommittedNormalisation], reads: NormalisationSnapshot, leases: FreshLeases?) async throws
        -> NormalisationCommit
}

extension NormalisationStore {
    /// Commits without leasing any new delivery.
    public func commit(_ results: [CommittedNormalisation], reads: NormalisationSnapshot) async throws
        -> NormalisationCommit
    {
        try await commit(results, reads: reads, leases: nil)
    }
}
