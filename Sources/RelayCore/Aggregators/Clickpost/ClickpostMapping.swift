/// Clickpost → notification type, as research `aggregators.md` §6.1. One row per line of that table.
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

    /// The table (codes from §1.5, events from §1.6).
    public static let rows: [Row] = [
        row([28, 1], event: nil, forward: .init(nil, .forward), reverse: .init(.awbGenerated, .customerReturn)),
        row([2], event: nil, forward: .init(nil, .forward), reverse: .init(nil, .customerReturn)),
        row([25], event: 1, forward: .init(.outForPickup, .forward), reverse: .init(.outForPickup, .customerReturn)),
        row([3], event: 16, forward: .init(.pickupCancelled, .forward),
            reverse: .init(.pickupCancelled, .customerReturn)),
        row([4], event: 2, forward: .init(.pickedUp, .forward), reverse: .init(.returnPickedUp, .customerReturn)),
        row([5], event: 2, forward: .init(.inTransit, .forward), reverse: .init(.inTransit, .customerReturn)),
        row([18], event: 2, forward: .init(.deliveryDelayed, .forward),
            reverse: .init(.deliveryDelayed, .customerReturn)),
        row([19, 20], event: 2, forward: .init(nil, .forward), reverse: .init(nil, .customerReturn)),
        row([1004], event: 13, forward: .init(.reachedDestinationHub, .forward),
            reverse: .init(.reachedDestinationHub, .customerReturn)),
        row([6], event: 3, forward: .init(.outForDelivery, .forward),
            reverse: .init(.outForDelivery, .customerReturn)),
        row([7, 9], event: 4, forward: .init(.failedDelivery, .forward),
            reverse: .init(.failedDelivery, .customerReturn)),
        row([8], event: 5, forward: .init(.delivered, .forward), reverse: .init(.delivered, .customerReturn)),
        row([10], event: 10, forward: .init(.cancelled, .forward), reverse: .init(.cancelled, .customerReturn)),
        row([11, 12, 13, 15, 21, 26, 27], event: 6, forward: .init(.rto, .rto, rule: .firstRTOOnly),
            reverse: .init(nil, .customerReturn)),
        row([14], event: 12, forward: .init(.rtoDelivered, .rto), reverse: .init(nil, .customerReturn)),
        row([16], event: 19, forward: .init(.lost, .forward, rule: .followsRTO),
            reverse: .init(.lost, .customerReturn)),
        row([17], event: 20, forward: .init(.damaged, .forward, rule: .followsRTO),
            reverse: .init(.damaged, .customerReturn)),
        row([], event: 17, forward: .init(.shipmentStuck, .forward),
            reverse: .init(.shipmentStuck, .customerReturn)),
        row([], event: 18, forward: .init(.slaBreached, .forward), reverse: .init(.slaBreached, .customerReturn)),
        row([23], event: 80, forward: .init(nil, .forward), reverse: .init(nil, .customerReturn)),
        row([30, 31], event: 14, forward: .init(nil, .forward), reverse: .init(.exchangePickup, .customerReturn)),
        row([32], event: 15, forward: .init(nil, .forward), reverse: .init(.exchangeDelivered, .customerReturn)),
        row([101], event: 11, forward: .init(nil, .forward), reverse: .init(.returnOrderPlaced, .customerReturn)),
        row([102], event: 22, forward: .init(nil, .forward), reverse: .init(nil, .customerReturn)),
        row([], event: 23, forward: .init(nil, .forward), reverse: .init(nil, .customerReturn)),
        row([], event: 9, forward: .init(nil, .forward), reverse: .init(.awbGenerated, .customerReturn)),
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
