public import RelayCore

/// Leases a normalisation commit may take on the deliveries it creates: at most `slots[endpoint]` per endpoint,
/// owned by `owner` until `until` (docs/ARCHITECTURE.md, "Fresh deliveries leased by their commit").
///
/// A delivery engine reserves these slots in its book before the commit, so the deliveries leased this way never
/// exceed an endpoint's cap; what the commit does not use is given back.
public struct FreshLeases: Sendable, Hashable {
    public var owner: String
    public var until: EventTime
    public var slots: [String: Int]

    public init(owner: String, until: EventTime, slots: [String: Int]) {
        self.owner = owner
        self.until = until
        self.slots = slots
    }
}
