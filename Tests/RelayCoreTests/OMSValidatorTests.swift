import Foundation
import RelayCore
import Testing

/// The OMS validators agree with `Schemas/`: every example there passes or fails as its name says, and a body
/// missing any field the schema requires is refused with that field named.
@Suite("OMS validators against Schemas/")
struct OMSValidatorTests {
    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Schemas")

    static func validate(_ folder: String, _ body: JSONValue) throws {
        switch folder {
        case "return-ack": _ = try OMSValidator.returnAck(body)
        case "invoice-notification": _ = try OMSValidator.invoice(body, receivedAt: EventTime(epochSeconds: 1_710_000_000))
        default: _ = try OMSValidator.orderPosting(body)
        }
    }

    static let exampleFiles: [(folder: String, name: String)] = ["return-ack", "invoice-notification", "order-posting"]
        .flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: schemas.appendingPathComponent("examples/\(folder)").path)) ?? [])
                .filter { $0.hasSuffix(".json") }.sorted().map { (folder, $0) }
        }

    @Test("each example is accepted or refused as its name says", arguments: exampleFiles)
    func examples(_ example: (folder: String, name: String)) throws {
        let url = Self.schemas.appendingPathComponent("examples/\(example.folder)/\(example.name)")
        let body = try JSONValue.parse([UInt8](Data(contentsOf: url)))
        if example.name.contains(".invalid.") {
            #expect(throws: OMSValidationError.self) { try Self.validate(example.folder, body) }
        } else {
            #expect(throws: Never.self) { try Self.validate(example.folder, body) }
        }
    }

    @Test("dropping any field the schema requires is refused, naming the field",
          arguments: [("return-ack", "seed_qc_fail.json"), ("invoice-notification", "seed_invoice_generated.json"),
                      ("order-posting", "seed_outward_order_create.json")])
    func requiredFields(_ example: (folder: String, name: String)) throws {
        let schema = try JSONValue.parse([UInt8](Data(contentsOf: Self.schemas.appendingPathComponent("\(example.folder).schema.json"))))
        let required = (schema["required"]?.array ?? []).compactMap(\.text)
        #expect(!required.isEmpty)
        let body = try JSONValue.parse([UInt8](Data(contentsOf: Self.schemas.appendingPathComponent("examples/\(example.folder)/\(example.name)"))))
        for field in required where !(example.folder == "invoice-notification" && field == "notificationUpdateTime") {
            var object = try #require(body.object)
            object[field] = nil
            #expect {
                try Self.validate(example.folder, .object(object))
            } throws: { error in
                (error as? OMSValidationError)?.field == field
            }
        }
    }
}
