/// Notifications without an order code (issue #13, decision 9).
///
/// A shipment notification is never sent with an empty `forwardOrderCode`: when neither the OMS registry
/// (`PUT /v1/clients/{c}/shipments/{awb}`) nor the callback gives one, its deliveries are stored in the state
/// `awaiting_order`. Registering the AWB fills the registry's fields into the stored payload (`filled(_:with:)`) and
/// releases the deliveries in order; after `delivery.hold_unregistered_hours` they become dead letters of class
/// `unroutable`.
public enum AwaitingOrder {
    /// The delivery state of a held delivery.
    public static let state = "awaiting_order"

    /// Whether a shipment notification payload still lacks its order code.
    public static func needsOrderCode(_ payload: JSONValue) -> Bool {
        guard payload.object != nil else { return false }
        guard let code = payload["forwardOrderCode"] else { return true }
        if case .string(let text) = code { return text.isEmpty }
        return true
    }

    /// The payload with the registration's order data filled in, as the normaliser would have built it had the AWB
    /// been registered first: order code, shipment code, warehouse and items from the registry (the registry wins),
    /// and for return payloads the registered return order info (an RTO's `returnOrderId` is its order code).
    /// Type, direction, times and the courier's fields stay as they were.
    public static func filled(_ payload: JSONValue, with registration: ShipmentRegistration) -> JSONValue {
        guard var object = payload.object else { return payload }
        if let code = registration.forwardOrderCode, !code.isEmpty { object["forwardOrderCode"] = .string(code) }
        if let shipment = registration.forwardShipmentCode { object["forwardShipmentCode"] = .string(shipment) }
        if let warehouse = registration.warehouseCode { object["warehouseCode"] = .string(warehouse) }
        if let items = registration.items { object["items"] = .array(items.map(\.json)) }
        if var info = object["returnOrderInfo"]?.object {
            let registered = registration.returnOrderInfo
            func fill(_ key: String, _ value: JSONValue?) {
                guard let value, !value.isNull else { return }
                info[key] = value
            }
            fill("returnOrderId", registered?.returnOrderId.map(JSONValue.string))
            fill("returnAwb", registered?.returnAwb.map(JSONValue.string))
            fill("transporter", registered?.transporter.map(JSONValue.string))
            fill("returnOrderTime", registered?.returnOrderTime.map(JSONValue.int))
            if info["returnOrderId"]?.isNull ?? true, let code = object["forwardOrderCode"], !code.isNull {
                info["returnOrderId"] = code
            }
            object["returnOrderInfo"] = .object(info)
        }
        return .object(object)
    }
}
