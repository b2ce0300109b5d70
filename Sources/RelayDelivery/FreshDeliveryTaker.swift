public import RelayStore

/// Takes the new deliveries a normalisation commit leased for it: the delivery engine of the same process.
///
/// Before a commit the loop asks it to `reserve` endpoint slots for the batch's deliveries; the store leases at most
/// that many (a delivery that heads its chain, on a store that can), and the loop hands over what was leased, or
/// nothing when the commit conflicted or failed, with `take`, which gives back what was not used. A delivery leased
/// this way is sent without a claim: one statement and one row version fewer per delivery on PostgreSQL
/// (docs/ARCHITECTURE.md).
public protocol FreshDeliveryTaker: Sendable {
    /// Reserves up to `wanted[endpoint]` slots per endpoint; nil when none (nothing is leased by the commit).
    func reserve(_ wanted: [String: Int]) -> FreshLeases?
    /// Settles `leases`: the slots of `leased` become claims of deliveries to send now, the rest are free again.
    func take(_ leases: FreshLeases, leased: [DueDelivery])
    /// Notes chains (`DueDelivery.chain`) of new deliveries a commit stored without leasing them: one of them may
    /// wait behind a delivery of its chain in flight here (`NormalisationSummary.queuedChains`).
    func waiting(chains: Set<String>)
}

extension FreshDeliveryTaker {
    public func waiting(chains: Set<String>) {}
}
