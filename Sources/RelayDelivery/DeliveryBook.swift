import RelayCore
import RelayStore

/// The delivery loop's in-memory bookkeeping: what is in flight, per-endpoint counts, which shipment chains are
/// busy here, and disabled endpoints. Decides which due deliveries may leave now. A chain waiting behind a failed
/// delivery is the store's to know: its due reads return only chain heads (`DeliveryQueue.chainHead`), so nothing
/// here can go stale and hold a chain back that the store would release.
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
    /// Per endpoint, deliveries a commit leased to this process over the endpoint's request cap, in order, with the
    /// end of their lease (`enterLeased`, `nextLeased`). Claimed (in `inFlight`, `endpointClaimed`), not sending.
    var leasedWaiting: [String: [(delivery: DueDelivery, until: EventTime)]] = [:]
    /// Deliveries leased here by a commit (a new chain head, or handed on by its predecessor's completion) with the
    /// wake-up signal count when they entered (`DeliveryWakeup.signals`). No delivery of their chain waited behind
    /// them then, other than those noted in `waitingChains`; one stored since was announced by a signal. So when
    /// no signal came while one was in flight, its finished attempt frees nothing a claim could take and nudges no
    /// claim (a shared store; a claimed delivery always nudges: its chain may have had a successor before it).
    var quietEntries: [Int64: Int] = [:]
    /// Endpoints the last claim left out because they had no free slot: what was due for them was not read, so a
    /// slot of theirs that frees wakes the loop at once. Another endpoint's full spells (a commit's batch filling
    /// its requests) start no claim when they end: nothing due was left behind.
    var fullAtClaim: Set<String> = []

    /// Notes `chains` that are busy here as waiting (`waitingChains`). Past 10,000 the set starts again: a chain not
    /// noted is moved on by a claim, as without hand-off.
    mutating func noteWaiting(_ chains: Set<String>) {
        if waitingChains.count > 10_000 { waitingChains.removeAll() }
        for chain in chains where busyChains.contains(chain) { waitingChains.insert(chain) }
    }

    /// Whether `delivery` may be sent now, given `cap` requests per endpoint.
    func mayClaim(_ delivery: DueDelivery, cap: Int) -> Bool {
        if inFlight.contains(delivery.seq) || busyChains.contains(delivery.chain) { return false }
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

    /// Reserves up to `wanted` slots of `endpoint` for new deliveries a normalisation commit may lease to this
    /// process: up to four times the cap claimed and unfinished, beyond the free request slots. A batch larger than
    /// the free request slots is leased whole; what is over the cap waits here, leased (`leasedWaiting`), and goes
    /// as the endpoint's requests end, before anything claimed later.
    mutating func reserveFresh(_ wanted: Int, of endpoint: String, cap: Int) -> Int {
        let room = 4 * cap - endpointClaimed[endpoint, default: 0] - reserved[endpoint, default: 0]
        let count = min(wanted, room)
        guard count > 0 else { return 0 }
        reserved[endpoint, default: 0] += count
        return count
    }

    /// Enters deliveries a commit leased to this process, in order: while the endpoint has a free request slot and
    /// none waits before them they are claimed to be sent now (returned); the others wait, leased until `until`.
    /// - Parameter signals: the wake-up signals so far (`quietEntries`).
    mutating func enterLeased(_ leased: [DueDelivery], until: EventTime, signals: Int, cap: (String) -> Int)
        -> [DueDelivery]
    {
        var now: [DueDelivery] = []
        for delivery in leased {
            let endpoint = delivery.endpointId
            quietEntries[delivery.seq] = signals
            if leasedWaiting[endpoint, default: []].isEmpty, endpointInFlight[endpoint, default: 0] < cap(endpoint) {
                claim(delivery)
                now.append(delivery)
            } else {
                hold(delivery)
                leasedWaiting[endpoint, default: []].append((delivery, until))
            }
        }
        return now
    }

    /// The next delivery waiting leased for `endpoint`, now a request in flight, if one waits and a request slot
    /// is free. One whose lease ends before `latest` (when an attempt started now could still be running) is not
    /// sent but forgotten (`expired`): another process may take it over when its lease ends, and sends it then.
    mutating func nextLeased(of endpoint: String, cap: Int, latest: EventTime)
        -> (next: DueDelivery?, expired: [DueDelivery])
    {
        var expired: [DueDelivery] = []
        while endpointInFlight[endpoint, default: 0] < cap, var waiting = leasedWaiting[endpoint], !waiting.isEmpty {
            let (delivery, until) = waiting.removeFirst()
            leasedWaiting[endpoint] = waiting.isEmpty ? nil : waiting
            if until < latest {
                release(delivery)
                expired.append(delivery)
                continue
            }
            send(delivery)
            return (delivery, expired)
        }
        return (nil, expired)
    }

    /// Forgets what waits leased for endpoints not to be sent to now (disabled, or no longer configured): not sent
    /// here, they are taken over when their leases end, like those of a stopped process. Returns how many.
    mutating func dropLeasedWaiting(unless sendable: (String) -> Bool) -> Int {
        var dropped = 0
        for (endpoint, waiting) in leasedWaiting where !sendable(endpoint) {
            leasedWaiting[endpoint] = nil
            for (delivery, _) in waiting { release(delivery) }
            dropped += waiting.count
        }
        return dropped
    }

    /// Gives back `count` reserved slots of `endpoint`.
    mutating func unreserve(_ count: Int, of endpoint: String) {
        let left = reserved[endpoint, default: 0] - count
        reserved[endpoint] = left > 0 ? left : nil
    }

    /// Enters `delivery` as claimed and sends it: `hold`, then `send`.
    mutating func claim(_ delivery: DueDelivery) {
        hold(delivery)
        send(delivery)
    }

    /// Enters `delivery` as claimed, not sent yet: its chain is busy and it counts against the endpoint's claimed.
    mutating func hold(_ delivery: DueDelivery) {
        inFlight.insert(delivery.seq)
        busyChains.insert(delivery.chain)
        endpointClaimed[delivery.endpointId, default: 0] += 1
    }

    /// A held delivery's request starts: it takes one of the endpoint's request slots.
    mutating func send(_ delivery: DueDelivery) {
        sending.insert(delivery.seq)
        endpointInFlight[delivery.endpointId, default: 0] += 1
    }

    /// The delivery's request ended (answered, failed or timed out): its endpoint slot is free; the chain stays busy
    /// until `finish`. Calling it again, or for a delivery not claimed, changes nothing.
    mutating func answered(_ delivery: DueDelivery) {
        guard sending.remove(delivery.seq) != nil else { return }
        endpointInFlight[delivery.endpointId, default: 1] -= 1
    }

    /// Forgets a claim whose store transaction failed: the delivery was not sent, its chain is free again.
    mutating func release(_ delivery: DueDelivery) {
        quietEntries[delivery.seq] = nil
        guard inFlight.remove(delivery.seq) != nil else { return }
        answered(delivery)
        busyChains.remove(delivery.chain)
        endpointClaimed[delivery.endpointId, default: 1] -= 1
    }

    /// Releases a finished attempt (its outcome committed, or given up). A retried delivery stays pending in the
    /// store, where it holds its chain back until it is delivered or dead.
    mutating func finish(_ delivery: DueDelivery) {
        quietEntries[delivery.seq] = nil
        if inFlight.remove(delivery.seq) != nil {
            answered(delivery)
            busyChains.remove(delivery.chain)
            endpointClaimed[delivery.endpointId, default: 1] -= 1
        }
    }
}
