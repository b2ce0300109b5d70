/// The cross-instance wake-up of delivery loops.
enum PostgresDeliveries {
    static let notifySQL = "SELECT pg_notify('\(PostgresStore.deliveriesChannel)', '')"

    /// Wakes every instance's delivery loop when the transaction commits.
    static func notify(_ connection: PGConnection) async throws {
        try await connection.query(notifySQL)
    }
}
