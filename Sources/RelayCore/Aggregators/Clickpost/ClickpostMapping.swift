/// Clickpost → notification type. Each row is the row of the same codes in docs/MAPPING.md ("Clickpost").
///
/// Key: `additional.notification_event_id` when it names a computed event (17 stuck, 18 SLA, 9 AWB generated, …),
/// else `clickpost_status_code` (the event id picks the same row as its codes). Direction: `additional.is_rvp`.
public enum ClickpostMapping {
    /// A row: status codes, the Selected-Status event id, and the verdict for forward and for reverse pickups.
    public struct Row: Sendable {
        public let codes: [Int]
        public let event: Int?
        public let forward: StatusMapping?
        public let reverse: StatusMapping?
    }

    private static func row(
        _ codes: [Int], event: Int?, forward: StatusMapping?, reverse: StatusMapping?
    ) -> Row {
        Row(codes: codes, event: event, forward: forward, reverse: reverse)
    }

    /// The table; the comment on each row names its docs/MAPPING.md row.
    public static let rows: [Row] = [
        // 28 AWB_REGISTERED / 1 ORDER_PLACED: the label notification is raised by the OMS, not by the relay.
        row([28, 1], event: nil, forward: .init(nil, .forward), reverse: .init(.awbGenerated, .customerReturn)),
        // 2 PICKUP_PENDING: no notification.
        row([2], event: nil, forward: .init(nil, .forward), reverse: .init(nil, .customerReturn)),
        // 25 OUT_FOR_PICKUP.
        row([25], event: 1, forward: .init(.outForPickup, .forward), reverse: .init(.outForPickup, .customerReturn)),
        // 3 PICKUP_FAILED: the courier tries again, so PICKUP_ERROR (non-terminal), not PICKUP_CANCELLED.
        row([3], event: 16, forward: .init(.pickupError, .forward), reverse: .init(.pickupError, .customerReturn)),
        // 4 PICKED_UP (a return's pickup is RETURN_PICKED_UP).
        row([4], event: 2, forward: .init(.pickedUp, .forward), reverse: .init(.returnPickedUp, .customerReturn)),
        // 5 INTRANSIT.
        row([5], event: 2, forward: .init(.inTransit, .forward), reverse: .init(.inTransit, .customerReturn)),
        // 18 SHIPMENT_DELAYED.
        row([18], event: 2, forward: .init(.deliveryDelayed, .forward),
            reverse: .init(.deliveryDelayed, .customerReturn)),
        // 19 CONTACT_CUSTOMER_CARE: no notification (nothing the store can act on).
        row([19], event: 2, forward: .init(nil, .forward), reverse: .init(nil, .customerReturn)),
        // 20 SHIPMENT_HELD: SHIPMENT_STUCK.
        row([20], event: 2, forward: .init(.shipmentStuck, .forward), reverse: .init(.shipmentStuck, .customerReturn)),
        // 1004 DESTINATION_HUB_IN.
        row([1004], event: 13, forward: .init(.reachedDestinationHub, .forward),
            reverse: .init(.reachedDestinationHub, .customerReturn)),
        // 6 OUT_FOR_DELIVERY.
        row([6], event: 3, forward: .init(.outForDelivery, .forward),
            reverse: .init(.outForDelivery, .customerReturn)),
        // 7 NOT_SERVICEABLE / 9 FAILED_DELIVERY (NDR).
        row([7, 9], event: 4, forward: .init(.failedDelivery, .forward),
            reverse: .init(.failedDelivery, .customerReturn)),
        // 8 DELIVERED.
        row([8], event: 5, forward: .init(.delivered, .forward), reverse: .init(.delivered, .customerReturn)),
        // 10 CANCELLED_ORDER.
        row([10], event: 10, forward: .init(.cancelled, .forward), reverse: .init(.cancelled, .customerReturn)),
        // 11, 12, 13, 15, 21, 26, 27 RTO family: RTO once.
        row([11, 12, 13, 15, 21, 26, 27], event: 6, forward: .init(.rto, .rto, rule: .firstRTOOnly),
            reverse: .init(nil, .customerReturn)),
        // 14 RTO_DELIVERED.
        row([14], event: 12, forward: .init(.rtoDelivered, .rto), reverse: .init(nil, .customerReturn)),
        // 16 LOST / 17 DAMAGED: forward, or RTO once the shipment is going back.
        row([16], event: 19, forward: .init(.lost, .forward, rule: .followsRTO),
            reverse: .init(.lost, .customerReturn)),
        row([17], event: 20, forward: .init(.damaged, .forward, rule: .followsRTO),
            reverse: .init(.damaged, .customerReturn)),
        // Event 17 (stuck) / 18 (SLA breached), computed by Clickpost.
        row([], event: 17, forward: .init(.shipmentStuck, .forward),
            reverse: .init(.shipmentStuck, .customerReturn)),
        row([], event: 18, forward: .init(.slaBreached, .forward), reverse: .init(.slaBreached, .customerReturn)),
        // 23 EXPIRED: Clickpost stopped tracking; no notification.
        row([23], event: 80, forward: .init(nil, .forward), reverse: .init(nil, .customerReturn)),
        // 30, 31 / 32 exchange: EXCHANGE_PICKUP / EXCHANGE_DELIVERED whatever is_rvp says; direction as usual.
        row([30, 31], event: 14, forward: .init(.exchangePickup, .forward),
            reverse: .init(.exchangePickup, .customerReturn)),
        row([32], event: 15, forward: .init(.exchangeDelivered, .forward),
            reverse: .init(.exchangeDelivered, .customerReturn)),
        // 101 RETURN_ORDER_PLACED (a return request; not meaningful without is_rvp).
        row([101], event: 11, forward: .init(nil, .forward), reverse: .init(.returnOrderPlaced, .customerReturn)),
        // 102 / event 22, 23: return request approved / rejected; no notification type exists.
        row([102], event: 22, forward: .init(nil, .forward), reverse: .init(nil, .customerReturn)),
        row([], event: 23, forward: .init(nil, .forward), reverse: .init(nil, .customerReturn)),
        // Event 9: AWB generated on the returns platform.
        row([], event: 9, forward: .init(nil, .forward), reverse: .init(.awbGenerated, .customerReturn)),
        // Events 29, 30, 31: exchange request approved / placed / rejected; no notification type exists.
        row([], event: 29, forward: .init(nil, .forward), reverse: .init(nil, .customerReturn)),
        row([], event: 30, forward: .init(nil, .forward), reverse: .init(nil, .customerReturn)),
        row([], event: 31, forward: .init(nil, .forward), reverse: .init(nil, .customerReturn)),
    ]

