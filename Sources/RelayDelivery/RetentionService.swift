public import Logging
import RelayCore
public import RelayStore
public import ServiceLifecycle

/// Deletes data older than `retention_days` in small batches (docs/CONTRACT.md §8), so a long-running relay's store stays
/// bounded and ingest never waits behind a large delete. Dead letters stay until ops replay or discard them.
public struct RetentionService: Service {
    let store: any RetentionStore
    let retentionDays: Int
    let logger: Logger
    /// How long it waits between runs.
    public var interval: Duration = .seconds(600)
    /// Rows deleted per statement.
    public var batch = 1000

    /// A service deleting what is older than `retentionDays`.
    public init(store: any RetentionStore, retentionDays: Int, logger: Logger) {
        self.store = store
        self.retentionDays = retentionDays
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(30)) }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let cutoff = EventTime(epochMilliseconds: WallClock.now().epochMilliseconds
                - Int64(retentionDays) * 86_400_000)
            var total = 0
            do {
                while !Task.isShuttingDownGracefully {
                    let deleted = try await store.cleanup(olderThan: cutoff, batch: batch)
                    total += deleted
                    if deleted == 0 { break }
                    try await Task.sleep(for: .milliseconds(20))  // let ingest in between batches
                }
            } catch {
                logger.warning("retention cleanup failed; will retry", metadata: ["error": "\(error)"])
            }
            if total > 0 {
                logger.info("retention cleanup", metadata: ["relay.rows_deleted": "\(total)",
                                                            "relay.retention_days": "\(retentionDays)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
