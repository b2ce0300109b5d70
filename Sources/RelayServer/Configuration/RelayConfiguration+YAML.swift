import Foundation
public import RelayCore
import Yams

extension RelayConfiguration {
    /// Why a configuration file could not be loaded.
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads, decodes and validates a YAML configuration file.
    /// - Parameters:
    ///   - path: the file.
    ///   - environment: values for `${NAME}` references (the process environment by default).
    /// - Throws: `LoadError` for an unreadable or malformed file, `ConfigurationError` for invalid values.
    public static func load(path: String, environment: [String: String]? = nil) throws -> RelayConfiguration {
        let environment = environment ?? ProcessInfo.processInfo.environment
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "cannot read the configuration file \(path)")
        }
        return try parse(yaml: String(decoding: data, as: UTF8.self), environment: environment, source: path)
    }

    /// Decodes and validates YAML text.
    public static func parse(yaml: String, environment: [String: String], source: String = "configuration") throws -> RelayConfiguration {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            throw LoadError(description: "\(source) is not valid YAML: \(Self.describe(error))")
        }
        guard let node else { throw LoadError(description: "\(source) is empty") }
        return try RelayConfiguration(json: node.jsonValue, environment: environment)
    }

    /// A YAML error by its position and problem only. Yams' own description quotes the offending line, and a
    /// configuration line may hold a secret written inline (an HMAC secret, an API token), which must not reach a
    /// terminal or a log.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? YamlError else { return "unreadable" }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let during = context.map { ", \($0.text) at line \($0.mark.line), column \($0.mark.column)" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(during)"
        case .reader(let problem, let offset, _, _):
            return offset.map { "\(problem) at character \($0)" } ?? problem
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "line \(context.mark.line), column \(context.mark.column): duplicated keys "
                + duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
        default:
            return "\(error)"
        }
    }
}

extension Node {
    /// The node as JSON, keeping mapping order; scalars resolve by their YAML tag (quoted strings stay strings).
    var jsonValue: JSONValue {
        switch self {
        case .scalar(let scalar):
            if scalar.style == .singleQuoted || scalar.style == .doubleQuoted || scalar.style == .literal
                || scalar.style == .folded
            {
                return .string(scalar.string)
            }
            if null != nil { return .null }
            if let bool { return .bool(bool) }
            if let int { return .int(Int64(int)) }
            if let float { return .double(float) }
            return .string(scalar.string)
        case .mapping(let mapping):
            return .object(JSONObject(mapping.map { (key: $0.key.string ?? "", value: $0.value.jsonValue) }))
        case .sequence(let sequence):
            return .array(sequence.map(\.jsonValue))
        case .alias:
            return .null
        }
    }
}
