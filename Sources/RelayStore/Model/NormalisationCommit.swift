public import RelayCore

/// One callback's normalisation, ready to commit.
public struct CommittedNormalisation: Sendable {
    public var callback: StoredCallback
    /// Sent again by ops from quarantine (clears the unmapped mark when it now maps).
    public var requeued: Bool
    /// What it produced; nil when there was nothing to normalise (client no longer configured, bytes no longer
    /// parse): the callback is only marked normalised.
    public var result: NormalisationResult?

    public init(callback: StoredCallback, requeued: Bool = false, result: NormalisationResult?) {
        self.callback = callback
        self.requeued = requeued
        self.result = result
    }
}

/// What a commit did.
public enum NormalisationCommit: Sendable {
    /// Everything was written.
    case committed(NormalisationSummary)
    /// Nothing was written: what the batch read changed, or some callbacks were normalised elsewhere.
    case conflict(NormalisationConflict)
}

extension NormalisationCommit {
    /// `results` written by `write` (each backend's transaction), or the conflict it threw: the one place that
    /// decides what an empty batch and a conflicting one commit.
    static func writing(_ results: [CommittedNormalisation], reads: NormalisationSnapshot,
                        _ write: (NormalisationRows) async throws -> NormalisationSummary) async throws
        -> NormalisationCommit
    {
        guard !results.isEmpty else { return .committed(NormalisationSummary()) }
        do {
            return .committed(try await write(NormalisationRows(results, reads: reads)))
        } catch let conflict as NormalisationConflictError {
            return .conflict(conflict.conflict)
        }
    }
}

/// Thrown inside a backend's transaction to undo a conflicting batch.
struct NormalisationConflictError: Error {
    var conflict: NormalisationConflict
}

/// Why a commit wrote nothing.
public struct NormalisationConflict: Sendable, Hashable {
    /// Callbacks of the batch that were already normalised (by another instance, or an earlier batch).
    public var alreadyNormalised: Set<Int64> = []
    /// Shipment states whose version is no longer the one read.
    public var changedStates: Set<ShipmentKey> = []
    /// Registrations that are no longer what was read.
    public var changedRegistrations: Set<ShipmentRegistrationKey> = []

    public init() {}

    public var isEmpty: Bool { alreadyNormalised.isEmpty && changedStates.isEmpty && changedRegistrations.isEmpty }
}
