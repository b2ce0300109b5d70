import RelayCore
import RelayStore

/// How the audit log reads: every replay, bulk replay, discard, endpoint enable/disable/recover and
/// renormalisation, with the admin token's name, through the admin API (and so the CLI) or the /ops page. The
/// entries are written by `OpsService`.
enum Audit {
    /// "40 dead letters (endpoint=acme/notification, since=…) at 50/s".
    static func describe(count: Int, filter: [String: String], rate: Double) -> String {
        let used = filter.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "\(count) dead letters" + (used.isEmpty ? " (no filter)" : " (\(used.joined(separator: ", ")))")
            + " at \(Int(rate))/s"
    }

    static func json(_ entry: AuditEntry) -> JSONValue {
        [
            "seq": .int(entry.seq), "at": .string(entry.at.iso8601), "actor": .string(entry.actor),
            "action": .string(entry.action), "target": .string(entry.target), "detail": .string(entry.detail),
            "via": .string(entry.via),
        ]
    }
}
