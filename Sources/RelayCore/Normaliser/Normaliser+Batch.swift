/// One callback's events, ready for the normaliser.
public struct NormalisationRequest: Sendable {
    public var events: [CourierEvent]
    public var client: Client
    /// When the relay received the callback (`notificationUpdateTime`); notification ids are made from it too.
    public var receivedAt: EventTime

    public init(events: [CourierEvent], client: Client, receivedAt: EventTime) {
        self.events = events
        self.client = client
        self.receivedAt = receivedAt
    }
}

/// What normalising a batch against a snapshot came to.
public enum BatchNormalisation: Sendable {
    /// The snapshot lacks states or registrations the batch reads: read these too and normalise again.
    case needs(NormalisationKeys)
    /// Every callback was normalised. `results[i]` belongs to the batch's `i`th request (nil where the request
    /// was nil); `reads` holds the snapshot entries the results rest on, which the commit checks are unchanged.
    case complete(results: [NormalisationResult?], reads: NormalisationSnapshot)
}

extension Normaliser {
    /// Normalises a batch of callbacks against a snapshot of the store, in order: each callback sees the shipment
    /// states the earlier ones produced. Pure: what the snapshot does not answer is returned as keys to read,
    /// never guessed, so the caller loops snapshot → normalise until the batch is complete.
    /// - Parameters:
    ///   - batch: the callbacks; nil for one that has nothing to normalise (its result is nil).
    ///   - snapshot: the states and registrations read so far.
    ///   - makeId: produces a notification id for a request (random ULIDs at its receive time by default).
    public func normalise(
        batch: [NormalisationRequest?], snapshot: NormalisationSnapshot,
        makeId: (NormalisationRequest) -> String = {
            Identifier.make(prefix: "ntf", epochMilliseconds: $0.receivedAt.epochMilliseconds)
        }
    ) -> BatchNormalisation {
        let context = SnapshotNormalisationContext(snapshot: snapshot)
        var results: [NormalisationResult?] = []
        results.reserveCapacity(batch.count)
        for request in batch {
            guard let request else {
                results.append(nil)
                continue
            }
            let result = normalise(events: request.events, client: request.client, receivedAt: request.receivedAt,
                                   context: context, makeId: { makeId(request) })
            for (key, state) in result.states { context.produced[key] = state }
            results.append(result)
        }
        // The whole batch is run even when something is missing, so one read answers every callback's keys.
        if !context.missing.isEmpty { return .needs(context.missing) }
        return .complete(results: results, reads: context.reads)
    }
}

extension Normaliser {
    /// The keys a batch will most likely read, found without normalising it: the registration of every driving
    /// event's AWB and the shipment state of the leg its mapping names. A first snapshot of these usually lets one
    /// `normalise(batch:snapshot:)` complete; what the guess misses (a registered return, a return order's time)
    /// that call asks for.
    public func likelyKeys(of batch: [NormalisationRequest?]) -> NormalisationKeys {
        var keys = NormalisationKeys()
        for case let request? in batch {
            for event in request.events where event.role == .driving {
                guard case .mapped(let mapping) = event.mapping else { continue }
                if let awb = event.awb {
                    keys.registrations.insert(ShipmentRegistrationKey(client: request.client.id, awb: awb))
                }
                let shipment = event.awb ?? (event.returnOrderId ?? event.orderId).map { "order:\($0)" } ?? "unknown"
                keys.states.insert(ShipmentKey(client: request.client.id, shipment: shipment, leg: mapping.direction.leg))
            }
        }
        return keys
    }
}

/// The normaliser's view of the past during a batch: states produced by earlier callbacks of the batch, else the
/// snapshot; what the snapshot does not answer is recorded as missing (and read as nothing for now).
final class SnapshotNormalisationContext: NormalisationContext {
    let snapshot: NormalisationSnapshot
    /// States produced by the batch so far (they first read the snapshot, so `reads` holds their versions).
    var produced: [ShipmentKey: ShipmentState] = [:]
    var missing = NormalisationKeys()
    var reads = NormalisationSnapshot()

    init(snapshot: NormalisationSnapshot) {
        self.snapshot = snapshot
    }

    func state(for key: ShipmentKey) -> ShipmentState? {
        if let state = produced[key] { return state }
        guard let entry = snapshot.states[key] else {
            missing.states.insert(key)
            return nil
        }
        reads.states[key] = entry
        return entry.state
    }

    func registration(client: String, awb: String) -> ShipmentRegistration? {
        let key = ShipmentRegistrationKey(client: client, awb: awb)
        guard let entry = snapshot.registrations[key] else {
            missing.registrations.insert(key)
            return nil
        }
        reads.registrations.updateValue(entry, forKey: key)
        return entry
    }
}
