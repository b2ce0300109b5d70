import Synchronization

/// What this instance saw, minute by minute, for the `/ops` overview charts: callbacks by aggregator, delivery
/// attempts by outcome and per endpoint, and the backlog. Kept in memory for one day (1,440 minutes, a few hundred
/// KB at most); a restart starts it afresh, and on a shared store each instance shows what it handled itself.
/// The store remains the record; these are the operator's first glance.
public final class OverviewHistory: Sendable {
    /// One minute of counts.
    public struct Minute: Sendable {
        public var minute: Int64
        public var callbacks: [String: Int] = [:]
        public var attempts: [String: Int] = [:]
        /// endpoint id → (attempts, failed attempts)
        public var endpoints: [String: (total: Int, failed: Int)] = [:]
        /// Last sample of the minute.
        public var pending: Double?
        public var oldestDueAgeSeconds: Double?
    }

    static let keptMinutes: Int64 = 24 * 60
    private let minutes = Mutex<[Minute]>([])
    private let now: @Sendable () -> Int64

    /// - Parameter now: the clock, epoch milliseconds (injected so tests can move it).
    public init(now: @escaping @Sendable () -> Int64) {
        self.now = now
    }

    private func update(_ change: (inout Minute) -> Void) {
        let minute = now() / 60_000
        minutes.withLock { list in
            if list.last?.minute != minute {
                list.append(Minute(minute: minute))
                let oldest = minute - Self.keptMinutes
                if let first = list.firstIndex(where: { $0.minute > oldest }), first > 0 {
                    list.removeFirst(first)
                }
            }
            change(&list[list.count - 1])
        }
    }

    /// A callback answered, by aggregator (`result` other than accepted/duplicate counts as `rejected`).
    public func callback(aggregator: String) {
        update { $0.callbacks[aggregator, default: 0] += 1 }
    }

    /// A delivery attempt ended: `outcome` is delivered, retry or dead.
    public func attempt(endpoint: String, outcome: String) {
        update { minute in
            minute.attempts[outcome, default: 0] += 1
            var counts = minute.endpoints[endpoint] ?? (0, 0)
            counts.total += 1
            if outcome != "delivered" { counts.failed += 1 }
            minute.endpoints[endpoint] = counts
        }
    }

    /// The backlog as the metrics sampler saw it.
    public func backlog(pending: Double, oldestDueAgeSeconds: Double) {
        update { minute in
            minute.pending = pending
            minute.oldestDueAgeSeconds = oldestDueAgeSeconds
        }
    }

    /// Buckets of `bucketMinutes` covering the last `span` minutes, oldest first; empty buckets included.
    public func buckets(span: Int64, bucketMinutes: Int64) -> [Minute] {
        let current = now() / 60_000
        let first = current - span + 1
        let list = minutes.withLock { $0 }
        var result: [Minute] = []
        var start = first
        while start <= current {
            var bucket = Minute(minute: start)
            for minute in list where minute.minute >= start && minute.minute < start + bucketMinutes {
                for (key, value) in minute.callbacks { bucket.callbacks[key, default: 0] += value }
                for (key, value) in minute.attempts { bucket.attempts[key, default: 0] += value }
                for (key, value) in minute.endpoints {
                    var counts = bucket.endpoints[key] ?? (0, 0)
                    counts.total += value.total
                    counts.failed += value.failed
                    bucket.endpoints[key] = counts
                }
                if let pending = minute.pending { bucket.pending = max(bucket.pending ?? 0, pending) }
                if let age = minute.oldestDueAgeSeconds {
                    bucket.oldestDueAgeSeconds = max(bucket.oldestDueAgeSeconds ?? 0, age)
                }
            }
            result.append(bucket)
            start += bucketMinutes
        }
        return result
    }
}
