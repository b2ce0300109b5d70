public import RelayCore

/// OMS inputs: messages stored as notifications, and the shipment registry that fills order codes into held
/// notifications and releases their deliveries (issue #13).
public protocol ShipmentRegistry: Sendable {
    /// Stores an OMS message as a notification with one pending delivery per endpoint, in one transaction.
    /// With an idempotency key already seen, nothing is stored and the first notification's id is returned.
    func storeMessage(_ message: OMSMessage, client: String, endpointIds: [String], receivedAt: EventTime) async throws
        -> (notificationId: String, duplicate: Bool)

    /// Registers (or replaces) a shipment for enrichment. In the same transaction, notifications of the AWB that
    /// wait for an order code get the registration's fields, and the held (`awaiting_order`) deliveries of the AWB
    /// are released in order. Returns how many deliveries were released.
    @discardableResult
    func register(_ registration: ShipmentRegistration, client: String, now: EventTime) async throws -> Int

    /// Removes a registration; false when there was none.
    func unregister(client: String, awb: String) async throws -> Bool

    /// A registered shipment.
    func registration(client: String, awb: String) async throws -> ShipmentRegistration?

    /// Held deliveries whose hold began at or before `cutoff` and that still have no order code become dead letters
    /// (`unroutable`); deliveries held only behind them are released. Bounded per call.
    func expireAwaitingOrder(heldBefore cutoff: EventTime, now: EventTime) async throws -> (dead: Int, released: Int)

    /// Deliveries held until their AWB is registered (`awaiting_order`).
    func awaitingOrderCount() async throws -> Int
}
