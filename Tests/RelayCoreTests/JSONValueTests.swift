import RelayCore
import Testing

@Suite("JSON parser and serializer")
struct JSONValueTests {
    @Test("round-trips a document keeping key order")
    func roundTrip() throws {
        let text = #"{"b":1,"a":[true,false,null,-2.5,"x\"y\\z\n\u00e9\ud83d\ude00"],"c":{}}"#
        let value = try JSONValue.parse(text)
        #expect(value["b"] == .int(1))
        #expect(value.object?.keys == ["b", "a", "c"])
        #expect(value["a"]?.array?[4] == .string("x\"y\\z\né😀"))
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test("rejects malformed JSON", arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "01", "\"\\x\"", "{} x", "\"\\ud800\""])
    func rejects(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test("numeric strings read as integers")
    func lenientViews() throws {
        let value = try JSONValue.parse(#"{"id":"20","n":18,"f":"1","t":true}"#)
        #expect(value["id"]?.integer == 20)
        #expect(value["n"]?.text == "18")
        #expect(value["f"]?.boolean == true)
        #expect(value["t"]?.boolean == true)
    }
}

@Suite("Identifiers and dedup keys")
struct IdentifierTests {
    @Test("dedup keys are the first 128 bits of SHA-256 over the parts joined by 0x1F, in lower-case hex")
    func dedupKeyKnownAnswers() {
        #expect(DedupKey.make(["a", nil, "b"]) == "3aa8909cac0696919c2cc255ee0dbcc6")
        #expect(DedupKey.make(["acme", "clickpost", "AWB-1"]) == "31de0285beb4248b3fcf489297398727")
    }

    @Test("ids: prefix, 26 Crockford base32 characters, time first, no repeats")
    func identifiers() {
        let alphabet = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var seen = Set<String>()
        for _ in 0..<50_000 {
            let id = Identifier.make(prefix: "cb", epochMilliseconds: 1_709_541_480_000)
            #expect(id.hasPrefix("cb_"))
            #expect(id.count == 29)
            #expect(id.dropFirst(3).allSatisfy(alphabet.contains))
            seen.insert(id)
        }
        #expect(seen.count == 50_000)
        let earlier = Identifier.make(prefix: "ntf", epochMilliseconds: 1_000)
        let later = Identifier.make(prefix: "ntf", epochMilliseconds: 2_000)
        #expect(earlier < later)
        #expect(earlier.dropFirst(4).prefix(10) == "00000000Z8")
    }

    @Test("serialised strings escape quotes, backslashes and control characters, and copy the rest")
    func stringEscapes() throws {
        let value: JSONValue = ["plain": "Bhiwandi (MH) — हब", "escaped": "a\"b\\c\nd\u{01}"]
        let text = value.serialized()
        #expect(text == #"{"plain":"Bhiwandi (MH) — हब","escaped":"a\"b\\c\nd\u0001"}"#)
        #expect(try JSONValue.parse(text) == value)
    }
}
