/// Which way a shipment event travels, which decides `returnOrderInfo` (docs/CONTRACT.md §4.1).
public enum Direction: String, Sendable, Hashable, Codable {
    /// A forward shipment to the customer: `returnOrderInfo` is null.
    case forward
    /// A customer return or reverse pickup: `returnOrderInfo` is an object.
    case customerReturn = "return"
    /// A forward shipment going back to origin (the RTO family): `returnOrderInfo` is an object.
    case rto

    /// Whether a notification in this direction carries `returnOrderInfo`.
    public var isReturn: Bool { self != .forward }

    /// The physical leg whose timeline this event belongs to: RTO events continue the forward AWB's timeline.
    public var leg: ShipmentLeg { self == .customerReturn ? .reverse : .forward }
}

/// The timeline an event is ordered in for stale suppression: the forward AWB (including its RTO) or a reverse
/// (customer return) shipment.
public enum ShipmentLeg: String, Sendable, Hashable, Codable {
    case forward
    case reverse
}
