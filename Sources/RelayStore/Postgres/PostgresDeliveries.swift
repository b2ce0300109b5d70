/// The cross-instance wake-up for new deliveries.
enum PostgresDeliveries {
    /// Wakes every instance's delivery loop when the transaction commits.
    static func notify(_ connection: PGConnection) async throws {
        try await connection.query("SELECT pg_notify('\(PostgresStore.deliveriesChannel)', '')")
    }
}
