import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// Issue #13, decision 12: each OMS route accepts exactly what its JSON Schema accepts. 2,400 bodies mutated from
/// the examples in `Schemas/examples/` (seeded RNG, `scripts/oms_schema_differential.py`) are judged by Python
/// `jsonschema` (draft 2020-12, format checking) and by the relay — every one through the real binary's route
/// (400 vs 202) and through the public validator API — and every verdict must be the same.
@Suite("OMS schemas: relay vs Python jsonschema (real binary)", .serialized)
struct OMSSchemaDifferentialTests {
    static let count = 2400
    /// `RELAY_OMS_DIFF_SEED` runs another corpus (the default is fixed, so a failure reproduces).
    static let seed = ProcessInfo.processInfo.environment["RELAY_OMS_DIFF_SEED"].flatMap { Int($0) } ?? 13

    @Test("2,400 mutated bodies: the relay's 202/400 matches jsonschema's verdict for every one")
    func differential() async throws {
        let fixture = try RelayFixture(omsBaseURL: "http://127.0.0.1:9")
        defer { fixture.cleanUp() }
        let corpus = fixture.directory.appendingPathComponent("bodies.jsonl")
        let generated = try await DeliveryEndToEndTests.runPythonScript(
            "oms_schema_differential.py", [corpus.path, String(Self.count), String(Self.seed)])
        try #require(generated.status == 0, "\(generated.output)")
        print("jsonschema verdicts:\n\(generated.output)")
        let lines = try String(contentsOf: corpus, encoding: .utf8).split(separator: "\n")
        try #require(lines.count == Self.count)

        let relay = try await fixture.start()
        var routeMismatches: [String] = []
        var apiMismatches: [String] = []
        var tally: [String: Int] = [:]
        for line in lines {
            let item = try JSONValue.parse(String(line))
            let route = try #require(item["route"]?.text)
            let text = try #require(item["body"].flatMap { value -> String? in
                if case .string(let text) = value { text } else { nil }
            })
            let valid = item["valid"] == .bool(true)
            tally["\(route) \(valid ? "valid" : "invalid")", default: 0] += 1

            // The real route of the real binary: 202 accepted (or duplicate messageId), 400 refused.
            let (status, answer) = try await fixture.oms(.POST, route, body: text)
            if status != (valid ? 202 : 400) {
                routeMismatches.append("\(route) jsonschema=\(valid) relay=\(status) \(answer) body=\(text)")
            }
            // The public validator API.
            let body = try JSONValue.parse(text)
            let accepted: Bool
            do {
                switch route {
                case "return-acks": _ = try OMSValidator.returnAck(body)
                case "invoices": _ = try OMSValidator.invoice(body)
                default: _ = try OMSValidator.orderPosting(body)
                }
                accepted = true
            } catch {
                accepted = false
            }
            if accepted != valid { apiMismatches.append("\(route) jsonschema=\(valid) api=\(accepted) body=\(text)") }
        }
        print("relay judged \(lines.count) bodies: "
              + tally.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
              + "; route mismatches \(routeMismatches.count), API mismatches \(apiMismatches.count)")
        #expect(routeMismatches.isEmpty, "\(routeMismatches.prefix(5).joined(separator: "\n"))")
        #expect(apiMismatches.isEmpty, "\(apiMismatches.prefix(5).joined(separator: "\n"))")
        // Both verdicts occur on every route.
        for route in ["return-acks", "invoices", "order-postings"] {
            #expect(tally["\(route) valid", default: 0] >= 50)
            #expect(tally["\(route) invalid", default: 0] >= 50)
        }
        #expect(await relay.terminate() == 0)
    }
}
