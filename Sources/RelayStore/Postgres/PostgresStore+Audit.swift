import RelayCore

extension PostgresStore {
    public func recordAudit(_ entry: AuditEntry) async throws {
        let values = entry.bindings
        try await transaction { connection in
            _ = try await connection.query(AuditSQL.insert, [
                .integer(values.at), .text(values.actor), .text(values.action), .text(values.target),
                .text(values.detail), .text(values.via),
            ])
        }
    }

    public func auditLog(before: Int64?, limit: Int) async throws -> [AuditEntry] {
        var bindings: [PGValue] = []
        if let before { bindings.append(.integer(before)) }
        bindings.append(.integer(Int64(limit)))
        let sql = AuditSQL.select(before: before)
        return try await read { [bindings] connection in
            try await connection.query(sql, bindings, AuditSQL.entry)
        }
    }
}
