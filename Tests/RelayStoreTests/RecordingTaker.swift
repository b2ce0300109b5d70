import RelayCore
import RelayDelivery
import RelayStore
import Synchronization

/// A delivery engine's side of `FreshDeliveryTaker`, recorded: it reserves what it is told to and keeps what it
/// is handed.
final class RecordingTaker: FreshDeliveryTaker {
    let slots: [String: Int]
    let taken = Mutex<[DueDelivery]>([])
    let settled = Mutex<[FreshLeases]>([])

    init(slots: [String: Int]) { self.slots = slots }

    func reserve(_ wanted: [String: Int]) -> FreshLeases? {
        var granted: [String: Int] = [:]
        for (id, count) in wanted {
            if let free = slots[id], min(free, count) > 0 { granted[id] = min(free, count) }
        }
        guard !granted.isEmpty else { return nil }
        let until = EventTime(epochMilliseconds: WallClock.now().epochMilliseconds + 60_000)
        return FreshLeases(owner: "fresh-test", until: until, slots: granted)
    }

    func take(_ leases: FreshLeases, leased: [DueDelivery]) {
        settled.withLock { $0.append(leases) }
        taken.withLock { $0 += leased }
    }
}
