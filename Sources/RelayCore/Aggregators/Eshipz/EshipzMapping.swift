/// eShipz → notification type, as research `aggregators.md` §6.4 (low-confidence input).
///
/// Precedence (SPEC §4.1): `shipment_status: "cancelled"` is CANCELLED whatever the tag says; otherwise the tag,
/// then the subtag.
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
        ("return", .init(.rto, .rto, rule: .firstRTOOnly)),
        ("returntoorigin", .init(.rto, .rto, rule: .firstRTOOnly)),
        ("rtodelivered", .init(.rtoDelivered, .rto)),
    ]

    /// Subtag patterns for the `Exception` tag, checked in order (substring match on the normalised subtag).
    public static let exceptionRows: [(patterns: [String], mapping: StatusMapping)] = [
        (["pickup"], .init(.pickupCancelled, .forward)),
        (["misrout"], .init(.misrouted, .forward)),
        (["delay"], .init(.deliveryDelayed, .forward)),
        (["held", "hold", "stuck"], .init(.shipmentStuck, .forward)),
        (["undeliver", "unavailable", "refus", "address", "premises", "closed", "ndr", "attempt", "consignee",
          "customer", "reject", ""],
         .init(.failedDelivery, .forward)),
    ]

    static func normalise(_ text: String?) -> String {
        (text ?? "").lowercased().filter { $0 != " " && $0 != "_" && $0 != "-" }
    }

    /// Looks up a status from its tag, subtag and `shipment_status`.
    public static func lookup(tag: String?, subtag: String?, shipmentStatus: String?) -> MappingLookup {
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
            for row in exceptionRows where row.patterns.contains(where: { $0.isEmpty ? subKey.isEmpty : subKey.contains($0) }) {
                return .mapped(row.mapping)
            }
            return .mapped(.init(.failedDelivery, .forward))
        }
        if let row = tagRows.first(where: { $0.tag == tagKey }) { return .mapped(row.mapping) }
        return .unknownStatus
    }
}
