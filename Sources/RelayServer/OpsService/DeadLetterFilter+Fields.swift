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
}
