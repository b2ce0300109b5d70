import RelayCore

/// The audit log of admin actions.
public protocol AuditStore: Sendable {
    /// Appends an entry to the audit log (durable when this returns).
    func recordAudit(_ entry: AuditEntry) async throws

    /// Audit entries, newest first, older than the entry `before` (a `seq`) when given.
    func auditLog(before: Int64?, limit: Int) async throws -> [AuditEntry]
}
