import Foundation
public import RelayCore

/// The current wall-clock time.
public enum WallClock {
    /// Now, in epoch milliseconds.
    public static func now() -> EventTime {
        EventTime(epochMilliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }
}
