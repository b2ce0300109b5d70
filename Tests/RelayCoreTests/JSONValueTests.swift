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
