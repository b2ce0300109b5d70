/// Builds the outbound notification body of docs/CONTRACT.md §4.1, keys in the documented order.
public enum NotificationPayload {
    /// A forward or return shipment notification.
    /// - Parameter returnOrderTime: `returnOrderInfo.returnOrderTime` (epoch seconds) of a return when the registry
    ///   has none: the time of the shipment's first return event (default: this event's time).
    public static func shipment(
        event: CourierEvent, type: NotificationType, direction: Direction, client: Client, receivedAt: EventTime,
        registration: ShipmentRegistration?, returnOrderTime: Int64? = nil
    ) -> JSONValue {
        let eventSeconds = returnOrderTime ?? (event.eventTime ?? receivedAt).epochSeconds
        // An AWB is not an order code: without one from the registry or the callback the code stays nil and the
        // notification is held (`awaiting_order`) until the AWB is registered (issue #13, decision 9).
        let forwardOrderCode: String?
        let forwardAwb: String?
        var returnInfo: ReturnOrderInfo?
        switch direction {
        case .forward:
            forwardOrderCode = registration?.forwardOrderCode ?? event.orderId
            forwardAwb = event.awb
        case .rto:
            forwardOrderCode = registration?.forwardOrderCode ?? event.orderId
            forwardAwb = event.awb
            returnInfo = ReturnOrderInfo(
                returnOrderId: forwardOrderCode, returnAwb: event.rtoAwb ?? event.awb,
                transporter: event.courierName, returnOrderTime: eventSeconds
            )
        case .customerReturn:
            let returnOrderId = event.returnOrderId ?? event.orderId
            forwardOrderCode = registration?.forwardOrderCode ?? event.forwardOrderCode ?? returnOrderId
            forwardAwb = event.forwardAwb
            returnInfo = ReturnOrderInfo(
                returnOrderId: returnOrderId, returnAwb: event.awb, transporter: event.courierName,
                returnOrderTime: eventSeconds
            )
        }
        if let registered = registration?.returnOrderInfo, direction.isReturn {
            returnInfo = ReturnOrderInfo(
                returnOrderId: registered.returnOrderId ?? returnInfo?.returnOrderId,
                returnAwb: registered.returnAwb ?? returnInfo?.returnAwb,
                transporter: registered.transporter ?? returnInfo?.transporter,
                returnOrderTime: registered.returnOrderTime ?? returnInfo?.returnOrderTime
            )
        }
        let items = registration?.items ?? event.items.flatMap { $0.isEmpty ? nil : $0 }
        return [
            "forwardOrderCode": .string(orNull: forwardOrderCode.flatMap { $0.isEmpty ? nil : $0 }),
            "forwardShipmentCode": .string(orNull: registration?.forwardShipmentCode),
            "forwardAwb": .string(orNull: forwardAwb),
            "courierName": .string(orNull: event.courierName),
            "notificationType": .string(type.name),
            "notificationUpdateTime": .int(receivedAt.epochSeconds),
            "logisticAggregatorInfo": [
                "logisticAggregatorName": .string(event.aggregator.notificationName),
                "logisticAggregatorMetaData": metadata(event: event, client: client),
            ],
            "returnOrderInfo": returnInfo?.json ?? .null,
            "warehouseCode": .string(orNull: registration?.warehouseCode),
            "items": items.map { .array($0.map(\.json)) } ?? .null,
        ]
    }

    /// The client's static metadata plus what the callback says about the courier event (never a secret or header).
    static func metadata(event: CourierEvent, client: Client) -> JSONValue {
        var object = JSONObject()
        for entry in client.metadata { object[entry.key] = .string(entry.value) }
        let extras: [(String, String?)] = [
            ("statusCode", event.statusCode),
            ("statusText", event.statusText),
            ("courierStatus", event.courierStatus),
            ("remark", event.remark),
            ("location", event.location),
            ("eventTime", event.eventTime?.iso8601),
            ("ndrReason", event.ndrReason),
        ]
        for (name, value) in extras {
            if let value, !value.isEmpty, object[name] == nil { object[name] = .string(value) }
        }
        return .object(object)
    }
}
