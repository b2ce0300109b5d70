/// Walks the configuration JSON, resolving `${ENV}` references and collecting problems with their key paths.
struct ConfigReader {
    let environment: [String: String]
    var issues: [ConfigurationError.Issue] = []

    mutating func fail(_ path: String, _ reason: String) {
        issues.append(.init(path: path, reason: reason))
    }

    /// Replaces `${NAME}` and `${NAME:-default}` with environment values.
    mutating func interpolate(_ text: String, at path: String) -> String? {
        guard text.contains("${") else { return text }
        var output = ""
        var rest = Substring(text)
        while let dollar = rest.indices.first(where: { rest[$0] == "$" && rest[rest.index(after: $0)...].first == "{" }) {
            let start = dollar..<rest.index(dollar, offsetBy: 2)
            output += rest[rest.startIndex..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                fail(path, "unterminated ${…} reference")
                return nil
            }
            let reference = rest[start.upperBound..<end]
            var parts = [String(reference)]
            if let marker = reference.indices.first(where: { reference[$0...].hasPrefix(":-") }) {
                parts = [String(reference[..<marker]), String(reference[reference.index(marker, offsetBy: 2)...])]
            }
            let name = parts[0]
            if let value = environment[name], !value.isEmpty {
                output += value
            } else if parts.count == 2 {
                output += parts[1]
            } else {
                fail(path, "environment variable \(name) is not set")
                return nil
            }
            rest = rest[rest.index(after: end)...]
        }
        return output + rest
    }

    mutating func string(_ value: JSONValue?, at path: String, required: Bool = false) -> String? {
        guard let value, !value.isNull else {
            if required { fail(path, "is required") }
            return nil
        }
        switch value {
        case .string(let text):
            guard let resolved = interpolate(text, at: path) else { return nil }
            if resolved.isEmpty {
                if required { fail(path, "must not be empty") }
                return nil
            }
            return resolved
        case .int, .double, .bool:
            return value.text
        default:
            fail(path, "must be a string")
            return nil
        }
    }

    mutating func number(_ value: JSONValue?, at path: String) -> Double? {
        guard let value, !value.isNull else { return nil }
        switch value {
        case .int(let number): return Double(number)
        case .double(let number): return number
        case .string(let text):
            if let resolved = interpolate(text, at: path), let number = Double(resolved) { return number }
            fail(path, "must be a number")
            return nil
        default:
            fail(path, "must be a number")
            return nil
        }
    }

    mutating func bool(_ value: JSONValue?, at path: String) -> Bool? {
        guard let value, !value.isNull else { return nil }
        if let flag = value.boolean { return flag }
        fail(path, "must be true or false")
        return nil
    }

    mutating func object(_ value: JSONValue?, at path: String, allowed: Set<String>) -> JSONObject? {
        guard let value, !value.isNull else { return nil }
        guard let object = value.object else {
            fail(path, "must be a mapping")
            return nil
        }
        for key in object.keys where !allowed.contains(key) {
            let known = allowed.sorted().joined(separator: ", ")
            fail(join(path, key), "unknown key (expected one of: \(known))")
        }
        return object
    }

    mutating func stringMap(_ value: JSONValue?, at path: String) -> [(key: String, value: String)] {
        guard let value, !value.isNull else { return [] }
        guard let object = value.object else {
            fail(path, "must be a mapping of strings")
            return []
        }
        return object.compactMap { member in
            string(member.value, at: join(path, member.key)).map { (member.key, $0) }
        }
    }

    /// A secret given as one string, or as a list (current first).
    mutating func secrets(_ object: JSONObject, _ key: String, previous: String, at path: String) -> [String] {
        var result: [String] = []
        if let list = object[key]?.array {
            for (index, item) in list.enumerated() {
                if let value = string(item, at: "\(join(path, key))[\(index)]") { result.append(value) }
            }
        } else if let value = string(object[key], at: join(path, key)) {
            result.append(value)
        }
        if let value = string(object[previous], at: join(path, previous)) { result.append(value) }
        return result
    }

    func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }
}
