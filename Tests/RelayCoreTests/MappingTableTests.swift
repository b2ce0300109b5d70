import RelayCore
import Testing

/// One case per row of docs/MAPPING.md, written out again here from the document so a slip in the tables shows up
/// as a failing row. Rows changed by issue #13's decisions say which decision (D1…D11) in a comment.
@Suite("Mapping tables (docs/MAPPING.md)")
struct MappingTableTests {
    static func verdict(_ lookup: MappingLookup) -> String {
        guard case .mapped(let mapping) = lookup else { return "unknown" }
        return "\(mapping.type?.name ?? "—") \(mapping.direction.rawValue)"
    }

    // MARK: Clickpost: (code, event id, is_rvp) → "TYPE direction"
    static let clickpostRows: [(code: Int?, event: Int?, rvp: Bool, expected: String)] = [
        (28, nil, false, "— forward"), (1, nil, false, "— forward"), (28, nil, true, "AWB_GENERATED return"),
        (2, nil, false, "— forward"), (2, nil, true, "— return"),
        (25, 1, false, "OUT_FOR_PICKUP forward"), (25, 1, true, "OUT_FOR_PICKUP return"),
        (3, 16, false, "PICKUP_ERROR forward"), (3, 16, true, "PICKUP_ERROR return"),  // D4
        (4, 2, false, "PICKED_UP forward"), (4, 2, true, "RETURN_PICKED_UP return"),
        (5, 2, false, "IN_TRANSIT forward"), (5, 2, true, "IN_TRANSIT return"),
        (18, 2, false, "DELIVERY_DELAYED forward"), (19, 2, false, "— forward"),
        (20, 2, false, "SHIPMENT_STUCK forward"), (20, 2, true, "SHIPMENT_STUCK return"),  // D5
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
        (32, 15, true, "EXCHANGE_DELIVERED return"),
        (30, 14, false, "EXCHANGE_PICKUP forward"), (31, 14, false, "EXCHANGE_PICKUP forward"),  // D11
        (32, 15, false, "EXCHANGE_DELIVERED forward"),  // D11
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

    // MARK: Shiprocket: (current_status_id, shipment_status_id, is_return) → verdict
    static let shiprocketRows: [(current: Int?, shipment: Int?, isReturn: Bool, expected: String)] = [
        (2, nil, false, "INVOICED forward"), (3, 2, false, "READY_TO_SHIP forward"),
        (4, 3, false, "PICKUP_SCHEDULED forward"), (6, 6, false, "SHIPPED forward"),
        (8, nil, false, "PAYMENT_FAILED forward"), (11, nil, false, "UNFULFILLABLE forward"),
        (12, 4, false, "PICKUP_QUEUE forward"), (13, 15, false, "PICKUP_RESCHEDULED forward"),
        (14, 13, false, "PICKUP_ERROR forward"), (34, 19, false, "OUT_FOR_PICKUP forward"),
        (35, 20, false, "PICKUP_ERROR forward"),  // D4 (51, 42, false, "PICKED_UP forward"), (20, 18, false, "IN_TRANSIT forward"),
        (43, 38, false, "REACHED_DESTINATION_HUB forward"), (44, 39, false, "MISROUTED forward"),
        (37, 22, false, "DELIVERY_DELAYED forward"), (19, 17, false, "OUT_FOR_DELIVERY forward"),
        (36, 21, false, "UNDELIVERED forward"), (89, 77, false, "UNDELIVERED forward"),
        (7, 7, false, "DELIVERED forward"), (38, 23, false, "DELIVERED forward"),
        (5, 8, false, "CANCELLED forward"), (54, 45, false, "CANCELLED forward"),
        (18, 16, false, "CANCELLATION_REQUESTED forward"), (15, 9, false, "RTO rto"),
        (45, 41, false, "RTO rto"), (46, 40, false, "RTO rto"), (55, 46, false, "RTO rto"),  // D1
        (87, 75, false, "RTO rto"), (90, 78, false, "RTO rto"), (nil, 46, false, "RTO rto"),  // D1 (16, 10, false, "RTO_DELIVERED rto"), (17, 14, false, "RTO_ACKNOWLEDGED rto"),
        (33, 12, false, "LOST forward"), (88, 76, false, "LOST forward"), (40, 25, false, "DAMAGED forward"),
        (39, 24, false, "DAMAGED forward"),
        (47, nil, true, "OUT_FOR_PICKUP return"), (32, nil, true, "RETURN_PICKED_UP return"),
        (25, nil, true, "IN_TRANSIT return"), (48, nil, true, "OUT_FOR_DELIVERY return"),
        (26, nil, true, "DELIVERED return"), (68, nil, true, "— return"), (27, nil, true, "CANCELLED return"),
        (30, nil, true, "PICKUP_CANCELLED return"),
        (21, nil, true, "RETURN_ORDER_PLACED return"), (22, nil, true, "RETURN_ORDER_PLACED return"),  // D3
        (22, nil, false, "RETURN_ORDER_PLACED return"),  // D3: a return id is a return whatever is_return says
        (23, nil, true, "PICKUP_QUEUE return"), (24, nil, true, "PICKUP_ERROR return"),  // D3
        (28, nil, true, "AWB_GENERATED return"), (29, nil, true, "CANCELLATION_REQUESTED return"),  // D3
        (31, nil, true, "PICKUP_RESCHEDULED return"), (49, nil, true, "PICKUP_ERROR return"),  // D3
        (50, nil, true, "UNDELIVERED return"), (57, nil, true, "QC_FAILED return"),  // D3
        (51, 42, true, "RETURN_PICKED_UP return"), (15, 9, true, "— return"), (20, 18, true, "IN_TRANSIT return"),
        (nil, 18, false, "IN_TRANSIT forward"), (999, nil, false, "unknown"),
    ]

    @Test("Shiprocket row", arguments: shiprocketRows)
    func shiprocket(_ row: (current: Int?, shipment: Int?, isReturn: Bool, expected: String)) {
        #expect(Self.verdict(ShiprocketMapping.lookup(currentStatusId: row.current, shipmentStatusId: row.shipment,
                                                      isReturn: row.isReturn)) == row.expected)
    }

    // MARK: Shipway
    static let shipwayRows: [(code: String, expected: String)] = [
        ("SCH", "PICKUP_SCHEDULED forward"), ("OFP", "OUT_FOR_PICKUP forward"), ("PKP", "PICKED_UP forward"),
        ("INT", "IN_TRANSIT forward"), ("SMD", "DELIVERY_DELAYED forward"), ("ONH", "SHIPMENT_STUCK forward"),
        ("NWI", "— forward"), ("OTH", "— forward"), ("NFI", "— forward"), ("OOD", "OUT_FOR_DELIVERY forward"),
        ("UND", "FAILED_DELIVERY forward"), ("22", "FAILED_DELIVERY forward"), ("23", "FAILED_DELIVERY forward"),
        ("24", "FAILED_DELIVERY forward"), ("25", "FAILED_DELIVERY forward"), ("CNA", "FAILED_DELIVERY forward"),
        ("CRTA", "FAILED_DELIVERY forward"), ("DNB", "FAILED_DELIVERY forward"), ("DRE", "FAILED_DELIVERY forward"),
        ("FDR", "FAILED_DELIVERY forward"), ("ODA", "FAILED_DELIVERY forward"), ("PNR", "FAILED_DELIVERY forward"),
        ("DEX", "FAILED_DELIVERY forward"), ("DEL", "DELIVERED forward"), ("ITEM DESPATCHED", "DELIVERED forward"),
        ("CAN", "CANCELLED forward"), ("PKF", "PICKUP_ERROR forward"), ("PCAN", "PICKUP_CANCELLED forward"),
        ("LOST", "LOST forward"), ("RTO", "RTO rto"), ("RTD", "RTO_DELIVERED rto"),
        ("RSCH", "AWB_GENERATED return"), ("ROOP", "OUT_FOR_PICKUP return"), ("RPKP", "RETURN_PICKED_UP return"),
        ("RINT", "IN_TRANSIT return"), ("ROOD", "OUT_FOR_DELIVERY return"), ("RDEL", "DELIVERED return"),
        ("RUND", "FAILED_DELIVERY return"), ("RPSH", "PICKUP_RESCHEDULED return"),
        ("RSMD", "DELIVERY_DELAYED return"), ("RPEX", "PICKUP_ERROR return"), ("RCAN", "CANCELLED return"),
        ("RCLO", "CANCELLED return"), ("del", "DELIVERED forward"), ("XYZ", "unknown"),
    ]

    @Test("Shipway row", arguments: shipwayRows)
    func shipway(_ row: (code: String, expected: String)) {
        #expect(Self.verdict(ShipwayMapping.lookup(row.code)) == row.expected)
    }

    // MARK: eShipz: (tag, subtag, shipment_status) → verdict
    static let eshipzRows: [(tag: String?, subtag: String?, status: String?, expected: String)] = [
        ("Pending", nil, nil, "— forward"), ("InfoReceived", "", nil, "— forward"),
        ("PickedUp", nil, nil, "PICKED_UP forward"), ("InTransit", nil, nil, "IN_TRANSIT forward"),
        ("OutForDelivery", nil, nil, "OUT_FOR_DELIVERY forward"), ("Delivered", "", nil, "DELIVERED forward"),
        ("AttemptFail", nil, nil, "FAILED_DELIVERY forward"),
        ("Exception", "ConsigneeUnavailable", nil, "FAILED_DELIVERY forward"),
        ("Exception", "AddressIssue", nil, "FAILED_DELIVERY forward"),
        ("Exception", "Refused", nil, "FAILED_DELIVERY forward"),
        ("Exception", "", nil, "unknown"), ("Exception", nil, nil, "unknown"),  // D2: no catch-all
        ("Exception", "Teleported", nil, "unknown"),  // D2
        ("Exception", "Lost", nil, "LOST forward"), ("Exception", "Damaged", nil, "DAMAGED forward"),  // D2
        ("Exception", "CustomerCancelled", nil, "CANCELLED forward"),  // D2
        ("Exception", "PickupException", nil, "PICKUP_ERROR forward"),  // D4
        ("Exception", "PickupFailed", nil, "PICKUP_ERROR forward"),  // D4
        ("Exception", "PickupCancelled", nil, "PICKUP_CANCELLED forward"),  // D4
        ("Exception", "ShipmentDelayed", nil, "DELIVERY_DELAYED forward"),
        ("Exception", "Misrouted", nil, "MISROUTED forward"), ("Exception", "Held", nil, "SHIPMENT_STUCK forward"),
        ("InTransit", "RTOInTransit", nil, "RTO rto"), ("RTO", nil, nil, "RTO rto"), ("Return", nil, nil, "RTO rto"),
        ("ReturnToOrigin", nil, nil, "RTO rto"), ("Delivered", "RTODelivered", nil, "RTO_DELIVERED rto"),
        ("InTransit", nil, "cancelled", "CANCELLED forward"), ("Delivered", nil, "Cancelled", "CANCELLED forward"),
        ("Expired", nil, nil, "— forward"), ("Teleported", nil, nil, "unknown"),
    ]

    @Test("eShipz row", arguments: eshipzRows)
    func eshipz(_ row: (tag: String?, subtag: String?, status: String?, expected: String)) {
        #expect(Self.verdict(EshipzMapping.lookup(tag: row.tag, subtag: row.subtag, shipmentStatus: row.status))
                == row.expected)
    }

    /// eShipz rows when the webhook marks the shipment as reverse (D2, D6).
    static let eshipzReverseRows: [(tag: String?, subtag: String?, expected: String)] = [
        ("Return", nil, "IN_TRANSIT return"), ("PickedUp", nil, "RETURN_PICKED_UP return"),
        ("Delivered", nil, "DELIVERED return"), ("RTO", nil, "— return"),
        ("Exception", "PickupException", "PICKUP_ERROR return"),
    ]

    @Test("eShipz row of a reverse shipment", arguments: eshipzReverseRows)
    func eshipzReverse(_ row: (tag: String?, subtag: String?, expected: String)) {
        #expect(Self.verdict(EshipzMapping.lookup(tag: row.tag, subtag: row.subtag, shipmentStatus: nil,
                                                  isReverse: true)) == row.expected)
    }

    static func rule(_ lookup: MappingLookup) -> StatusMapping.Rule? {
        guard case .mapped(let mapping) = lookup else { return nil }
        return mapping.rule
    }

    @Test("D1: every aggregator's RTO-family statuses carry the RTO-once rule")
    func rtoOnceEverywhere() {
        for code in [11, 12, 13, 15, 21, 26, 27] {
            #expect(Self.rule(ClickpostMapping.lookup(code: code, event: nil, isReversePickup: false)) == .firstRTOOnly)
        }
        for id in [15, 45, 46, 55, 87, 90] {
            #expect(Self.rule(ShiprocketMapping.lookup(currentStatusId: id, shipmentStatusId: nil, isReturn: false))
                    == .firstRTOOnly)
        }
        #expect(Self.rule(ShipwayMapping.lookup("RTO")) == .firstRTOOnly)
        #expect(Self.rule(EshipzMapping.lookup(tag: "RTO", subtag: nil, shipmentStatus: nil)) == .firstRTOOnly)
        #expect(Self.rule(EshipzMapping.lookup(tag: "InTransit", subtag: "RTOInTransit", shipmentStatus: nil))
                == .firstRTOOnly)
        #expect(Self.rule(EshipzMapping.lookup(tag: "Return", subtag: nil, shipmentStatus: nil))
                == .rtoUnlessCustomerReturn)
        // RTO delivered is its own notification, not RTO progress.
        #expect(Self.rule(ShiprocketMapping.lookup(currentStatusId: 16, shipmentStatusId: nil, isReturn: false))
                == .plain)
    }

    @Test("D10: Clickpost cp_id names a courier from Clickpost's list; an unknown id is no name")
    func clickpostCouriers() {
        #expect(ClickpostCouriers.name(cpId: 4) == "Delhivery")
        #expect(ClickpostCouriers.name(cpId: 6) == "XpressBees")
        #expect(ClickpostCouriers.name(cpId: 3) == "EcomExpress")
        #expect(ClickpostCouriers.name(cpId: 9999) == nil)
        #expect(ClickpostCouriers.name(cpId: -1) == nil)
    }

    @Test("QC_FAILED is a known, return-only type")
    func qcFailedType() {
        #expect(NotificationType(name: "QC_FAILED") == .qcFailed)
        #expect(NotificationType.known.contains(.qcFailed))
        #expect(NotificationType.qcFailed.isReturnType)
        #expect(!NotificationType.exchangePickup.isReturnType)  // D11: direction by the usual rule
    }
}
