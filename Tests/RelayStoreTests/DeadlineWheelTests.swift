import NIOCore
import RelayStore
import Synchronization
import Testing

@Suite("Deadline wheel")
struct DeadlineWheelTests {
    final class Fired: Sendable {
        let at = Mutex<[Int: NIODeadline]>([:])
    }

    /// Waits until `condition` holds or `limit` passes.
    static func wait(upTo limit: Duration, _ condition: () -> Bool) async throws {
        let end = ContinuousClock.now + limit
        while !condition(), ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test("a deadline fires once, not before it passes and at most about a tick after; a cancelled one never fires")
    func firesAndCancels() async throws {
        let wheel = DeadlineWheel(tick: .milliseconds(20))
        let fired = Fired()
        let start = NIODeadline.now()
        var tokens: [DeadlineWheel.Token] = []
        for index in 0..<200 {
            let deadline = start + .milliseconds(Int64(30 + index % 5 * 20))
            tokens.append(wheel.schedule(at: deadline) {
                fired.at.withLock { at in
                    #expect(at[index] == nil, "fired twice")
                    at[index] = .now()
                }
            })
        }
        // Every other one is withdrawn before it is due.
        for index in stride(from: 1, to: 200, by: 2) { wheel.cancel(tokens[index]) }
        try await Self.wait(upTo: .seconds(5)) { fired.at.withLock { $0.count } == 100 && wheel.count == 0 }
        try await Task.sleep(for: .milliseconds(100))  // a withdrawn deadline would have fired by now
        let at = fired.at.withLock { $0 }
        #expect(Set(at.keys) == Set(stride(from: 0, to: 200, by: 2)))
        for (index, time) in at {
            let deadline = start + .milliseconds(Int64(30 + index % 5 * 20))
            #expect(time >= deadline)
            // A tick late at most, plus this machine's scheduling: generous, the point is "not seconds".
            #expect(time - deadline < .milliseconds(500))
        }
        #expect(wheel.count == 0)
    }

    @Test("the wheel stops when nothing is registered and starts again for the next deadline")
    func restarts() async throws {
        let wheel = DeadlineWheel(tick: .milliseconds(10))
        let count = Atomic<Int>(0)
        for round in 0..<3 {
            _ = wheel.schedule(at: .now() + .milliseconds(15)) { count.add(1, ordering: .relaxed) }
            try await Self.wait(upTo: .seconds(5)) { count.load(ordering: .relaxed) == round + 1 }
            #expect(count.load(ordering: .relaxed) == round + 1)
            try await Task.sleep(for: .milliseconds(50))  // idle: the sweep found nothing and stopped
        }
        #expect(wheel.count == 0)
    }
}
