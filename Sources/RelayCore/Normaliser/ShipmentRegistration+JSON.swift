extension ShipmentRegistration {
    /// Reads a registration from its JSON form (the body of `PUT /v1/clients/{id}/shipments/{awb}`).
    public init?(json: JSONValue, awb: String) {
        guard json.object != nil else { return nil }
        let items = json["items"]?.array?.compactMap { item -> NotificationItem? in
            guard let sku = item["sku"]?.text else { return nil }
            return NotificationItem(itemId: item["itemId"]?.text, sku: sku, quantity: Int(item["quantity"]?.integer ?? 1))
        }
        let info = json["returnOrderInfo"].flatMap { value -> ReturnOrderInfo? in
            guard value.object != nil else { return nil }
            return ReturnOrderInfo(returnOrderId: value["returnOrderId"]?.text, returnAwb: value["returnAwb"]?.text,
                                   transporter: value["transporter"]?.text,
                                   returnOrderTime: value["returnOrderTime"]?.integer)
        }
        self.init(awb: awb, forwardOrderCode: json["forwardOrderCode"]?.text,
                  forwardShipmentCode: json["forwardShipmentCode"]?.text, warehouseCode: json["warehouseCode"]?.text,
                  items: items, isReturn: json["direction"]?.text?.uppercased() == "RETURN" || info != nil,
                  returnOrderInfo: info)
    }

    /// The JSON form stored in the registry.
    public var json: JSONValue {
        [
            "forwardOrderCode": .string(orNull: forwardOrderCode),
            "forwardShipmentCode": .string(orNull: forwardShipmentCode),
            "warehouseCode": .string(orNull: warehouseCode),
            "items": items.map { .array($0.map(\.json)) } ?? .null,
            "direction": .string(isReturn ? "RETURN" : "FORWARD"),
            "returnOrderInfo": returnOrderInfo?.json ?? .null,
        ]
    }
}
