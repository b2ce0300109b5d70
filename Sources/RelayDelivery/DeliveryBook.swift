import RelayCore
import RelayStore

/// The delivery loop's in-memory bookkeeping: what is in flight, per-endpoint counts, which shipment chains are
/// busy or wait behind a failing delivery, and disabled endpoints. Decides which due deliveries may leave now.
struct DeliveryBook: Sendable {
    var inFlight: Set<Int64> = []
    var busyChains: Set<String> = []
    /// A chain whose earliest undelivered delivery failed: later ones of the chain wait for it.
    var blockedChains: [String: (eventTime: EventTime, seq: Int64)] = [:]
    var endpointInFlight: [String: Int] = [:]
    var disabledEndpoints: Set<String> = []
    /// Bumped when this process disables an endpoint (410), so a slower refresh from the store cannot undo it.
    var disabledGeneration = 0

    /// Whether `delivery` may be sent now, given `cap` requests per endpoint.
    func mayClaim(_ delivery: DueDelivery, cap: Int) -> Bool {
        if inFlight.contains(delivery.seq) || busyChains.contains(delivery.chain) { return false }
        if let blocker = blockedChains[delivery.chain], blocker.seq != delivery.seq,
            (blocker.eventTime, blocker.seq) < (delivery.eventTime, delivery.seq)
        {
            return false
        }
        return endpointInFlight[delivery.endpointId, default: 0] < cap
    }

    mutating func claim(_ delivery: DueDelivery) {
        inFlight.insert(delivery.seq)
        busyChains.insert(delivery.chain)
        endpointInFlight[delivery.endpointId, default: 0] += 1
    }

    /// Forgets a claim whose store transaction failed: the delivery was not sent, its chain is free again.
    mutating func release(_ delivery: DueDelivery) {
        guard inFlight.remove(delivery.seq) != nil else { return }
        busyChains.remove(delivery.chain)
        endpointInFlight[delivery.endpointId, default: 1] -= 1
    }

    /// Releases a finished attempt. A retried delivery blocks its chain; a delivered or dead one unblocks it.
    mutating func finish(_ delivery: DueDelivery, retrying: Bool) {
        inFlight.remove(delivery.seq)
        busyChains.remove(delivery.chain)
        endpointInFlight[delivery.endpointId, default: 1] -= 1
        if retrying {
            block(delivery)
        } else if blockedChains[delivery.chain]?.seq == delivery.seq {
            blockedChains[delivery.chain] = nil
        }
    }

    mutating func block(_ delivery: DueDelivery) {
        if let current = blockedChains[delivery.chain],
            (current.eventTime, current.seq) <= (delivery.eventTime, delivery.seq)
        {
            return
        }
        blockedChains[delivery.chain] = (delivery.eventTime, delivery.seq)
    }
}
