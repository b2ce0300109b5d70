/// Checks OMS bodies against their JSON Schemas — `Schemas/return-ack.schema.json`,
/// `Schemas/invoice-notification.schema.json` and `Schemas/order-posting.schema.json`, embedded in
/// `OMSSchemas.swift` — and names the first bad field. A route accepts exactly what its schema accepts (issue #13,
/// decision 12; a differential test compares every verdict with Python `jsonschema`).
public enum OMSValidator {
    /// The compiled schemas (the embedded texts are tested to load).
    static let returnAckSchema = load(returnAckSchemaText)
    static let invoiceSchema = load(invoiceSchemaText)
    static let orderPostingSchema = load(orderPostingSchemaText)

    static func load(_ text: String) -> JSONSchema {
        do {
            return try JSONSchema(text: text)
        } catch {
            fatalError("an embedded OMS schema does not load: \(error)")
        }
    }

    static func validate(_ body: JSONValue, _ schema: JSONSchema) throws(OMSValidationError) {
        if let failure = schema.validate(body) {
            throw OMSValidationError(field: failure.path, reason: failure.reason)
        }
    }

    /// Validates a Return Order Ack: `qcStatus` PASS or FAIL per item, `imageUrls` only with FAIL.
    public static func returnAck(_ body: JSONValue) throws(OMSValidationError) -> OMSMessage {
        try validate(body, returnAckSchema)
        return OMSMessage(kind: .returnAck, payload: body, orderCode: body["forwardOrderCode"]?.text ?? "",
                          idempotencyKey: nil)
    }

    /// Validates an `INVOICE_GENERATED` notification (every field of the seed's table is required, including
    /// `notificationUpdateTime` in epoch seconds).
    public static func invoice(_ body: JSONValue) throws(OMSValidationError) -> OMSMessage {
        try validate(body, invoiceSchema)
        return OMSMessage(kind: .invoice, payload: body, orderCode: body["forwardOrderCode"]?.text ?? "",
                          idempotencyKey: nil)
    }

    /// Validates an outward order posting (seed 003).
    public static func orderPosting(_ body: JSONValue) throws(OMSValidationError) -> OMSMessage {
        try validate(body, orderPostingSchema)
        return OMSMessage(kind: .orderPosting, payload: body, orderCode: body["orderCode"]?.text ?? "",
                          idempotencyKey: body["messageId"]?.text)
    }
}
