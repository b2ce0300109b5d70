/// Shipway → notification type, one row per line of docs/MAPPING.md ("Shipway"). Key: `current_status`.
public enum ShipwayMapping {
    /// The table: each code with its verdict.
    public static let rows: [(codes: [String], mapping: StatusMapping)] = [
        (["SCH"], .init(.pickupScheduled, .forward)),
        (["OFP"], .init(.outForPickup, .forward)),
        (["PKP"], .init(.pickedUp, .forward)),
        (["INT"], .init(.inTransit, .forward)),
        (["SMD"], .init(.deliveryDelayed, .forward)),
        // ONH On Hold: SHIPMENT_STUCK. NWI / OTH / NFI say nothing the store can act on.
        (["ONH"], .init(.shipmentStuck, .forward)),
        (["NWI", "OTH", "NFI"], .init(nil, .forward)),
        (["OOD"], .init(.outForDelivery, .forward)),
        (["UND", "22", "23", "24", "25", "CNA", "CRTA", "DNB", "DRE", "FDR", "ODA", "PNR", "DEX"],
         .init(.failedDelivery, .forward)),
        (["DEL", "ITEM DESPATCHED"], .init(.delivered, .forward)),
        (["CAN"], .init(.cancelled, .forward)),
        // PKF Pickup Failed: the courier retries (PICKUP_ERROR); PCAN is an explicit cancellation.
        (["PKF"], .init(.pickupError, .forward)),
        (["PCAN"], .init(.pickupCancelled, .forward)),
        (["LOST"], .init(.lost, .forward, rule: .followsRTO)),
        // RTO once: a repeated RTO (with a newer time) is progress.
        (["RTO"], .init(.rto, .rto, rule: .firstRTOOnly)),
        (["RTD"], .init(.rtoDelivered, .rto)),
        (["RSCH"], .init(.awbGenerated, .customerReturn)),
        (["ROOP"], .init(.outForPickup, .customerReturn)),
        (["RPKP"], .init(.returnPickedUp, .customerReturn)),
        (["RINT"], .init(.inTransit, .customerReturn)),
        (["ROOD"], .init(.outForDelivery, .customerReturn)),
        (["RDEL"], .init(.delivered, .customerReturn)),
        (["RUND"], .init(.failedDelivery, .customerReturn)),
        (["RPSH"], .init(.pickupRescheduled, .customerReturn)),
        (["RSMD"], .init(.deliveryDelayed, .customerReturn)),
        // RPEX Reverse Pickup Exception: the courier retries the pickup, as Shiprocket 49.
        (["RPEX"], .init(.pickupError, .customerReturn)),
        (["RCAN", "RCLO"], .init(.cancelled, .customerReturn)),
    ]

    private static let byCode: [String: StatusMapping] = {
        var table: [String: StatusMapping] = [:]
        for row in rows { for code in row.codes { table[code] = row.mapping } }
        return table
    }()

    /// Looks up a `current_status` code (case-insensitive).
    public static func lookup(_ code: String) -> MappingLookup {
        byCode[code.uppercased().trimmingSpaces()].map(MappingLookup.mapped) ?? .unknownStatus
    }
}
