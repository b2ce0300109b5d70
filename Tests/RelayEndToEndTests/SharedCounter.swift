import Synchronization

/// A counter shared by concurrent test tasks.
final class SharedCounter: Sendable {
    private let atomic = Atomic<Int>(0)

    /// The current value, then one more.
    func next() -> Int { atomic.add(1, ordering: .relaxed).oldValue }
    var value: Int { atomic.load(ordering: .relaxed) }
    func set(_ value: Int) { atomic.store(value, ordering: .relaxed) }
}