    private static let byCode: [Int: Row] = {
        var table: [Int: Row] = [:]
        for row in rows { for code in row.codes { table[code] = row } }
        return table
    }()

    /// Rows reached only through an event id (computed by Clickpost, or with no status code of their own).
    private static let byEventOnly: [Int: Row] = {
        var table: [Int: Row] = [:]
        for row in rows where row.codes.isEmpty { if let event = row.event { table[event] = row } }
        return table
    }()

    /// The first row of each event id, for a webhook that carries an event id but no usable code.
    private static let byEvent: [Int: Row] = {
        var table: [Int: Row] = [:]
        for row in rows { if let event = row.event, table[event] == nil { table[event] = row } }
        return table
    }()

    /// Looks up a status.
    /// - Parameters:
    ///   - code: `clickpost_status_code`.
    ///   - event: `additional.notification_event_id`, when present.
    ///   - isReversePickup: `additional.is_rvp`.
    public static func lookup(code: Int?, event: Int?, isReversePickup: Bool) -> MappingLookup {
        let row: Row?
        if let event, let eventRow = byEventOnly[event] {
            row = eventRow
        } else if let code, let codeRow = byCode[code] {
            row = codeRow
        } else if let event {
            row = byEvent[event]
        } else {
            row = nil
        }
        guard let row, let verdict = isReversePickup ? row.reverse : row.forward else { return .unknownStatus }
        return .mapped(verdict)
    }
}

/// Clickpost courier-partner ids (`cp_id`) and the courier each names, for `courierName` when a webhook carries no
/// `account_code`. Only ids published by Clickpost are listed; an unknown id gives `nil`, never a made-up name.
///
/// Sources (Clickpost's public documentation, read 2026-12):
/// - https://docs.clickpost.ai/docs/custom-order-creation-fields-for-certain-courier-partners-v3 ("Courier Partners
///   (Partner ID)": EcomExpress 3, Delhivery 4, XpressBees 6, Delhivery RVP 25, Loadshare 50, Shipsy 150, Smartr 250);
/// - https://docs.clickpost.ai/docs/fetch-accounts-from-clickpost (example accounts: Madhur Courier Service 86,
///   RedBox 218);
/// - the full list is published at https://track.clickpost.in/courier_partner (referenced by
///   https://docs.clickpost.ai/docs/clickpost-integration-guidelines); add ids from it here as clients use them.
public enum ClickpostCouriers {
    public static let names: [Int: String] = [
        3: "EcomExpress",
        4: "Delhivery",
        6: "XpressBees",
        25: "Delhivery RVP",
        50: "Loadshare",
        86: "Madhur Courier Service",
        150: "Shipsy",
        218: "RedBox",
        250: "Smartr",
    ]

    /// The courier named by `cpId`, or nil when the id is not in the list (or not a courier, e.g. -1).
    public static func name(cpId: Int64) -> String? { names[Int(cpId)] }
}
