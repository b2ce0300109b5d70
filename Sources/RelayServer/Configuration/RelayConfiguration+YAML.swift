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
            throw LoadError(description: "\(source) is not valid YAML: \(error)")
        }
        guard let node else { throw LoadError(description: "\(source) is empty") }
        return try RelayConfiguration(json: node.jsonValue, environment: environment)
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
