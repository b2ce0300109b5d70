import RelayCore
import RelayStore

extension DeadLetterFilter {
    /// A filter from query or form fields (`client`, `endpoint`, `type`, `failure`, `awb`, `since`, `until`); empty
    /// values are ignored, times are ISO-8601 (UTC when no zone is given).
    init(fields: [String: String], limit: Int) {
        func text(_ name: String) -> String? { fields[name].flatMap { $0.isEmpty ? nil : $0 } }
        func time(_ name: String) -> EventTime? { text(name).flatMap { TimestampParser(defaultOffsetSeconds: 0).parse($0) } }
        self.init(client: text("client"), endpoint: text("endpoint"), type: text("type"), failure: text("failure"),
                  awb: text("awb"), since: time("since"), until: time("until"), limit: limit)
    }

    /// The fields a filter knows.
    static let fieldNames: Set<String> = ["client", "endpoint", "type", "failure", "awb", "since", "until"]

    /// What is wrong with these filter fields, if anything: a name the filter does not know (other than `others`),
    /// or a time that does not parse. `init(fields:limit:)` ignores both, so the filter would select more than was
    /// asked: for a bulk replay, up to 10,000 letters (`dry_run` for `dryRun` replayed them at once).
    static func problem(in fields: [String: String], others: Set<String> = []) -> String? {
        for name in fields.keys.sorted() where !fieldNames.contains(name) && !others.contains(name) {
            return "unknown filter field \(name.prefix(64)) (known: \(fieldNames.union(others).sorted().joined(separator: ", ")))"
        }
        for name in ["since", "until"] {
            if let value = fields[name], !value.isEmpty, TimestampParser(defaultOffsetSeconds: 0).parse(value) == nil {
                return "\(name) is not an ISO-8601 time (e.g. 2026-11-25T00:00:00Z)"
            }
        }
        return nil
    }
}
