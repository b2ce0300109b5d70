/// The messages the client's OMS sends through the relay (docs/CONTRACT.md §5), validated before they are stored.
public enum OMSMessageKind: String, Sendable, Hashable, CaseIterable {
    /// Return Order Ack (seed 000/002), delivered by PUT to the `return_ack` endpoint.
    case returnAck = "RETURN_ACK"
    /// `INVOICE_GENERATED` invoice notification, delivered to the notification URL.
    case invoice = "INVOICE_GENERATED"
    /// Outward order posting (seed 003), delivered to the `order_posting` endpoint; idempotent on `messageId`.
    case orderPosting = "ORDER_POSTING"

    /// The endpoint kind the message goes to.
    public var endpointKind: Endpoint.Kind {
        switch self {
        case .returnAck: .returnAck
        case .invoice: .notification
        case .orderPosting: .orderPosting
        }
    }
}

/// A validated OMS message.
public struct OMSMessage: Sendable {
    public var kind: OMSMessageKind
    /// The body to deliver, as received.
    public var payload: JSONValue
    /// The order the message is about: deliveries of one order leave in order.
    public var orderCode: String
    /// Idempotency key: `messageId` for order postings.
    public var idempotencyKey: String?
}

/// Why an OMS body was refused: the field (JSON path) and the reason. The server answers 400 with both.
public struct OMSValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var reason: String
    public var description: String { "\(field): \(reason)" }
}
