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
            // A secret read from a file often ends in a newline: as a header value it would fail every request
            // (and the HTTP client's error would quote it), as a token it would match nothing.
            if resolved.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                fail(path, "must not contain control characters (a newline at the end of a secret file?)")
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

    /// An `http://` or `https://` URL with a host, else a problem at `path` (a URL without a host fails every
    /// request later, not at load).
    mutating func httpURL(_ value: JSONValue?, at path: String, required: Bool = false) -> String? {
        guard let url = string(value, at: path, required: required) else { return nil }
        guard let scheme = ["https://", "http://"].first(where: { url.lowercased().hasPrefix($0) }) else {
            fail(path, "must start with http:// or https://")
            return url
        }
        let authority = url.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@", omittingEmptySubsequences: false).last.map { String($0) } ?? ""
        if host.isEmpty || host.hasPrefix(":") || host.contains(" ") {
            fail(path, "must name a host, e.g. https://shop.example.com/…")
        }
        return url
    }

    /// A number within ±`numberLimit`, at most `limit` when given. Anything else (not a number, NaN, infinity,
    /// 1e20) is a problem at `path`, never a value: converting it to `Int` or to whole milliseconds would trap, and a
    /// reload must refuse such a file, not crash the running relay on it.
    mutating func number(_ value: JSONValue?, at path: String, atMost limit: Double = ConfigReader.numberLimit)
        -> Double?
    {
        guard let value, !value.isNull else { return nil }
        let number: Double
        switch value {
        case .int(let integer): number = Double(integer)
        case .double(let double): number = double
        case .string(let text):
            guard let resolved = interpolate(text, at: path) else { return nil }
            guard let parsed = Double(resolved) else {
                fail(path, "must be a number")
                return nil
            }
            number = parsed
        default:
            fail(path, "must be a number")
            return nil
        }
        guard number.isFinite else {
            fail(path, "must be a finite number")
            return nil
        }
        let most = min(limit, Self.numberLimit)
        guard number <= most else {
            fail(path, "must be at most \(Self.format(most))")
            return nil
        }
        guard number >= -Self.numberLimit else {
            fail(path, "is out of range")
            return nil
        }
        return number
    }

    /// The largest magnitude a configuration number may have: far above every sensible value, small enough that
    /// every conversion (to `Int`, to milliseconds in `Int64`) is exact.
    static let numberLimit: Double = 1_000_000_000

    static func format(_ number: Double) -> String {
        number == number.rounded() ? String(Int64(number)) : String(number)
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

    /// Whether `name` is an HTTP header name (RFC 9110 token: letters, digits and ``!#$%&'*+-.^_`|~``).
    static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                || ("0"..."9").contains(scalar) || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar))
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
