public import NIOCore
import NIOPosix
import Synchronization

/// Deadlines of operations in flight, checked by one repeating event-loop timer instead of a timer per operation.
///
/// A timer scheduled from a task wakes its event loop (a write to the loop's eventfd and a thread switch), and so does
/// cancelling it (its promise is failed on the loop): two wake-ups for every store operation, callback commit and
/// webhook attempt whose deadline did not come. Here an operation takes a lock to register its deadline and again to
/// withdraw it; the timer re-arms itself on its own loop while anything is registered and stops when nothing is. A
/// deadline fires at most one `tick` late.
public final class DeadlineWheel: Sendable {
    /// The wheel the store and the delivery engine share: deadlines of seconds, so 50 ms late at most is nothing.
    public static let shared = DeadlineWheel(tick: .milliseconds(50))

    /// What `schedule` returns; `cancel` takes it.
    public struct Token: Sendable {
        fileprivate let id: UInt64
    }

    private struct Entry {
        var deadline: NIODeadline
        var fire: @Sendable () -> Void
    }

    private struct State {
        var nextID: UInt64 = 0
        var entries: [UInt64: Entry] = [:]
        /// A sweep is scheduled.
        var armed = false
    }

    private let state = Mutex(State())
    private let tick: TimeAmount
    private let loop: any EventLoop

    /// - Parameter loop: where the sweeps run (default: one of NIO's shared event loops).
    public init(tick: TimeAmount, loop: (any EventLoop)? = nil) {
        precondition(tick > .zero)
        self.tick = tick
        self.loop = loop ?? MultiThreadedEventLoopGroup.singleton.next()
    }

    /// Calls `fire` (on the wheel's event loop: keep it short) once `deadline` has passed, unless `cancel` comes
    /// first.
    public func schedule(at deadline: NIODeadline, _ fire: @escaping @Sendable () -> Void) -> Token {
        let (token, arm) = state.withLock { state -> (Token, Bool) in
            state.nextID &+= 1
            state.entries[state.nextID] = Entry(deadline: deadline, fire: fire)
            defer { state.armed = true }
            return (Token(id: state.nextID), !state.armed)
        }
        // Only when the wheel was idle: one wake-up for a burst of operations, not two per operation.
        if arm { loop.scheduleTask(in: tick) { self.sweep() } }
        return token
    }

    /// Withdraws a deadline (nothing happens if it fired already).
    public func cancel(_ token: Token) {
        _ = state.withLock { $0.entries.removeValue(forKey: token.id) }
    }

    /// Deadlines registered and not yet fired or cancelled.
    public var count: Int { state.withLock { $0.entries.count } }

    /// Fires what is due; re-arms while anything is registered (from the loop itself: no wake-up).
    private func sweep() {
        let now = NIODeadline.now()
        let (due, rearm) = state.withLock { state -> ([Entry], Bool) in
            let ids = state.entries.compactMap { $0.value.deadline <= now ? $0.key : nil }
            let due = ids.compactMap { state.entries.removeValue(forKey: $0) }
            state.armed = !state.entries.isEmpty
            return (due, state.armed)
        }
        for entry in due { entry.fire() }
        if rearm { loop.scheduleTask(in: tick) { self.sweep() } }
    }
}
