/// A capped exponential back-off: `initial`, doubling on each failure up to `maximum`; `reset()` after a success.
public struct Backoff: Sendable {
    public let initial: Duration
    public let maximum: Duration
    public private(set) var current: Duration?

    public init(initial: Duration = .milliseconds(50), maximum: Duration = .seconds(5)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The pause after one more failure.
    public mutating func next() -> Duration {
        let pause = current.map { min($0 * 2, maximum) } ?? initial
        current = pause
        return pause
    }

    public mutating func reset() { current = nil }
}
