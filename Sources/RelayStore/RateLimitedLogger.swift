public import Logging
import Synchronization

/// Logs at most one line per cause per interval; the next line of a cause carries how many were left out
/// (`relay.suppressed`). For errors that repeat as fast as a loop runs (a full disk, a database away), so the log
/// stays readable and the disk is not filled with the same line.
public final class RateLimitedLogger: Sendable {
    private struct Entry {
        var lastLogged: ContinuousClock.Instant
        var suppressed: Int
    }

    public let logger: Logger
    public let interval: Duration
    private let entries = Mutex<[String: Entry]>([:])

    public init(logger: Logger, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    /// Logs `message` unless a line of the same `cause` was logged less than `interval` ago (then counts it).
    /// - Returns: whether the line was written.
    @discardableResult
    public func log(level: Logger.Level, _ message: @autoclosure () -> Logger.Message, cause: String,
                    metadata: @autoclosure () -> Logger.Metadata = [:]) -> Bool {
        let now = ContinuousClock.now
        let interval = self.interval
        let suppressed = entries.withLock { entries -> Int? in
            if var entry = entries[cause], now - entry.lastLogged < interval {
                entry.suppressed += 1
                entries[cause] = entry
                return nil
            }
            let count = entries[cause]?.suppressed ?? 0
            entries[cause] = Entry(lastLogged: now, suppressed: 0)
            return count
        }
        guard let suppressed else { return false }
        var fields = metadata()
        fields["relay.cause"] = .string(cause)
        if suppressed > 0 { fields["relay.suppressed"] = .stringConvertible(suppressed) }
        logger.log(level: level, message(), metadata: fields)
        return true
    }

    @discardableResult
    public func error(_ message: @autoclosure () -> Logger.Message, cause: String,
                      metadata: @autoclosure () -> Logger.Metadata = [:]) -> Bool {
        log(level: .error, message(), cause: cause, metadata: metadata())
    }

    @discardableResult
    public func warning(_ message: @autoclosure () -> Logger.Message, cause: String,
                        metadata: @autoclosure () -> Logger.Metadata = [:]) -> Bool {
        log(level: .warning, message(), cause: cause, metadata: metadata())
    }
}
