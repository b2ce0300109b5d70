import RelayCore
import Testing

/// One case per row of research `aggregators.md` §6, written out again here from the document so a slip in the
/// tables shows up as a failing row.
@Suite("Mapping tables (research §6)")
struct MappingTableTests {
    static func verdict(_ lookup: MappingLookup) -> String {
        guard case .mapped(let mapping) = lookup else { return "unknown" }
        return "\(mapping.type?.name ?? "—") \(mapping.direction.rawValue)"
    }

    // MARK: Clickpost §6.1: (code, event id, is_rvp) → "TYPE direction"
    static let clickpostRows: [(code: Int?, event: Int?, rvp: Bool, expected: String)] = [
        (28, nil, false, "— forward"), (1, nil, false, "— forward"), (28, nil, true, "AWB_GENERATED return"),
        (2, nil, false, "— forward"), (2, nil, true, "— return"),
        (25, 1, false, "OUT_FOR_PICKUP forward"), (25, 1, true, "OUT_FOR_PICKUP return"),
        (3, 16, false, "PICKUP_CANCELLED forward"), (3, 16, true, "PICKUP_CANCELLED return"),
        (4, 2, false, "PICKED_UP forward"), (4, 2, true, "RETURN_PICKED_UP return"),
        (5, 2, false, "IN_TRANSIT forward"), (5, 2, true, "IN_TRANSIT return"),
        (18, 2, false, "DELIVERY_DELAYED forward"), (19, 2, false, "— forward"), (20, 2, false, "— forward"),
        (1004, 13, false, "REACHED_DESTINATION_HUB forward"), (1004, 13, true, "REACHED_DESTINATION_HUB return"),
        (6, 3, false, "OUT_FOR_DELIVERY forward"), (6, 3, true, "OUT_FOR_DELIVERY return"),
        (7, 4, false, "FAILED_DELIVERY forward"), (9, 4, false, "FAILED_DELIVERY forward"),
        (9, 4, true, "FAILED_DELIVERY return"),
        (8, 5, false, "DELIVERED forward"), (8, 5, true, "DELIVERED return"),
        (10, 10, false, "CANCELLED forward"), (10, 10, true, "CANCELLED return"),
        (11, 6, false, "RTO rto"), (12, 6, false, "RTO rto"), (13, 6, false, "RTO rto"), (15, 6, false, "RTO rto"),
        (21, 6, false, "RTO rto"), (26, 6, false, "RTO rto"), (27, 6, false, "RTO rto"), (21, 6, true, "— return"),
        (14, 12, false, "RTO_DELIVERED rto"), (14, 12, true, "— return"),
        (16, 19, false, "LOST forward"), (16, 19, true, "LOST return"),
        (17, 20, false, "DAMAGED forward"), (17, 20, true, "DAMAGED return"),
        (nil, 17, false, "SHIPMENT_STUCK forward"), (5, 17, false, "SHIPMENT_STUCK forward"),
        (nil, 18, false, "SLA_BREACHED forward"), (nil, 18, true, "SLA_BREACHED return"),
        (23, 80, false, "— forward"),
        (30, 14, true, "EXCHANGE_PICKUP return"), (31, 14, true, "EXCHANGE_PICKUP return"),
        (32, 15, true, "EXCHANGE_DELIVERED return"), (30, 14, false, "— forward"),
        (101, 11, true, "RETURN_ORDER_PLACED return"), (101, 11, false, "— forward"),
        (102, 22, true, "— return"), (nil, 23, true, "— return"), (nil, 9, true, "AWB_GENERATED return"),
        (999, nil, false, "unknown"), (nil, nil, false, "unknown"),
    ]

