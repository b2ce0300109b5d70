import RelayCore

/// The audit log, written once over the SQL seam.
extension AuditStore where Self: SQLBackedStore {
    public func recordAudit(_ entry: AuditEntry) async throws {
        let values = entry.bindings
        try await seam.database.execute(AuditSQL.insert, [
            .integer(values.at), .text(values.actor), .text(values.action), .text(values.target),
            .text(values.detail), .text(values.via),
        ])
    }

    public func auditLog(before: Int64?, limit: Int) async throws -> [AuditEntry] {
        var binds: [SQLValue] = []
        if let before { binds.append(.integer(before)) }
        binds.append(.integer(Int64(limit)))
        let sql = AuditSQL.select(before: before)
        return try await seam.database.read { [binds] session in
            try await session.query(sql, binds) { AuditSQL.entry($0) }
        }
    }
}
