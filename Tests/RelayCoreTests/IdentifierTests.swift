import RelayCore
import Testing

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