    @Test("Clickpost row", arguments: clickpostRows)
    func clickpost(_ row: (code: Int?, event: Int?, rvp: Bool, expected: String)) {
        #expect(Self.verdict(ClickpostMapping.lookup(code: row.code, event: row.event, isReversePickup: row.rvp))
                == row.expected)
    }

    @Test("Clickpost RTO-family codes carry the first-RTO-only rule")
    func clickpostRTORule() {
        guard case .mapped(let mapping) = ClickpostMapping.lookup(code: 21, event: nil, isReversePickup: false) else {
            Issue.record("21 is unmapped")
            return
        }
        #expect(mapping.rule == .firstRTOOnly)
    }

    // MARK: Shiprocket §6.2: (current_status_id, shipment_status_id, is_return) → verdict
    static let shiprocketRows: [(current: Int?, shipment: Int?, isReturn: Bool, expected: String)] = [
        (2, nil, false, "INVOICED forward"), (3, 2, false, "READY_TO_SHIP forward"),
        (4, 3, false, "PICKUP_SCHEDULED forward"), (6, 6, false, "SHIPPED forward"),
        (8, nil, false, "PAYMENT_FAILED forward"), (11, nil, false, "UNFULFILLABLE forward"),
        (12, 4, false, "PICKUP_QUEUE forward"), (13, 15, false, "PICKUP_RESCHEDULED forward"),
        (14, 13, false, "PICKUP_ERROR forward"), (34, 19, false, "OUT_FOR_PICKUP forward"),
        (35, 20, false, "— forward"), (51, 42, false, "PICKED_UP forward"), (20, 18, false, "IN_TRANSIT forward"),
        (43, 38, false, "REACHED_DESTINATION_HUB forward"), (44, 39, false, "MISROUTED forward"),
        (37, 22, false, "DELIVERY_DELAYED forward"), (19, 17, false, "OUT_FOR_DELIVERY forward"),
        (36, 21, false, "UNDELIVERED forward"), (89, 77, false, "UNDELIVERED forward"),
        (7, 7, false, "DELIVERED forward"), (38, 23, false, "DELIVERED forward"),
        (5, 8, false, "CANCELLED forward"), (54, 45, false, "CANCELLED forward"),
        (18, 16, false, "CANCELLATION_REQUESTED forward"), (15, 9, false, "RTO rto"),
        (45, 41, false, "— rto"), (46, 40, false, "— rto"), (55, 46, false, "— rto"), (87, 75, false, "— rto"),
        (90, 78, false, "— rto"), (16, 10, false, "RTO_DELIVERED rto"), (17, 14, false, "RTO_ACKNOWLEDGED rto"),
        (33, 12, false, "LOST forward"), (88, 76, false, "LOST forward"), (40, 25, false, "DAMAGED forward"),
        (39, 24, false, "DAMAGED forward"),
        (47, nil, true, "OUT_FOR_PICKUP return"), (32, nil, true, "RETURN_PICKED_UP return"),
        (25, nil, true, "IN_TRANSIT return"), (48, nil, true, "OUT_FOR_DELIVERY return"),
        (26, nil, true, "DELIVERED return"), (68, nil, true, "— return"), (27, nil, true, "CANCELLED return"),
        (30, nil, true, "PICKUP_CANCELLED return"),
        (nil, 18, false, "IN_TRANSIT forward"), (999, nil, false, "unknown"),
    ]

    @Test("Shiprocket row", arguments: shiprocketRows)
    func shiprocket(_ row: (current: Int?, shipment: Int?, isReturn: Bool, expected: String)) {
        #expect(Self.verdict(ShiprocketMapping.lookup(currentStatusId: row.current, shipmentStatusId: row.shipment,
                                                      isReturn: row.isReturn)) == row.expected)
    }

    // MARK: Shipway §6.3
    static let shipwayRows: [(code: String, expected: String)] = [
        ("SCH", "PICKUP_SCHEDULED forward"), ("OFP", "OUT_FOR_PICKUP forward"), ("PKP", "PICKED_UP forward"),
        ("INT", "IN_TRANSIT forward"), ("SMD", "DELIVERY_DELAYED forward"), ("ONH", "— forward"),
        ("NWI", "— forward"), ("OTH", "— forward"), ("NFI", "— forward"), ("OOD", "OUT_FOR_DELIVERY forward"),
        ("UND", "FAILED_DELIVERY forward"), ("22", "FAILED_DELIVERY forward"), ("23", "FAILED_DELIVERY forward"),
        ("24", "FAILED_DELIVERY forward"), ("25", "FAILED_DELIVERY forward"), ("CNA", "FAILED_DELIVERY forward"),
        ("CRTA", "FAILED_DELIVERY forward"), ("DNB", "FAILED_DELIVERY forward"), ("DRE", "FAILED_DELIVERY forward"),
        ("FDR", "FAILED_DELIVERY forward"), ("ODA", "FAILED_DELIVERY forward"), ("PNR", "FAILED_DELIVERY forward"),
        ("DEX", "FAILED_DELIVERY forward"), ("DEL", "DELIVERED forward"), ("ITEM DESPATCHED", "DELIVERED forward"),
        ("CAN", "CANCELLED forward"), ("PKF", "PICKUP_CANCELLED forward"), ("PCAN", "PICKUP_CANCELLED forward"),
        ("LOST", "LOST forward"), ("RTO", "RTO rto"), ("RTD", "RTO_DELIVERED rto"),
        ("RSCH", "AWB_GENERATED return"), ("ROOP", "OUT_FOR_PICKUP return"), ("RPKP", "RETURN_PICKED_UP return"),
        ("RINT", "IN_TRANSIT return"), ("ROOD", "OUT_FOR_DELIVERY return"), ("RDEL", "DELIVERED return"),
        ("RUND", "FAILED_DELIVERY return"), ("RPSH", "PICKUP_RESCHEDULED return"),
        ("RSMD", "DELIVERY_DELAYED return"), ("RPEX", "— return"), ("RCAN", "CANCELLED return"),
        ("RCLO", "CANCELLED return"), ("del", "DELIVERED forward"), ("XYZ", "unknown"),
    ]

    @Test("Shipway row", arguments: shipwayRows)
    func shipway(_ row: (code: String, expected: String)) {
        #expect(Self.verdict(ShipwayMapping.lookup(row.code)) == row.expected)
    }

    // MARK: eShipz §6.4: (tag, subtag, shipment_status) → verdict
    static let eshipzRows: [(tag: String?, subtag: String?, status: String?, expected: String)] = [
        ("Pending", nil, nil, "— forward"), ("InfoReceived", "", nil, "— forward"),
        ("PickedUp", nil, nil, "PICKED_UP forward"), ("InTransit", nil, nil, "IN_TRANSIT forward"),
        ("OutForDelivery", nil, nil, "OUT_FOR_DELIVERY forward"), ("Delivered", "", nil, "DELIVERED forward"),
        ("AttemptFail", nil, nil, "FAILED_DELIVERY forward"),
        ("Exception", "ConsigneeUnavailable", nil, "FAILED_DELIVERY forward"),
        ("Exception", "", nil, "FAILED_DELIVERY forward"),
        ("Exception", "PickupException", nil, "PICKUP_CANCELLED forward"),
        ("Exception", "ShipmentDelayed", nil, "DELIVERY_DELAYED forward"),
        ("Exception", "Misrouted", nil, "MISROUTED forward"), ("Exception", "Held", nil, "SHIPMENT_STUCK forward"),
        ("InTransit", "RTOInTransit", nil, "RTO rto"), ("RTO", nil, nil, "RTO rto"),
        ("ReturnToOrigin", nil, nil, "RTO rto"), ("Delivered", "RTODelivered", nil, "RTO_DELIVERED rto"),
        ("InTransit", nil, "cancelled", "CANCELLED forward"), ("Delivered", nil, "Cancelled", "CANCELLED forward"),
        ("Expired", nil, nil, "— forward"), ("Teleported", nil, nil, "unknown"),
    ]

    @Test("eShipz row", arguments: eshipzRows)
    func eshipz(_ row: (tag: String?, subtag: String?, status: String?, expected: String)) {
        #expect(Self.verdict(EshipzMapping.lookup(tag: row.tag, subtag: row.subtag, shipmentStatus: row.status))
                == row.expected)
    }
}
