/// What a mapping-table row says about one aggregator status.
public struct StatusMapping: Sendable, Hashable {
    /// Extra rules a row can carry.
    public enum Rule: String, Sendable, Hashable {
        /// Relay as mapped.
        case plain
        /// RTO once (docs/MAPPING.md "RTO once"): the first RTO-family status of a shipment, whichever it is, is
        /// relayed as `RTO`; later RTO-family statuses (and a repeated `RTO`) are progress, not relayed.
        case firstRTOOnly
        /// `LOST`/`DAMAGED`: forward, or RTO when the shipment is already going back to origin.
        case followsRTO
        /// eShipz tag `Return`: `RTO` (first-RTO-only) unless the shipment is a customer return (registry or a
        /// reverse indicator), then `IN_TRANSIT` of the return.
        case rtoUnlessCustomerReturn
    }

    /// The notification type, or `nil` for a "—" row (stored as history, no notification).
    public var type: NotificationType?
    /// The direction the row implies.
    public var direction: Direction
    /// The row's rule.
    public var rule: Rule

    public init(_ type: NotificationType?, _ direction: Direction, rule: Rule = .plain) {
        self.type = type
        self.direction = direction
        self.rule = rule
    }
}

/// How a status was found in a mapping table.
public enum MappingLookup: Sendable, Hashable {
    /// A row exists (its type may still be `nil`, a "—" row).
    case mapped(StatusMapping)
    /// No row: an unknown status. Stored, counted, not relayed.
    case unknownStatus
}
