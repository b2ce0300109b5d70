/// Identifies one shipment timeline: a client's AWB (or, before an AWB exists, the return order id) on one leg.
public struct ShipmentKey: Sendable, Hashable, Codable {
    public var client: String
    /// The AWB, or `order:<id>` when the callback has no AWB yet (a return order just placed).
    public var shipment: String
    public var leg: ShipmentLeg

    public init(client: String, shipment: String, leg: ShipmentLeg) {
        self.client = client
        self.shipment = shipment
        self.leg = leg
    }
}

/// What the relay remembers per shipment timeline to suppress stale and post-terminal events.
public struct ShipmentState: Sendable, Hashable, Codable {
    /// Courier time of the newest relayed event.
    public var newestRelayed: EventTime?
    /// The terminal type relayed, if any.
    public var terminal: NotificationType?
    /// Whether an `RTO` was relayed (later RTO-family statuses are progress).
    public var rtoRaised: Bool
    /// Short dedup keys of the notifications produced for this shipment (newest last, at most
    /// `maxNotificationKeys`): the same notification for the same courier event is produced once.
    public var notificationKeys: [String]

    /// How many notification keys a shipment remembers; older events are caught by the stale rule.
    public static let maxNotificationKeys = 64

    public init(newestRelayed: EventTime? = nil, terminal: NotificationType? = nil, rtoRaised: Bool = false,
                notificationKeys: [String] = []) {
        self.newestRelayed = newestRelayed
        self.terminal = terminal
        self.rtoRaised = rtoRaised
        self.notificationKeys = notificationKeys
    }

    /// Remembers a produced notification's key.
    public mutating func remember(notificationKey: String) {
        notificationKeys.append(notificationKey)
        if notificationKeys.count > Self.maxNotificationKeys {
            notificationKeys.removeFirst(notificationKeys.count - Self.maxNotificationKeys)
        }
    }
}

/// A shipment registered by the OMS (SPEC §5): order data that enriches every notification for its AWB.
public struct ShipmentRegistration: Sendable, Hashable {
    public var awb: String
    public var forwardOrderCode: String?
    public var forwardShipmentCode: String?
    public var warehouseCode: String?
    public var items: [NotificationItem]?
    /// Set when the AWB is a return shipment.
    public var isReturn: Bool
    public var returnOrderInfo: ReturnOrderInfo?

    public init(awb: String, forwardOrderCode: String? = nil, forwardShipmentCode: String? = nil,
                warehouseCode: String? = nil, items: [NotificationItem]? = nil, isReturn: Bool = false,
                returnOrderInfo: ReturnOrderInfo? = nil) {
        self.awb = awb
        self.forwardOrderCode = forwardOrderCode
        self.forwardShipmentCode = forwardShipmentCode
        self.warehouseCode = warehouseCode
        self.items = items
        self.isReturn = isReturn
        self.returnOrderInfo = returnOrderInfo
    }
}

/// `returnOrderInfo` of a return notification.
public struct ReturnOrderInfo: Sendable, Hashable {
    public var returnOrderId: String?
    public var returnAwb: String?
    public var transporter: String?
    /// Epoch seconds.
    public var returnOrderTime: Int64?

    public init(returnOrderId: String?, returnAwb: String?, transporter: String?, returnOrderTime: Int64?) {
        self.returnOrderId = returnOrderId
        self.returnAwb = returnAwb
        self.transporter = transporter
        self.returnOrderTime = returnOrderTime
    }

    var json: JSONValue {
        [
            "returnOrderId": .string(orNull: returnOrderId), "returnAwb": .string(orNull: returnAwb),
            "transporter": .string(orNull: transporter), "returnOrderTime": .int(orNull: returnOrderTime),
        ]
    }
}
