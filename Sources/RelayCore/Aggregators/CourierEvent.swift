/// One shipment status fact parsed from a callback (a Shipway callback can hold several).
public struct CourierEvent: Sendable, Hashable {
    /// Whether the event drives a notification or is kept as history only.
    public enum Role: String, Sendable, Hashable, Codable {
        /// The status to relay (Clickpost `latest_status`, or the only status in the callback).
        case driving
        /// An older scan kept for the shipment's history (Clickpost's outer scan when `latest_status` differs).
        case history
    }

    public var aggregator: Aggregator
    public var role: Role
    /// The AWB of the shipment the event is about (the reverse AWB for customer returns); nil when not sent.
    public var awb: String?
    /// The order id the callback carries (the return's own id for customer returns).
    public var orderId: String?
    /// Courier / carrier name as the aggregator reports it.
    public var courierName: String?
    /// The aggregator's status key as used for mapping, e.g. `8`, `20/18`, `DEL`, `Exception/PickupException`.
    public var statusCode: String
    /// The aggregator's status text, e.g. `Delivered`.
    public var statusText: String?
    /// The raw courier status or code.
    public var courierStatus: String?
    public var remark: String?
    public var location: String?
    /// Non-delivery reason, when the event is an NDR.
    public var ndrReason: String?
    /// When the courier recorded the event; nil when absent or unreadable.
    public var eventTime: EventTime?
    /// The timestamp text as sent.
    public var eventTimeText: String?
    /// The mapping-table verdict.
    public var mapping: MappingLookup
    /// Forward AWB of a customer return, when the aggregator sends it.
    public var forwardAwb: String?
    /// Forward order code of a customer return, when the aggregator sends it.
    public var forwardOrderCode: String?
    /// The return's own id, for customer returns.
    public var returnOrderId: String?
    /// The RTO AWB when the courier assigns one.
    public var rtoAwb: String?
    /// Items the callback lists (Clickpost return `item_info`).
    public var items: [NotificationItem]?
    /// The semantic key of this fact (docs/AGGREGATORS.md §1.8, §2.5, §3.5, §4.4), used for dedup.
    public var dedupKey: String

    public init(
        aggregator: Aggregator, role: Role = .driving, awb: String?, orderId: String?, courierName: String?,
        statusCode: String, statusText: String? = nil, courierStatus: String? = nil, remark: String? = nil,
        location: String? = nil, ndrReason: String? = nil, eventTime: EventTime?, eventTimeText: String?,
        mapping: MappingLookup, forwardAwb: String? = nil, forwardOrderCode: String? = nil,
        returnOrderId: String? = nil, rtoAwb: String? = nil, items: [NotificationItem]? = nil, dedupKey: String
    ) {
        self.aggregator = aggregator
        self.role = role
        self.awb = awb
        self.orderId = orderId
        self.courierName = courierName
        self.statusCode = statusCode
        self.statusText = statusText
        self.courierStatus = courierStatus
        self.remark = remark
        self.location = location
        self.ndrReason = ndrReason
        self.eventTime = eventTime
        self.eventTimeText = eventTimeText
        self.mapping = mapping
        self.forwardAwb = forwardAwb
        self.forwardOrderCode = forwardOrderCode
        self.returnOrderId = returnOrderId
        self.rtoAwb = rtoAwb
        self.items = items
        self.dedupKey = dedupKey
    }
}

/// One line of `items` in a notification.
public struct NotificationItem: Sendable, Hashable, Codable {
    public var itemId: String?
    public var sku: String
    public var quantity: Int

    public init(itemId: String?, sku: String, quantity: Int) {
        self.itemId = itemId
        self.sku = sku
        self.quantity = quantity
    }

    var json: JSONValue {
        ["itemId": .string(orNull: itemId), "sku": .string(sku), "quantity": .int(Int64(quantity))]
    }
}
