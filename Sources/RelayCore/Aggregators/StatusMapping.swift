/// What a mapping-table row says about one aggregator status.
public struct StatusMapping: Sendable, Hashable {
    /// Extra rules a row can carry.
    public enum Rule: String, Sendable, Hashable {
        /// Relay as mapped.
        case plain
        /// Only the first RTO-family status of a shipment is relayed as `RTO`; later ones are progress.
        case firstRTOOnly
        /// `LOST`/`DAMAGED`: forward, or RTO when the shipment is already going back to origin.
        case followsRTO
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
