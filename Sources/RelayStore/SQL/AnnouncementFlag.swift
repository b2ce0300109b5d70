import Synchronization

/// Set by a write that announced deliveries; read once the write committed.
final class AnnouncementFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    func raise() { raised.store(true, ordering: .relaxed) }
    var isRaised: Bool { raised.load(ordering: .relaxed) }
}
