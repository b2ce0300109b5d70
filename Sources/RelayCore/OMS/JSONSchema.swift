/// A JSON Schema (draft 2020-12) evaluator for the keywords the relay's OMS schemas use, so that each OMS route
/// accepts exactly what its schema in `Schemas/` accepts (issue #13, decision 12; proven against Python
/// `jsonschema` by a differential test).
///
/// Supported: boolean schemas, `$ref` (local JSON pointers such as `#/$defs/x`), `type`, `enum`, `const`,
/// `properties`, `patternProperties`, `additionalProperties`, `required`, `items`, `minItems`, `maxItems`,
/// `minLength`, `maxLength` (in Unicode code points), `pattern` (searched, not anchored), `minimum`, `maximum`,
/// `exclusiveMinimum`, `exclusiveMaximum`, `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`. Annotations
/// (`title`, `description`, `examples`, `default`, `$id`, `$schema`, `$defs`) are ignored. A keyword outside this
/// list is refused when the schema is loaded, so a schema edit cannot silently weaken validation.
public struct JSONSchema: Sendable {
    /// Why an instance does not match: the first failing location (`orderItems[0].qcStatus`, `(body)` for the root)
    /// and a reason.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// A keyword the evaluator does not implement.
    public struct UnsupportedKeyword: Error, Sendable, CustomStringConvertible {
        public var keyword: String
        public var description: String { "unsupported JSON Schema keyword \(keyword)" }
    }

    static let annotations: Set<String> = ["$schema", "$id", "$defs", "$comment", "title", "description", "examples",
                                           "default", "deprecated", "readOnly", "writeOnly"]
    static let keywords: Set<String> = [
        "$ref", "type", "enum", "const", "properties", "patternProperties", "additionalProperties", "required",
        "items", "minItems", "maxItems", "minLength", "maxLength", "pattern", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
    ]

    let root: JSONValue
    /// Compiled `pattern` and `patternProperties` expressions, by source.
    let patterns: [String: PatternBox]

    /// Loads a schema; throws for a keyword it does not implement or a pattern it cannot compile.
    public init(_ root: JSONValue) throws {
        self.root = root
        var patterns: [String: PatternBox] = [:]
        try Self.scan(root, patterns: &patterns)
        self.patterns = patterns
    }

    /// Loads a schema from its JSON text.
    public init(text: String) throws {
        try self.init(try JSONValue.parse(text))
    }

    private static func scan(_ schema: JSONValue, patterns: inout [String: PatternBox]) throws {
        guard let object = schema.object else { return }
        for (key, value) in object {
            if annotations.contains(key) {
                if key == "$defs", let defs = value.object {
                    for (_, item) in defs { try scan(item, patterns: &patterns) }
                }
                continue
            }
            guard keywords.contains(key) else { throw UnsupportedKeyword(keyword: key) }
            switch key {
            case "properties":
                for (_, item) in value.object ?? JSONObject() { try scan(item, patterns: &patterns) }
            case "patternProperties":
                for (source, item) in value.object ?? JSONObject() {
                    patterns[source] = try PatternBox(source)
                    try scan(item, patterns: &patterns)
                }
            case "pattern":
                if case .string(let source) = value { patterns[source] = try PatternBox(source) }
            case "allOf", "anyOf", "oneOf":
                for item in value.array ?? [] { try scan(item, patterns: &patterns) }
            case "items", "additionalProperties", "not", "if", "then", "else":
                try scan(value, patterns: &patterns)
            default: break
            }
        }
    }

    /// The first way `instance` fails the schema, or nil when it is valid.
    public func validate(_ instance: JSONValue) -> Failure? {
        check(root, instance, path: "")
    }

