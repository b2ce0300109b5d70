public import RelayCore
public import RelayStore

/// One batch through the normalisation stage: the pipeline asks, the store answers.
///
/// It reads a snapshot of what the batch needs (asking again while the pure `Normaliser` names keys the snapshot
/// lacks), normalises without I/O, and commits. A commit that conflicts (a shipment state or registration changed
/// since the snapshot, or a callback was normalised elsewhere) wrote nothing: callbacks normalised elsewhere are
/// dropped, the rest are read and normalised again. Both loops are bounded; past the bound, and on any store
/// error, the batch fails and its callbacks stay unnormalised for the next sweep.
public struct NormalisationLoop: Sendable {
    public let store: any NormalisationStore
    /// The delivery engine of this process, when it takes new deliveries leased by their commit (`FreshLeases`).
    public var taker: (any FreshDeliveryTaker)?
    /// Snapshot reads per attempt (a batch's keys are usually known after one: the registrations decide the legs).
    public var maxReads = 8
    /// Commits per batch.
    public var maxCommits = 8

    /// A loop committing to `store`.
    public init(store: any NormalisationStore, taker: (any FreshDeliveryTaker)? = nil) {
        self.store = store
        self.taker = taker
    }

    /// Normalises a batch.
    /// - Parameters:
    ///   - batch: the callbacks (a callback repeated in it is normalised once).
    ///   - request: what the normaliser gets for a callback; nil when there is nothing to normalise (it is only
    ///     marked normalised).
    /// - Returns: what was written; `alreadyDone` counts callbacks normalised elsewhere.
    public func run(_ batch: [NormalisationInput], request: (NormalisationInput) -> NormalisationRequest?)
        async throws -> NormalisationSummary
    {
        var seen = Set<Int64>()
        var items: [(input: NormalisationInput, request: NormalisationRequest?)] = []
        var repeated = 0
        for input in batch {
            guard seen.insert(input.callback.seq).inserted else {
                repeated += 1
                continue
            }
            items.append((input, request(input)))
        }
        var snapshot = NormalisationSnapshot()
        var alreadyDone = repeated
        for _ in 0..<maxCommits {
            guard !items.isEmpty else { break }
            let (results, reads) = try await normalise(items.map(\.request), snapshot: &snapshot)
            let committed = zip(items, results).map { item, result in
                CommittedNormalisation(callback: item.input.callback, requeued: item.input.requeued, result: result)
            }
            switch try await commit(committed, reads: reads, results: results) {
            case .committed(var summary):
                summary.alreadyDone += alreadyDone
                return summary
            case .conflict(let conflict):
                items.removeAll { conflict.alreadyNormalised.contains($0.input.callback.seq) }
                alreadyDone += conflict.alreadyNormalised.count
                // Read everything again: what changed is known, but not what the others' changes lead to.
                snapshot = NormalisationSnapshot()
            }
        }
        guard items.isEmpty else { throw NormalisationError.conflictsPersisted(commits: maxCommits) }
        var summary = NormalisationSummary()
        summary.alreadyDone = alreadyDone
        return summary
    }

    /// Commits `committed`. With a `taker`, slots for the new deliveries are reserved before and settled after,
    /// whatever happens: what the commit leased is handed over, the rest given back.
    func commit(_ committed: [CommittedNormalisation], reads: NormalisationSnapshot, results: [NormalisationResult?])
        async throws -> NormalisationCommit
    {
        guard let taker else { return try await store.commit(committed, reads: reads) }
        guard let leases = taker.reserve(Self.wanted(results)) else {
            let outcome = try await store.commit(committed, reads: reads)
            if case .committed(let summary) = outcome { taker.waiting(chains: summary.queuedChains) }
            return outcome
        }
        var leased: [DueDelivery] = []
        var queued: Set<String> = []
        defer {
            taker.take(leases, leased: leased)
            // After `take`: a chain whose first delivery this commit leased is busy by now.
            taker.waiting(chains: queued)
        }
        let outcome = try await store.commit(committed, reads: reads, leases: leases)
        if case .committed(let summary) = outcome { (leased, queued) = (summary.leased, summary.queuedChains) }
        return outcome
    }

    /// The new deliveries per endpoint that a commit of `results` may lease: those of notifications not held for
    /// their order.
    static func wanted(_ results: [NormalisationResult?]) -> [String: Int] {
        var wanted: [String: Int] = [:]
        for result in results {
            for draft in result?.notifications ?? [] where !draft.awaitingOrder {
                for endpoint in draft.endpointIds { wanted[endpoint, default: 0] += 1 }
            }
        }
        return wanted
    }

    /// Snapshot → normalise until the normaliser needs nothing more.
    func normalise(_ requests: [NormalisationRequest?], snapshot: inout NormalisationSnapshot) async throws
        -> (results: [NormalisationResult?], reads: NormalisationSnapshot)
    {
        // A first read of the keys the batch will most likely need spares a normalisation that only learns them.
        if snapshot.states.isEmpty, snapshot.registrations.isEmpty {
            let keys = Normaliser().likelyKeys(of: requests)
            if !keys.isEmpty { snapshot.merge(try await store.snapshot(for: keys)) }
        }
        for _ in 0..<maxReads {
            switch Normaliser().normalise(batch: requests, snapshot: snapshot) {
            case .needs(let keys):
                snapshot.merge(try await store.snapshot(for: keys))
            case .complete(let results, let reads):
                return (results, reads)
            }
        }
        throw NormalisationError.keysKeptChanging(reads: maxReads)
    }
}

/// Why a normalisation batch failed without a store error.
public struct NormalisationError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case keysKeptChanging(Int)
        case conflictsPersisted(Int)
    }

    private let code: Code

    /// The normaliser still asked for more keys after this many snapshot reads.
    public static func keysKeptChanging(reads: Int) -> NormalisationError { .init(code: .keysKeptChanging(reads)) }
    /// Every commit conflicted.
    public static func conflictsPersisted(commits: Int) -> NormalisationError { .init(code: .conflictsPersisted(commits)) }

    /// A label-safe description.
    public var shortDescription: String {
        switch code {
        case .keysKeptChanging: "keys_kept_changing"
        case .conflictsPersisted: "conflicts_persisted"
        }
    }

    public var description: String {
        switch code {
        case .keysKeptChanging(let reads): "the normaliser still needed keys after \(reads) snapshot reads"
        case .conflictsPersisted(let commits): "\(commits) commits in a row conflicted with other writers"
        }
    }
}
