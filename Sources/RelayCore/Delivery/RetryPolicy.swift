/// When to try a failed delivery again (docs/CONTRACT.md §6): a schedule of delays after the first attempt, ±jitter, and
/// `Retry-After` honoured within [scheduled, 2×scheduled]. Pure.
public struct RetryPolicy: Sendable, Hashable {
    /// Delays in seconds after attempt 1, 2, …; after the last one the delivery is a dead letter.
    public var schedule: [Double]
    /// ± fraction applied to each delay.
    public var jitter: Double

    public init(schedule: [Double], jitter: Double) {
        self.schedule = schedule
        self.jitter = jitter
    }

    /// The delay before the next attempt, or nil when the schedule is exhausted.
    /// - Parameters:
    ///   - attemptsMade: attempts so far, including the one that just failed (≥ 1).
    ///   - random: a number in [0, 1) for the jitter.
    ///   - retryAfter: the response's `Retry-After`, in seconds, when it had one.
    public func delay(afterAttempt attemptsMade: Int, random: Double, retryAfter: Double? = nil) -> Double? {
        let index = attemptsMade - 1
        guard index >= 0, index < schedule.count else { return nil }
        let scheduled = schedule[index] * (1 + jitter * (2 * random - 1))
        guard let retryAfter else { return scheduled }
        return Self.clamp(retryAfter: retryAfter, scheduled: scheduled)
    }

    /// `Retry-After` clamped to [scheduled, 2×scheduled]: never sooner than the schedule, never far later.
    public static func clamp(retryAfter: Double, scheduled: Double) -> Double {
        min(max(retryAfter, scheduled), 2 * scheduled)
    }

    /// Reads a `Retry-After` value: delay-seconds or an HTTP date.
    public static func parseRetryAfter(_ value: String, now: EventTime) -> Double? {
        let trimmed = value.trimmingSpaces()
        if let seconds = Double(trimmed), seconds >= 0 { return seconds }
        guard let date = TimestampParser(defaultOffsetSeconds: 0).parse(trimmed) else { return nil }
        return max(0, Double(date.epochMilliseconds - now.epochMilliseconds) / 1000)
    }
}
