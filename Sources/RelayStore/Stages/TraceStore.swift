import RelayCore

/// Read-only views of what was stored, for ops, the admin API and tests.
public protocol TraceStore: Sendable {
    /// Everything stored about an AWB, in time order.
    func trace(client: String?, awb: String) async throws -> [TraceEntry]

    /// Notifications of a client's AWB, oldest first.
    func notifications(client: String, awb: String) async throws -> [StoredNotification]

    /// Events of a client's AWB, oldest first.
    func events(client: String, awb: String) async throws -> [StoredEvent]

    /// Deliveries of a notification, or all of them when `notificationId` is nil (bounded by `limit`).
    func deliveries(notificationId: String?, limit: Int) async throws -> [StoredDelivery]

    /// Attempts of a delivery, oldest first.
    func attempts(delivery seq: Int64) async throws -> [StoredAttempt]

    /// All notifications, oldest first (bounded by `limit`).
    func allNotifications(limit: Int) async throws -> [StoredNotification]

    /// Whole-store counts.
    func counts() async throws -> StoreCounts
}
