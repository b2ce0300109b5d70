import Foundation
import RelayCore

/// SplitMix64: a small seeded generator, so a fuzz run can be repeated exactly (`RELAY_FUZZ_SEED`).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Mutations of fixture payloads: field deletions, type swaps, huge and negative numbers, deep nesting, invalid
/// UTF-8, random bytes, truncation, huge strings and form bodies with many keys.
struct FuzzMutator {
    var random: SeededGenerator

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }

    static let oddValues: [JSONValue] = [
        .int(.max), .int(.min), .int(-1), .int(0), .double(1e308), .double(-1e308), .double(Double.leastNonzeroMagnitude), .null,
        .bool(true), .string(""), .string("0"), .string("-99999999999999999999"), .string("9999-99-99T99:99:99Z"),
        .string(String(repeating: "x", count: 5_000)), .array([]), .object(JSONObject()),
        .string("\u{0000}\u{FFFF}\u{1F4E6}"), .string("<script>alert(1)</script>"), .string("1710000000000000"),
    ]

    /// Paths to every value in a document.
    static func paths(_ value: JSONValue, _ prefix: [PathStep] = [], into output: inout [[PathStep]]) {
        output.append(prefix)
        guard output.count < 2_000 else { return }
        switch value {
        case .object(let object):
            for member in object { paths(member.value, prefix + [.key(member.key)], into: &output) }
        case .array(let array):
            for (index, element) in array.enumerated() { paths(element, prefix + [.index(index)], into: &output) }
        default: break
        }
    }

    enum PathStep { case key(String), index(Int) }

    /// Replaces (or with `nil`, deletes) the value at `path`.
    static func replacing(_ value: JSONValue, at path: ArraySlice<PathStep>, with replacement: JSONValue?) -> JSONValue? {
        guard let step = path.first else { return replacement }
        switch (value, step) {
        case (.object(let object), .key(let key)):
            var members: [(key: String, value: JSONValue)] = []
            for member in object {
                if member.key == key {
                    if let changed = replacing(member.value, at: path.dropFirst(), with: replacement) {
                        members.append((member.key, changed))
                    }
                } else {
                    members.append(member)
                }
            }
            return .object(JSONObject(members))
        case (.array(var array), .index(let index)) where index < array.count:
            if let changed = replacing(array[index], at: path.dropFirst(), with: replacement) {
                array[index] = changed
            } else {
                array.remove(at: index)
            }
            return .array(array)
        default:
            return value
        }
    }

    /// One mutated body for a JSON fixture, with the content type to send it with.
    mutating func mutate(_ fixture: JSONValue) -> (body: [UInt8], contentType: String?, kind: String) {
        var paths: [[PathStep]] = []
        Self.paths(fixture, into: &paths)
        let path = pick(paths)
        let jsonType = "application/json"
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<14:  // unchanged (valid requests keep the relay busy with real work)
            return (fixture.serializedBytes(), jsonType, "unchanged")
        case 14..<28:
            let changed = Self.replacing(fixture, at: path[...], with: nil) ?? .null
            return (changed.serializedBytes(), jsonType, "field deleted")
        case 28..<44:
            let changed = Self.replacing(fixture, at: path[...], with: pick(Self.oddValues)) ?? .null
            return (changed.serializedBytes(), jsonType, "type swap / odd value")
        case 44..<50:
            var text = String(decoding: fixture.serializedBytes(), as: UTF8.self)
            let numbers = ["1e400", "-1e400", "123456789012345678901234567890", "-0", "9223372036854775808", "-9223372036854775809"]
            if let range = text.range(of: #":[0-9]+"#, options: .regularExpression) {
                text.replaceSubrange(range, with: ":" + pick(numbers))
            }
            return (Array(text.utf8), jsonType, "huge number")
        case 50..<56:
            let depth = Int.random(in: 20...200, using: &random)
            var nested = fixture
            for level in 0..<depth { nested = level.isMultiple(of: 2) ? .array([nested]) : ["x": nested] }
            let changed = Self.replacing(fixture, at: path[...], with: nested) ?? nested
            return (changed.serializedBytes(), jsonType, "deep nesting")
        case 56..<62:
            var bytes = fixture.serializedBytes()
            let bad: [[UInt8]] = [[0xC3, 0x28], [0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF]]
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                bytes.insert(contentsOf: pick(bad), at: Int.random(in: 0...bytes.count, using: &random))
            }
            return (bytes, jsonType, "invalid UTF-8")
        case 62..<68:
            let count = pick([0, 1, 16, 512, 4_096, 60_000])
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count)
            for _ in 0..<count { bytes.append(UInt8.random(in: 0...255, using: &random)) }
            let type: String? = pick([jsonType, nil, "application/octet-stream"])
            return (bytes, type, "random bytes")
        case 68..<74:
            let bytes = fixture.serializedBytes()
            return (Array(bytes.prefix(Int.random(in: 0..<max(1, bytes.count), using: &random))), jsonType, "truncated")
        case 74..<82:
            let types: [String?] = [nil, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                    "application/json; charset=utf-16", "application/xml", "*/*", "application/json; charset=\"bogus\"; q=;;"]
            return (fixture.serializedBytes(), pick(types), "wrong content type")
        case 82..<92:
            let keys = pick([2, 10, 100, 999, 1_000, 1_001, 5_000, 30_000])
            var text = (0..<keys).map { "k\($0)=v%20\($0)" }.joined(separator: "&")
            if chance(50) { text = "status_feed=" + URLForm.encode(String(decoding: fixture.serializedBytes(), as: UTF8.self)) + "&" + text }
            if chance(20) { text += "&bad=%ZZ&=novalue&&&" }
            return (Array(text.utf8), "application/x-www-form-urlencoded", "form with many keys")
        case 92..<96:
            let changed = Self.replacing(fixture, at: path[...], with: .string(String(repeating: "é", count: 50_000))) ?? .null
            return (changed.serializedBytes(), jsonType, "huge string")
        case 96..<98:
            return ([UInt8](repeating: UInt8(ascii: " "), count: (1 << 20) + 1), jsonType, "over 1 MiB")
        default:  // more valid work (bodies over 1 MiB are few: they cost the debug build's client and server most)
            return (fixture.serializedBytes(), jsonType, "unchanged")
        }
    }
}
