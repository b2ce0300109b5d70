/// The `notificationType` of an outbound notification: the documented names plus an open `unknown` case, so a
/// renamed or added type is not a breaking change (docs/CONTRACT.md §4.2).
public enum NotificationType: Sendable, Hashable {
    case shippingLabelGenerated, outForPickup, returnPickedUp, outForDelivery, failedDelivery, delivered, rto
    case returnOrderPlaced, awbGenerated, cancelled, rtoDelivered, exchangePickup, exchangeDelivered
    case pickupCancelled, shipmentStuck, slaBreached, lost, damaged, invoiced, readyToShip, pickupScheduled
    case shipped, paymentFailed, unfulfillable, pickupQueue, pickupRescheduled, pickedUp, inTransit
    case invoiceGenerated
    case pickupError, cancellationRequested, undelivered, deliveryDelayed, reachedDestinationHub, misrouted
    case rtoAcknowledged
    /// A return failed the quality check at pickup or at the warehouse (Shiprocket 57). A name of our own, like
    /// `PICKUP_ERROR`: the seed lists a "QC Failed" notification for returns without spelling its type.
    case qcFailed
    case unknown(String)

    /// Every named case, in the order of docs/CONTRACT.md §4.2.
    public static let known: [NotificationType] = [
        .shippingLabelGenerated, .outForPickup, .returnPickedUp, .outForDelivery, .failedDelivery, .delivered,
        .rto, .returnOrderPlaced, .awbGenerated, .cancelled, .rtoDelivered, .exchangePickup, .exchangeDelivered,
        .pickupCancelled, .shipmentStuck, .slaBreached, .lost, .damaged, .invoiced, .readyToShip, .pickupScheduled,
        .shipped, .paymentFailed, .unfulfillable, .pickupQueue, .pickupRescheduled, .pickedUp, .inTransit,
        .invoiceGenerated, .pickupError, .cancellationRequested, .undelivered, .deliveryDelayed,
        .reachedDestinationHub, .misrouted, .rtoAcknowledged, .qcFailed,
    ]

    /// The wire name, e.g. `OUT_FOR_DELIVERY`.
    public var name: String {
        switch self {
        case .shippingLabelGenerated: "SHIPPING_LABEL_GENERATED"
        case .outForPickup: "OUT_FOR_PICKUP"
        case .returnPickedUp: "RETURN_PICKED_UP"
        case .outForDelivery: "OUT_FOR_DELIVERY"
        case .failedDelivery: "FAILED_DELIVERY"
        case .delivered: "DELIVERED"
        case .rto: "RTO"
        case .returnOrderPlaced: "RETURN_ORDER_PLACED"
        case .awbGenerated: "AWB_GENERATED"
        case .cancelled: "CANCELLED"
        case .rtoDelivered: "RTO_DELIVERED"
        case .exchangePickup: "EXCHANGE_PICKUP"
        case .exchangeDelivered: "EXCHANGE_DELIVERED"
        case .pickupCancelled: "PICKUP_CANCELLED"
        case .shipmentStuck: "SHIPMENT_STUCK"
        case .slaBreached: "SLA_BREACHED"
        case .lost: "LOST"
        case .damaged: "DAMAGED"
        case .invoiced: "INVOICED"
        case .readyToShip: "READY_TO_SHIP"
        case .pickupScheduled: "PICKUP_SCHEDULED"
        case .shipped: "SHIPPED"
        case .paymentFailed: "PAYMENT_FAILED"
        case .unfulfillable: "UNFULFILLABLE"
        case .pickupQueue: "PICKUP_QUEUE"
        case .pickupRescheduled: "PICKUP_RESCHEDULED"
        case .pickedUp: "PICKED_UP"
        case .inTransit: "IN_TRANSIT"
        case .invoiceGenerated: "INVOICE_GENERATED"
        case .pickupError: "PICKUP_ERROR"
        case .cancellationRequested: "CANCELLATION_REQUESTED"
        case .undelivered: "UNDELIVERED"
        case .deliveryDelayed: "DELIVERY_DELAYED"
        case .reachedDestinationHub: "REACHED_DESTINATION_HUB"
        case .misrouted: "MISROUTED"
        case .rtoAcknowledged: "RTO_ACKNOWLEDGED"
        case .qcFailed: "QC_FAILED"
        case .unknown(let name): name
        }
    }

    private static let byName: [String: NotificationType] = Dictionary(
        uniqueKeysWithValues: known.map { ($0.name, $0) }
    )

    /// The type named `name`; `RETURN_PICKUP` (a legacy spelling) reads as `RETURN_PICKED_UP`.
    public init(name: String) {
        let upper = name.uppercased()
        if upper == "RETURN_PICKUP" {
            self = .returnPickedUp
        } else {
            self = Self.byName[upper] ?? .unknown(upper)
        }
    }

    /// Terminal types: after one of these only another terminal type, `DAMAGED` or `RTO_ACKNOWLEDGED` is relayed.
    public var isTerminal: Bool {
        switch self {
        case .delivered, .rtoDelivered, .cancelled, .lost: true
        default: false
        }
    }

    /// Types that are relayed even after a terminal one (docs/CONTRACT.md §4.4).
    public var isAllowedAfterTerminal: Bool {
        isTerminal || self == .damaged || self == .rtoAcknowledged
    }

    /// Return-only types: a notification of one of these always carries `returnOrderInfo`. `EXCHANGE_PICKUP` and
    /// `EXCHANGE_DELIVERED` are not among them: their direction follows the usual rule (docs/MAPPING.md).
    public var isReturnType: Bool {
        switch self {
        case .returnOrderPlaced, .returnPickedUp, .rto, .rtoDelivered, .rtoAcknowledged, .qcFailed:
            true
        default: false
        }
    }
}

extension NotificationType: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(name: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

extension NotificationType: CustomStringConvertible {
    public var description: String { name }
}
