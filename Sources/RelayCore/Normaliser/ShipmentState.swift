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
    ///
    /// The list also carries tagged facts (`rot:<epoch seconds>` for `returnOrderTime`), so that a new fact about a
    /// shipment needs no change to the stores' schema: the stores persist the list as it is.
    public var notificationKeys: [String]

    /// How many notification keys a shipment remembers; older events are caught by the stale rule.
    public static let maxNotificationKeys = 64

    private static let returnOrderTimeTag = "rot:"

    /// `returnOrderInfo.returnOrderTime` of this shipment's return notifications, in epoch seconds: the time of the
    /// first return event the relay saw for it, so that every notification of one return carries the same value.
    public var returnOrderTime: Int64? {
        get {
            notificationKeys.first { $0.hasPrefix(Self.returnOrderTimeTag) }
                .flatMap { Int64($0.dropFirst(Self.returnOrderTimeTag.count)) }
        }
        set {
            notificationKeys.removeAll { $0.hasPrefix(Self.returnOrderTimeTag) }
            if let newValue { notificationKeys.insert(Self.returnOrderTimeTag + String(newValue), at: 0) }
        }
    }

    public init(newestRelayed: EventTime? = nil, terminal: NotificationType? = nil, rtoRaised: Bool = false,
                notificationKeys: [String] = []) {
        self.newestRelayed = newestRelayed
        self.terminal = terminal
        self.rtoRaised = rtoRaised
        self.notificationKeys = notificationKeys
    }

    /// Remembers a produced notification's key.
    public mutating func remember(notificationKey: String) {
        let tags = notificationKeys.filter { $0.hasPrefix(Self.returnOrderTimeTag) }
        var keys = notificationKeys.filter { !$0.hasPrefix(Self.returnOrderTimeTag) }
        keys.append(notificationKey)
        if keys.count > Self.maxNotificationKeys { keys.removeFirst(keys.count - Self.maxNotificationKeys) }
        notificationKeys = tags + keys
    }
}

/// A shipment registered by the OMS (docs/CONTRACT.md §5): order data that enriches every notification for its AWB.
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
