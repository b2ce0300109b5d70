public import RelayCore

extension DueDelivery {
    /// A delivery that is not in the store: the admin test send (`POST /admin/v1/endpoints/{id}/test`).
    public init(
        unstoredNotificationId notificationId: String, client: String, endpointId: String, payload: [UInt8],
        trigger: String, now: EventTime
    ) {
        self.init(
            seq: 0, notificationId: notificationId, client: client, endpointId: endpointId, orderingKey: "",
            eventTime: now, nextAttemptAt: now, attempts: 0, payload: payload, trigger: trigger)
    }
}
