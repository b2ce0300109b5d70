/// Checks OMS bodies against the required fields of `Schemas/return-ack.schema.json`,
/// `Schemas/invoice-notification.schema.json` and `Schemas/order-posting.schema.json`, naming the first bad field.
public enum OMSValidator {
    enum Expected {
        case string, integer, boolean, object, nonEmptyArray, stringOrInteger, number
    }

    static func check(_ value: JSONValue?, _ expected: Expected, at path: String) throws(OMSValidationError) {
        guard let value, !value.isNull else { throw OMSValidationError(field: path, reason: "is required") }
        let ok: Bool
        switch expected {
        case .string: ok = value.text != nil && { if case .string = value { true } else { false } }()
        case .integer: if case .int = value { ok = true } else { ok = false }
        case .number:
            switch value {
            case .int, .double: ok = true
            default: ok = false
            }
        case .boolean: if case .bool = value { ok = true } else { ok = false }
        case .object: ok = value.object != nil
        case .nonEmptyArray: ok = !(value.array ?? []).isEmpty
        case .stringOrInteger:
            switch value {
            case .int: ok = true
            case .string(let text): ok = !text.isEmpty
            default: ok = false
            }
        }
        guard ok else {
            let what: String
            switch expected {
            case .string: what = "must be a non-empty string"
            case .integer: what = "must be an integer"
            case .number: what = "must be a number"
            case .boolean: what = "must be true or false"
            case .object: what = "must be an object"
            case .nonEmptyArray: what = "must be a non-empty list"
            case .stringOrInteger: what = "must be a string or an integer"
            }
            throw OMSValidationError(field: path, reason: what)
        }
    }

    static func requireAll(_ value: JSONValue, _ fields: [(String, Expected)], at prefix: String) throws(OMSValidationError) {
        guard value.object != nil else {
            throw OMSValidationError(field: prefix.isEmpty ? "(body)" : prefix, reason: "must be a JSON object")
        }
        for (name, expected) in fields {
            try check(value[name], expected, at: prefix.isEmpty ? name : "\(prefix).\(name)")
        }
    }

    /// Validates a Return Order Ack: `qcStatus` PASS or FAIL per item, `imageUrls` only with FAIL.
    public static func returnAck(_ body: JSONValue) throws(OMSValidationError) -> OMSMessage {
        try requireAll(body, [("returnOrderCode", .string), ("forwardOrderCode", .string), ("locationCode", .string),
                              ("orderItems", .nonEmptyArray)], at: "")
        for (index, item) in (body["orderItems"]?.array ?? []).enumerated() {
            let path = "orderItems[\(index)]"
            try requireAll(item, [("itemCode", .string), ("channelSkuCode", .string), ("qcStatus", .string)], at: path)
            let status = item["qcStatus"]?.text ?? ""
            guard status == "PASS" || status == "FAIL" else {
                throw OMSValidationError(field: "\(path).qcStatus", reason: "must be PASS or FAIL")
            }
            if status == "PASS", let images = item["imageUrls"]?.array, !images.isEmpty {
                throw OMSValidationError(field: "\(path).imageUrls", reason: "is only allowed when qcStatus is FAIL")
            }
        }
        return OMSMessage(kind: .returnAck, payload: body, orderCode: body["forwardOrderCode"]?.text ?? "",
                          idempotencyKey: nil)
    }

    /// Validates an `INVOICE_GENERATED` notification; a missing `notificationUpdateTime` is set to `receivedAt`.
    public static func invoice(_ body: JSONValue, receivedAt: EventTime) throws(OMSValidationError) -> OMSMessage {
        var object = body.object ?? JSONObject()
        if body.object != nil, object["notificationUpdateTime"] == nil {
            object["notificationUpdateTime"] = .int(receivedAt.epochSeconds)
        }
        let filled = JSONValue.object(object)
        try requireAll(filled, [("forwardOrderCode", .string), ("forwardShipmentCode", .string),
                                ("notificationType", .string), ("notificationUpdateTime", .integer),
                                ("invoiceData", .object)], at: "")
        guard filled["notificationType"]?.text == "INVOICE_GENERATED" else {
            throw OMSValidationError(field: "notificationType", reason: "must be INVOICE_GENERATED")
        }
        try requireAll(filled["invoiceData"] ?? .null, [("invoiceId", .stringOrInteger), ("invoiceStatus", .string),
                                                        ("documentType", .string)], at: "invoiceData")
        if filled["invoiceData"]?["documentUrl"] == nil {
            throw OMSValidationError(field: "invoiceData.documentUrl", reason: "is required")
        }
        return OMSMessage(kind: .invoice, payload: filled, orderCode: filled["forwardOrderCode"]?.text ?? "",
                          idempotencyKey: nil)
    }

    /// Validates an outward order posting (seed 003).
    public static func orderPosting(_ body: JSONValue) throws(OMSValidationError) -> OMSMessage {
        try requireAll(body, [
            ("messageId", .integer), ("eventType", .string), ("orderCode", .string), ("partnerCode", .string),
            ("partnerLocationCode", .string), ("isPriority", .boolean), ("locationCode", .string),
            ("channelName", .string), ("orderTime", .stringOrInteger), ("orderType", .string),
            ("paymentMethod", .string), ("eventTime", .string), ("orderItems", .nonEmptyArray),
            ("shippingAddress", .object), ("billingAddress", .object),
        ], at: "")
        guard let eventType = body["eventType"]?.text, eventType.hasPrefix("OUTWARD_ORDER_") else {
            throw OMSValidationError(field: "eventType", reason: "must be an OUTWARD_ORDER_* event")
        }
        for (index, item) in (body["orderItems"]?.array ?? []).enumerated() {
            try requireAll(item, [("orderItemCode", .string), ("channelSkuCode", .string),
                                  ("orderedQuantity", .integer), ("cancelledQuantity", .integer),
                                  ("sellingPricePerUnit", .number)], at: "orderItems[\(index)]")
        }
        return OMSMessage(kind: .orderPosting, payload: body, orderCode: body["orderCode"]?.text ?? "",
                          idempotencyKey: body["messageId"]?.text)
    }
}
