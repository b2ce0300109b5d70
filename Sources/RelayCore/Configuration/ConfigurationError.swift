/// Everything wrong with a configuration file, each problem naming its key path.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// One problem: the key path (`clients[0].endpoints.notification.url`) and the reason.
    public struct Issue: Sendable, Hashable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
        public var description: String { "\(path.isEmpty ? "(top level)" : path): \(reason)" }
    }

    public var issues: [Issue]

    public init(issues: [Issue]) { self.issues = issues }

    public var description: String {
        "invalid configuration:\n" + issues.map { "  - \($0)" }.joined(separator: "\n")
    }
}
