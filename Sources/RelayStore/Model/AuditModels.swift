public import RelayCore

/// One entry of the audit log: who (the admin token's name) did what to which item, when, and through which door
/// (the admin API, which the CLI uses, or the /ops page).
public struct AuditEntry: Sendable {
    /// Store order; the cursor of `GET /admin/v1/audit`.
    public var seq: Int64
    public var at: EventTime
    /// The admin token's configured name.
    public var actor: String
    /// `replay`, `bulk_replay`, `discard`, `endpoint_enable`, `endpoint_disable`, `endpoint_recover`, `renormalise`.
    public var action: String
    /// What it touched: a dead letter (`dlv_…`), an endpoint id, a replay job (`rpl_…`) or a callback (`cb_…`).
    public var target: String
    /// The outcome and its parameters, e.g. `replayed 12 dead letters since 2026-11-25T00:00:00Z`.
    public var detail: String
    /// `api` or `ops`.
    public var via: String

    public init(seq: Int64 = 0, at: EventTime, actor: String, action: String, target: String, detail: String,
                via: String) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
        self.via = via
    }

    var bindings: (at: Int64, actor: String, action: String, target: String, detail: String, via: String) {
        (at.epochMilliseconds, String(actor.prefix(200)), String(action.prefix(64)), String(target.prefix(500)),
         String(detail.prefix(2000)), String(via.prefix(16)))
    }
}

/// The audit log's SQL (`AuditStore+SQL.swift`).
enum AuditSQL {
    static let insert = "INSERT INTO audit_log (at, actor, action, target, detail, via) VALUES (?, ?, ?, ?, ?, ?)"

    static func select(before: Int64?) -> String {
        "SELECT seq, at, actor, action, target, detail, via FROM audit_log"
            + (before == nil ? "" : " WHERE seq < ?") + " ORDER BY seq DESC LIMIT ?"
    }

    static func entry(_ row: some SQLRow) -> AuditEntry {
        AuditEntry(seq: row.int(0), at: EventTime(epochMilliseconds: row.int(1)), actor: row.text(2) ?? "",
                   action: row.text(3) ?? "", target: row.text(4) ?? "", detail: row.text(5) ?? "",
                   via: row.text(6) ?? "")
    }
}
