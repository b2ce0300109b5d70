import RelayCore
import RelayStore

/// The delivery loop's in-memory bookkeeping: what is in flight, per-endpoint counts, which shipment chains are
/// busy or wait behind a failing delivery, and disabled endpoints. Decides which due deliveries may leave now.
///
/// A claimed delivery goes through two phases: its request (from the claim until the endpoint answers or the
/// attempt fails) and the commit of its outcome. An endpoint's cap counts requests (`endpointInFlight`): a slot is
/// free again as soon as the answer is in, so the endpoint is not kept waiting while the store commits. The chain
/// stays busy until the outcome is committed (the next delivery of a shipment never leaves before this one's state
/// is stored), and an endpoint's claimed deliveries whose outcome is not yet committed (`endpointClaimed`) are capped
/// at twice its cap, so a slow store cannot make the answered-but-uncommitted pile grow without bound.
struct DeliveryBook: Sendable {
    var inFlight: Set<Int64> = []
    /// Claimed deliveries whose request has not ended yet.
    var sending: Set<Int64> = []
    var busyChains: Set<String> = []
    /// A chain whose earliest undelivered delivery failed: later ones of the chain wait for it.
    var blockedChains: [String: (eventTime: EventTime, seq: Int64)] = [:]
    /// Requests in flight per endpoint (the cap applies to these).
    var endpointInFlight: [String: Int] = [:]
    /// Claimed and not yet finished per endpoint: requests in flight and answered attempts being committed.
    var endpointClaimed: [String: Int] = [:]
    /// Slots reserved per endpoint for new deliveries that a normalisation commit may lease (`FreshLeases`).
    var reserved: [String: Int] = [:]
    var disabledEndpoints: Set<String> = []
    /// Bumped when this process disables an endpoint (410) and when that disable is committed, so a slower refresh
    /// from the store cannot undo it.
    var disabledGeneration = 0
    /// Endpoints this process disabled (410) whose disable is not committed yet: a refresh that read the store
    /// before the commit keeps them disabled.
    var disablingEndpoints: Set<String> = []
    /// Chains busy here behind which a commit of this process stored a delivery it did not lease (a shared store):
    /// the commit of the busy delivery's outcome hands the chain on (`Completion.handOff`). A chain leaves when a
    /// hand-off finds nothing more; the set is bounded (`noteWaiting`).
    var waitingChains: Set<String> = []

    /// Notes `chains` that are busy here as waiting (`waitingChains`). Past 10,000 the set starts again: a chain not
    /// noted is moved on by a claim, as without hand-off.
    mutating func noteWaiting(_ chains: Set<String>) {
        if waitingChains.count > 10_000 { waitingChains.removeAll() }
        for chain in chains where busyChains.contains(chain) { waitingChains.insert(chain) }
    }

    /// Whether `delivery` may be sent now, given `cap` requests per endpoint.
    func mayClaim(_ delivery: DueDelivery, cap: Int) -> Bool {
        if inFlight.contains(delivery.seq) || busyChains.contains(delivery.chain) { return false }
        if let blocker = blockedChains[delivery.chain], blocker.seq != delivery.seq,
            (blocker.eventTime, blocker.seq) < (delivery.eventTime, delivery.seq)
        {
            return false
        }
        return freeSlots(of: delivery.endpointId, cap: cap) > 0
    }

    /// How many more deliveries of an endpoint may be claimed now: free request slots, and no more than twice the
    /// cap claimed and unfinished.
    func freeSlots(of endpoint: String, cap: Int) -> Int {
        min(cap - endpointInFlight[endpoint, default: 0], 2 * cap - endpointClaimed[endpoint, default: 0])
            - reserved[endpoint, default: 0]
    }

    /// Reserves up to `wanted` free slots of `endpoint`; returns how many.
    mutating func reserve(_ wanted: Int, of endpoint: String, cap: Int) -> Int {
        let count = min(wanted, freeSlots(of: endpoint, cap: cap))
        guard count > 0 else { return 0 }
        reserved[endpoint, default: 0] += count
        return count
    }

    /// Gives back `count` reserved slots of `endpoint`.
    mutating func unreserve(_ count: Int, of endpoint: String) {
        let left = reserved[endpoint, default: 0] - count
        reserved[endpoint] = left > 0 ? left : nil
    }

    mutating func claim(_ delivery: DueDelivery) {
        inFlight.insert(delivery.seq)
        sending.insert(delivery.seq)
        busyChains.insert(delivery.chain)
        endpointInFlight[delivery.endpointId, default: 0] += 1
        endpointClaimed[delivery.endpointId, default: 0] += 1
    }

    /// The delivery's request ended (answered, failed or timed out): its endpoint slot is free; the chain stays busy
    /// until `finish`. Calling it again, or for a delivery not claimed, changes nothing.
    mutating func answered(_ delivery: DueDelivery) {
        guard sending.remove(delivery.seq) != nil else { return }
        endpointInFlight[delivery.endpointId, default: 1] -= 1
    }

    /// Forgets a claim whose store transaction failed: the delivery was not sent, its chain is free again.
    mutating func release(_ delivery: DueDelivery) {
        guard inFlight.remove(delivery.seq) != nil else { return }
        answered(delivery)
        busyChains.remove(delivery.chain)
        endpointClaimed[delivery.endpointId, default: 1] -= 1
    }

    /// Releases a finished attempt (its outcome committed, or given up). A retried delivery blocks its chain; a
    /// delivered or dead one unblocks it.
    mutating func finish(_ delivery: DueDelivery, retrying: Bool) {
        if inFlight.remove(delivery.seq) != nil {
            answered(delivery)
            busyChains.remove(delivery.chain)
            endpointClaimed[delivery.endpointId, default: 1] -= 1
        }
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
