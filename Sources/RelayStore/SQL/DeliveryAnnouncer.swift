import Synchronization

/// Tells the delivery loop that a committed write made deliveries due (new notifications, a release of held ones,
/// a replay, an endpoint enabled again): the queue announces its own changes, so no caller has to remember to wake
/// the loop. On PostgreSQL the same announcement is a `NOTIFY` that every instance's `LISTEN` receives.
final class DeliveryAnnouncer: Sendable {
    private let handlers = Mutex<[@Sendable () -> Void]>([])

    func observe(_ handler: @escaping @Sendable () -> Void) {
        handlers.withLock { $0.append(handler) }
    }

    func announce() {
        for handler in handlers.withLock({ $0 }) { handler() }
    }
}
