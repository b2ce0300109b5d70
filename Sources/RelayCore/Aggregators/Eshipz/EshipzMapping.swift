/// eShipz → notification type, one row per line of docs/MAPPING.md ("eShipz"). eShipz publishes no status list;
/// tags follow the AfterShip-style vocabulary seen in payloads.
///
/// Precedence: `shipment_status: "cancelled"` is CANCELLED whatever the tag says; then an RTO subtag; then the
/// tag; an `Exception` tag is decided by its subtag only (no catch-all: an empty or unknown subtag is unmapped).
public enum EshipzMapping {
    /// Tag rows (tags compared case-insensitively, without spaces, `_` or `-`).
    public static let tagRows: [(tag: String, mapping: StatusMapping)] = [
        ("pending", .init(nil, .forward)),
        ("inforeceived", .init(nil, .forward)),
        ("pickedup", .init(.pickedUp, .forward)),
        ("intransit", .init(.inTransit, .forward)),
        ("outfordelivery", .init(.outForDelivery, .forward)),
        ("delivered", .init(.delivered, .forward)),
        ("attemptfail", .init(.failedDelivery, .forward)),
        ("expired", .init(nil, .forward)),
        ("rto", .init(.rto, .rto, rule: .firstRTOOnly)),
        // `Return` is RTO unless the shipment is a customer return (then IN_TRANSIT of the return).
        ("return", .init(.rto, .rto, rule: .rtoUnlessCustomerReturn)),
        ("returntoorigin", .init(.rto, .rto, rule: .firstRTOOnly)),
        ("rtodelivered", .init(.rtoDelivered, .rto)),
    ]

    /// Subtag patterns for the `Exception` tag, checked in order (substring match on the normalised subtag). The
    /// first row whose pattern occurs wins, so explicit pickup cancellation comes before pickup failure, and
    /// cancellation before the NDR words (`CustomerCancelled` is a cancellation, not a failed delivery).
    public static let exceptionRows: [(patterns: [String], mapping: StatusMapping)] = [
        (["pickupcancel"], .init(.pickupCancelled, .forward)),
        (["pickup"], .init(.pickupError, .forward)),
        (["lost", "untrace", "missing"], .init(.lost, .forward, rule: .followsRTO)),
        (["damage", "destroy"], .init(.damaged, .forward, rule: .followsRTO)),
        (["cancel"], .init(.cancelled, .forward)),
        (["misrout"], .init(.misrouted, .forward)),
        (["delay"], .init(.deliveryDelayed, .forward)),
        (["held", "hold", "stuck"], .init(.shipmentStuck, .forward)),
        (["undeliver", "unavailable", "refus", "reject", "address", "premises", "closed", "ndr", "attempt",
          "consignee", "unreachable", "notreachable", "reschedul"],
         .init(.failedDelivery, .forward)),
    ]

    static func normalise(_ text: String?) -> String {
        (text ?? "").lowercased().filter { $0 != " " && $0 != "_" && $0 != "-" }
    }

    /// Looks up a status from its tag, subtag and `shipment_status`.
    /// - Parameter isReverse: the callback says the shipment is a reverse (customer return) shipment; forward rows
    ///   then map in the return direction and `Return` is not an RTO.
    public static func lookup(tag: String?, subtag: String?, shipmentStatus: String?, isReverse: Bool = false)
        -> MappingLookup
    {
        let lookup = forwardLookup(tag: tag, subtag: subtag, shipmentStatus: shipmentStatus)
        guard isReverse, case .mapped(let mapping) = lookup else { return lookup }
        if mapping.rule == .rtoUnlessCustomerReturn { return .mapped(.init(.inTransit, .customerReturn)) }
        // A reverse shipment has no RTO of its own.
        if mapping.direction == .rto { return .mapped(.init(nil, .customerReturn)) }
        return .mapped(.init(mapping.type == .pickedUp ? .returnPickedUp : mapping.type, .customerReturn))
    }

    static func forwardLookup(tag: String?, subtag: String?, shipmentStatus: String?) -> MappingLookup {
        if normalise(shipmentStatus) == "cancelled" { return .mapped(.init(.cancelled, .forward)) }
        let tagKey = normalise(tag)
        let subKey = normalise(subtag)
        if subKey.contains("rtodelivered") || (tagKey == "delivered" && subKey.hasPrefix("rto")) {
            return .mapped(.init(.rtoDelivered, .rto))
        }
        if subKey.hasPrefix("rto") || subKey.contains("returntoorigin") {
            return .mapped(.init(.rto, .rto, rule: .firstRTOOnly))
        }
        if tagKey == "exception" {
            guard !subKey.isEmpty,
                let row = exceptionRows.first(where: { row in row.patterns.contains { subKey.contains($0) } })
            else { return .unknownStatus }
            return .mapped(row.mapping)
        }
        if let row = tagRows.first(where: { $0.tag == tagKey }) { return .mapped(row.mapping) }
        return .unknownStatus
    }
}
