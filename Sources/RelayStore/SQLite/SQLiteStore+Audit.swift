import RelayCore

extension SQLiteStore {
    public func recordAudit(_ entry: AuditEntry) async throws {
        let values = entry.bindings
        _ = try await writer.perform { connection in
            try connection.run(AuditSQL.insert, [
                .integer(values.at), .text(values.actor), .text(values.action), .text(values.target),
                .text(values.detail), .text(values.via),
            ])
        }
    }

    public func auditLog(before: Int64?, limit: Int) async throws -> [AuditEntry] {
        var bindings: [SQLiteValue] = []
        if let before { bindings.append(.integer(before)) }
        bindings.append(.integer(Int64(limit)))
        let sql = AuditSQL.select(before: before)
        return try await reader.read { [bindings] connection in
            try connection.query(sql, bindings, AuditSQL.entry)
        }
    }
}
