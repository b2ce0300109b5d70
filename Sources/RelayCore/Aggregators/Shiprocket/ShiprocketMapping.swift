/// Shiprocket → notification type, one row per line of docs/MAPPING.md ("Shiprocket").
///
/// Key: `current_status_id` (the order table); `shipment_status_id` stands in when the order id is missing or
/// unknown. Direction: `is_return` (1 = customer return); RTO comes from the ids themselves.
public enum ShiprocketMapping {
    /// A row: order-table ids, the matching shipment-table ids, and the verdict.
    public struct Row: Sendable {
        public let currentStatusIds: [Int]
        public let shipmentStatusIds: [Int]
        public let mapping: StatusMapping
    }

    private static func row(_ current: [Int], _ shipment: [Int], _ type: NotificationType?, _ direction: Direction,
                            rule: StatusMapping.Rule = .plain) -> Row {
        Row(currentStatusIds: current, shipmentStatusIds: shipment,
            mapping: StatusMapping(type, direction, rule: rule))
    }

    /// Forward rows (and the RTO family), used when `is_return` is 0. Each row is the row of the same
    /// `current_status_id` in docs/MAPPING.md ("Shiprocket").
    public static let rows: [Row] = [
        row([2], [], .invoiced, .forward),
        row([3], [2], .readyToShip, .forward),
        row([4], [3], .pickupScheduled, .forward),
        row([6], [6], .shipped, .forward),
        row([8], [], .paymentFailed, .forward),
        row([11], [], .unfulfillable, .forward),
        row([12], [4], .pickupQueue, .forward),
        row([13], [15], .pickupRescheduled, .forward),
        // 14 Pickup Error / 35 Pickup Exception: the courier retries the pickup, so PICKUP_ERROR (non-terminal).
        row([14], [13], .pickupError, .forward),
        row([35], [20], .pickupError, .forward),
        row([34], [19], .outForPickup, .forward),
        row([51], [42], .pickedUp, .forward),
        row([20], [18], .inTransit, .forward),
        row([43], [38], .reachedDestinationHub, .forward),
        row([44], [39], .misrouted, .forward),
        row([37], [22], .deliveryDelayed, .forward),
        row([19], [17], .outForDelivery, .forward),
        row([36, 89], [21, 77], .undelivered, .forward),
        row([7, 38], [7, 23], .delivered, .forward),
        row([5, 54], [8, 45], .cancelled, .forward),
        row([18], [16], .cancellationRequested, .forward),
        // The RTO family (15 initiated, 45 OFD, 46 NDR, 55 in transit, 87 lock, 90 back at seller city): RTO once.
        row([15, 45, 46, 55, 87, 90], [9, 41, 40, 46, 75, 78], .rto, .rto, rule: .firstRTOOnly),
        row([16], [10], .rtoDelivered, .rto),
        row([17], [14], .rtoAcknowledged, .rto),
        row([33, 88], [12, 76], .lost, .forward, rule: .followsRTO),
        row([40, 39], [25, 24], .damaged, .forward, rule: .followsRTO),
    ]

    /// Return rows: ids of Shiprocket's return statuses, returns whatever `is_return` says. Other ids on a return
    /// (`is_return = 1`) map as their forward row, in the return direction.
    public static let returnRows: [Row] = [
        // 21 Return Pending / 22 Return Initiated: the return order exists.
        row([21, 22], [], .returnOrderPlaced, .customerReturn),
        // 23 Return Pickup Queued: nearest type PICKUP_QUEUE.
        row([23], [], .pickupQueue, .customerReturn),
        // 24 Return Pickup Error / 49 Return Pickup Exception: the courier retries the pickup.
        row([24, 49], [], .pickupError, .customerReturn),
        row([25], [], .inTransit, .customerReturn),
        row([26], [], .delivered, .customerReturn),
        row([27], [], .cancelled, .customerReturn),
        // 28 Return Pickup Generated: the return AWB exists.
        row([28], [], .awbGenerated, .customerReturn),
        // 29 Return Cancellation Requested: nearest type CANCELLATION_REQUESTED.
        row([29], [], .cancellationRequested, .customerReturn),
        // 30 Return Pickup Cancelled: an explicit cancellation of the pickup.
        row([30], [], .pickupCancelled, .customerReturn),
        // 31 Return Pickup Rescheduled.
        row([31], [], .pickupRescheduled, .customerReturn),
        row([32], [], .returnPickedUp, .customerReturn),
        row([47], [], .outForPickup, .customerReturn),
        row([48], [], .outForDelivery, .customerReturn),
        // 50 Return Undelivered: the return could not be handed over at the warehouse; UNDELIVERED as for 36.
        row([50], [], .undelivered, .customerReturn),
        // 57 QC Failed: the returned item failed the quality check (a type of our own).
        row([57], [], .qcFailed, .customerReturn),
        // 68 Return Acknowledged: no notification (the OMS acknowledges returns itself, return-ack route).
        row([68], [], nil, .customerReturn),
    ]

    private static let byCurrent: [Int: Row] = index(rows, \.currentStatusIds)
    private static let byShipment: [Int: Row] = index(rows, \.shipmentStatusIds)
    private static let returnByCurrent: [Int: Row] = index(returnRows, \.currentStatusIds)

    private static func index(_ rows: [Row], _ ids: KeyPath<Row, [Int]>) -> [Int: Row] {
        var table: [Int: Row] = [:]
        for row in rows { for id in row[keyPath: ids] { table[id] = row } }
        return table
    }

    /// Looks up a status.
    public static func lookup(currentStatusId: Int?, shipmentStatusId: Int?, isReturn: Bool) -> MappingLookup {
        if let currentStatusId, let row = returnByCurrent[currentStatusId] {
            return .mapped(row.mapping)  // return-table ids are returns whatever is_return says
        }
        let row = currentStatusId.flatMap { byCurrent[$0] } ?? shipmentStatusId.flatMap { byShipment[$0] }
        guard let row else { return .unknownStatus }
        guard isReturn else { return .mapped(row.mapping) }
        // A reverse shipment has no RTO of its own.
        if row.mapping.direction == .rto { return .mapped(StatusMapping(nil, .customerReturn)) }
        return .mapped(StatusMapping(row.mapping.type == .pickedUp ? .returnPickedUp : row.mapping.type,
                                     .customerReturn))
    }
}
