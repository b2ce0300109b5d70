import Foundation
import RelayCore
import Testing

/// Size limits and linear decoding of callback bodies (issue #12, point 2): a hostile body costs about as much as
/// a normal one and is answered with an error naming the limit.
@Suite("Hostile callback bodies")
struct HostileInputTests {
    static func form(keys: Int) -> [UInt8] {
        Array((0..<keys).map { "k\($0)=v\($0)" }.joined(separator: "&").utf8)
    }

    static let formType = "application/x-www-form-urlencoded"

    @Test("a form with 1,000 fields decodes; 1,001 or 30,000 are refused with the limit named")
    func formFieldCap() throws {
        let ok = try CallbackParser.readBody(aggregator: .shipway, body: Self.form(keys: 1_000), contentType: Self.formType)
        #expect(ok.object?.members.count == 1_000)
        #expect(ok["k999"] == "v999")
        for keys in [1_001, 30_000] {
            do {
                _ = try CallbackParser.readBody(aggregator: .shipway, body: Self.form(keys: keys), contentType: Self.formType)
                Issue.record("\(keys) fields were accepted")
            } catch {
                #expect(error.shortDescription == "body_over_limit")
                #expect(error.detail.contains("1000 fields"))
            }
        }
    }

    @Test("form decoding is linear: 30,000 keys cost about as much as 1,001 (both stop at the cap)")
    func formDecodingIsLinear() throws {
        let clock = ContinuousClock()
        let big = Self.form(keys: 30_000)
        let elapsed = clock.measure {
            for _ in 0..<20 { _ = try? CallbackParser.readBody(aggregator: .shipway, body: big, contentType: Self.formType) }
        }
        // Quadratic decoding took 0.76 s for 20k keys once; capped and linear, 20 tries of 30k take milliseconds.
        #expect(elapsed < .seconds(2), "\(elapsed)")
    }

    @Test("repeated form keys keep their first position and the last value")
    func repeatedKeys() throws {
        let value = try CallbackParser.readBody(aggregator: .shipway, body: Array("a=1&b=2&a=3".utf8),
                                                contentType: Self.formType)
        #expect(value.object?.keys == ["a", "b"])
        #expect(value["a"] == "3")
    }

    @Test("JSON: nesting deeper than 64, an object with more than 1,000 members, more than 50,000 values: 400 naming the limit")
    func jsonLimits() throws {
        let deep = Array((String(repeating: "[", count: 65) + String(repeating: "]", count: 65)).utf8)
        let wide = Array(("{" + (0..<1_001).map { "\"k\($0)\":1" }.joined(separator: ",") + "}").utf8)
        let many = Array(("[" + Array(repeating: "1", count: 50_001).joined(separator: ",") + "]").utf8)
        for (body, limit) in [(deep, "nesting deeper than 64"), (wide, "more than 1000 members"),
                              (many, "more than 50000 values")] {
            do {
                _ = try CallbackParser.readBody(aggregator: .clickpost, body: body, contentType: "application/json")
                Issue.record("accepted a body over the limit \(limit)")
            } catch {
                #expect(error.shortDescription == "body_over_limit")
                #expect(error.detail.contains(limit), "\(error.detail)")
            }
        }
        let fine = Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8)
        #expect(throws: Never.self) { try JSONValue.parse(fine) }
        let thousand = Array(("{" + (0..<1_000).map { "\"k\($0)\":1" }.joined(separator: ",") + "}").utf8)
        #expect(try JSONValue.parse(thousand).object?.members.count == 1_000)
        // Grammar errors stay body_not_json.
        do {
            _ = try CallbackParser.readBody(aggregator: .clickpost, body: Array("{nope".utf8), contentType: nil)
        } catch {
            #expect(error.shortDescription == "body_not_json")
        }
    }

    @Test("Shipway's panel shape with 1,000 top-level members parses in linear time")
    func shipwayMergeIsLinear() throws {
        var members = (0..<999).map { "\"x\($0)\":\"v\"" }
        members.append(#""current_status":"DEL""#)
        let body = Array(("{" + members.joined(separator: ",") + "}").utf8)
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for _ in 0..<20 { _ = try CallbackParser.parse(aggregator: .shipway, body: body, contentType: nil) }
        }
        #expect(elapsed < .seconds(2), "\(elapsed)")
    }

    /// A Clickpost callback with `waybill` as given (JSON text of the value).
    static func clickpost(waybill: String) -> [UInt8] {
        Array(("{\"waybill\": \(waybill), \"cp_id\": 4, \"status\": \"OFD\", \"timestamp\": \"2024-03-07T04:30:00Z\", "
            + "\"clickpost_status_code\": 6, \"additional\": {\"order_id\": \"WEB-1\"}}").utf8)
    }

    @Test("NUL (\\u0000 in JSON, %00 in a form) is refused: no PostgreSQL text column can hold it")
    func nulIsRefused() throws {
        _ = try CallbackParser.parse(aggregator: .clickpost, body: Self.clickpost(waybill: #""X1""#), contentType: nil)
        do {
            _ = try CallbackParser.parse(aggregator: .clickpost, body: Self.clickpost(waybill: #""X\u0000""#),
                                         contentType: nil)
            Issue.record("a waybill holding NUL was accepted")
        } catch {
            #expect(error.shortDescription == "body_not_json")
            #expect(error.detail.contains("NUL"))
        }
        // Other escaped control characters are text PostgreSQL can hold.
        let tab = try JSONValue.parse(Array(#"{"a": "x\u0001y"}"#.utf8))
        #expect(tab["a"]?.text == "x\u{01}y")
        for form in ["status_feed=%5B%5D&hash=a%00b", "a%00=1"] {
            do {
                _ = try CallbackParser.readBody(aggregator: .shipway, body: Array(form.utf8), contentType: Self.formType)
                Issue.record("a form holding %00 was accepted: \(form)")
            } catch {
                #expect(error.shortDescription == "body_not_json")
                #expect(error.detail.contains("NUL"))
            }
        }
    }

    @Test("a waybill or order id over 256 bytes is refused (the stores index them)")
    func longIdentifiersAreRefused() throws {
        let longest = String(repeating: "A", count: CallbackParser.maxIdentifierBytes)
        let parsed = try CallbackParser.parse(aggregator: .clickpost, body: Self.clickpost(waybill: "\"\(longest)\""),
                                              contentType: nil)
        #expect(parsed.events.first?.awb == longest)
        do {
            _ = try CallbackParser.parse(aggregator: .clickpost, body: Self.clickpost(waybill: "\"\(longest)B\""),
                                         contentType: nil)
            Issue.record("a 257-byte waybill was accepted")
        } catch {
            #expect(error.shortDescription == "unrecognised_shape")
            #expect(error.detail.contains("waybill is longer than 256 bytes"))
        }
    }
}