    static func display(_ path: String) -> String { path.isEmpty ? "(body)" : path }

    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node = root
        for token in reference.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let name = String(token).replacing("~1", with: "/").replacing("~0", with: "~")
            if let array = node.array, let index = Int(name), array.indices.contains(index) {
                node = array[index]
            } else if let next = node[name] {
                node = next
            } else {
                return nil
            }
        }
        return node
    }

    private func check(_ schema: JSONValue, _ value: JSONValue, path: String) -> Failure? {
        func fail(_ reason: String, at location: String? = nil) -> Failure {
            Failure(path: Self.display(location ?? path), reason: reason)
        }
        if case .bool(let allowed) = schema { return allowed ? nil : fail("is not allowed") }
        guard let object = schema.object else { return nil }
        if case .string(let reference) = object["$ref"] {
            guard let target = resolve(reference) else { return fail("unresolvable $ref \(reference)") }
            if let failure = check(target, value, path: path) { return failure }
        }
        if let type = object["type"] {
            let names = type.array?.compactMap { item -> String? in
                if case .string(let name) = item { name } else { nil }
            }
                ?? { if case .string(let name) = type { [name] } else { [] } }()
            if !names.contains(where: { Self.hasType(value, $0) }) {
                if value.isNull, !names.contains("null") { return fail("is required") }
                let expected = names.count == 1 ? "of type \(names[0])"
                    : "one of the types \(names.joined(separator: ", "))"
                return fail("must be \(expected)")
            }
        }
        if let options = object["enum"]?.array, !options.contains(where: { Self.equal($0, value) }) {
            return fail("must be one of \(options.map { $0.serialized() }.joined(separator: ", "))")
        }
        if let constant = object["const"], !Self.equal(constant, value) {
            return fail("must be \(constant.serialized())")
        }
        switch value {
        case .object(let members):
            if let required = object["required"]?.array {
                for item in required {
                    guard case .string(let name) = item else { continue }
                    if members[name] == nil { return fail("is required", at: Self.join(path, name)) }
                }
            }
            let properties = object["properties"]?.object
            let patternProperties = object["patternProperties"]?.object
            for (name, member) in members {
                let location = Self.join(path, name)
                var matched = false
                if let schema = properties?[name] {
                    matched = true
                    if let failure = check(schema, member, path: location) { return failure }
                }
                for (source, schema) in patternProperties ?? JSONObject() where patterns[source]?.search(name) == true {
                    matched = true
                    if let failure = check(schema, member, path: location) { return failure }
                }
                if !matched, let additional = object["additionalProperties"] {
                    if case .bool(false) = additional { return fail("is not an allowed field", at: location) }
                    if let failure = check(additional, member, path: location) { return failure }
                }
            }
        case .array(let items):
            if let minimum = object["minItems"]?.integer, items.count < minimum {
                return fail(minimum == 1 ? "must be a non-empty list" : "must have at least \(minimum) items")
            }
            if let maximum = object["maxItems"]?.integer, items.count > maximum {
                return fail(maximum == 0 ? "must be empty" : "must have at most \(maximum) items")
            }
            if let schema = object["items"] {
                for (index, item) in items.enumerated() {
                    if let failure = check(schema, item, path: "\(path)[\(index)]") { return failure }
                }
            }
        case .string(let text):
            let length = text.unicodeScalars.count
            if let minimum = object["minLength"]?.integer, length < minimum {
                return fail(minimum == 1 ? "must not be empty" : "must have at least \(minimum) characters")
            }
            if let maximum = object["maxLength"]?.integer, length > maximum {
                return fail("must have at most \(maximum) characters")
            }
            if case .string(let source) = object["pattern"], patterns[source]?.search(text) != true {
                return fail("must match \(source)")
            }
        case .int, .double:
            if let bound = object["minimum"], Self.compare(value, bound).map({ $0 < 0 }) == true {
                return fail("must be at least \(bound.serialized())")
            }
            if let bound = object["maximum"], Self.compare(value, bound).map({ $0 > 0 }) == true {
                return fail("must be at most \(bound.serialized())")
            }
            if let bound = object["exclusiveMinimum"], Self.compare(value, bound).map({ $0 <= 0 }) == true {
                return fail("must be greater than \(bound.serialized())")
            }
            if let bound = object["exclusiveMaximum"], Self.compare(value, bound).map({ $0 >= 0 }) == true {
                return fail("must be less than \(bound.serialized())")
            }
        default: break
        }
        if let all = object["allOf"]?.array {
            for schema in all { if let failure = check(schema, value, path: path) { return failure } }
        }
        if let any = object["anyOf"]?.array {
            var first: Failure?
            var matched = false
            for schema in any {
                guard let failure = check(schema, value, path: path) else {
                    matched = true
                    break
                }
                first = first ?? failure
            }
            if !matched { return first ?? fail("matches none of the allowed forms") }
        }
        if let one = object["oneOf"]?.array {
            let matches = one.filter { check($0, value, path: path) == nil }.count
            if matches != 1 {
                return fail(matches == 0 ? "matches none of the allowed forms" : "matches more than one form")
            }
        }
        if let not = object["not"], check(not, value, path: path) == nil { return fail("is not allowed") }
        if let condition = object["if"] {
            if check(condition, value, path: path) == nil {
                if let then = object["then"], let failure = check(then, value, path: path) { return failure }
            } else if let otherwise = object["else"], let failure = check(otherwise, value, path: path) {
                return failure
            }
        }
        return nil
    }

    static func join(_ path: String, _ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// JSON Schema types: `integer` includes numbers with a zero fraction (1.0); booleans are not numbers.
    static func hasType(_ value: JSONValue, _ name: String) -> Bool {
        switch (name, value) {
        case ("null", .null), ("boolean", .bool), ("object", .object), ("array", .array), ("string", .string),
             ("number", .int), ("number", .double), ("integer", .int):
            return true
        case ("integer", .double(let number)):
            return number.isFinite && number.rounded(.towardZero) == number
        default:
            return false
        }
    }

    /// JSON equality as JSON Schema defines it: numbers by value (1 == 1.0), booleans never equal numbers, objects
    /// regardless of key order.
    static func equal(_ left: JSONValue, _ right: JSONValue) -> Bool {
        switch (left, right) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.int, .int), (.int, .double), (.double, .int), (.double, .double): return compare(left, right) == 0
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case (.object(let a), .object(let b)):
            let keys = Set(a.keys)
            return keys == Set(b.keys) && keys.allSatisfy { equal(a[$0]!, b[$0]!) }
        default: return false
        }
    }

    /// Compares two numbers (-1, 0, 1), exactly for two integers; nil when either is not a number.
    static func compare(_ left: JSONValue, _ right: JSONValue) -> Int? {
        switch (left, right) {
        case (.int(let a), .int(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        default:
            guard let a = number(left), let b = number(right) else { return nil }
            return a < b ? -1 : (a > b ? 1 : 0)
        }
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): return Double(number)
        case .double(let number): return number
        default: return nil
        }
    }
}

/// A compiled `pattern`, searched (unanchored) as the reference validator, Python `jsonschema`, does with `re.search`:
/// `$` outside a character class also matches before a final newline, as in Python.
struct PatternBox: @unchecked Sendable {
    // Regex is not Sendable; a compiled expression is immutable and only read.
    let regex: Regex<AnyRegexOutput>

    init(_ source: String) throws {
        regex = try Regex(Self.pythonDollar(source)).matchingSemantics(.unicodeScalar)
    }

    /// `source` with each unescaped `$` outside a character class written as `(?=\n?\z)`.
    static func pythonDollar(_ source: String) -> String {
        var result = ""
        var escaped = false
        var inClass = false
        for character in source {
            if escaped {
                escaped = false
                result.append(character)
                continue
            }
            switch character {
            case "\\": escaped = true
            case "[": inClass = true
            case "]": inClass = false
            case "$" where !inClass:
                result += #"(?=\n?\z)"#
                continue
            default: break
            }
            result.append(character)
        }
        return result
    }

    func search(_ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }
}
