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
        case "invoice-notification": _ = try OMSValidator.invoice(body)
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
        for field in required {
            var object = try #require(body.object)
            object[field] = nil
            #expect {
                try Self.validate(example.folder, .object(object))
            } throws: { error in
                (error as? OMSValidationError)?.field == field
            }
        }
    }

    @Test("the embedded schemas are the files in Schemas/, byte for byte")
    func embeddedSchemasAreTheFiles() throws {
        for (name, text) in [("return-ack", OMSValidator.returnAckSchemaText),
                             ("invoice-notification", OMSValidator.invoiceSchemaText),
                             ("order-posting", OMSValidator.orderPostingSchemaText)] {
            let file = try String(contentsOf: Self.schemas.appendingPathComponent("\(name).schema.json"), encoding: .utf8)
            #expect(file.trimmingCharacters(in: .newlines) == text, "Sources/RelayCore/OMS/OMSSchemas.swift: \(name) differs")
        }
    }

    @Test("the issue's accepted-but-invalid bodies are refused (issue #13)")
    func issueCases() throws {
        let examples = Self.schemas.appendingPathComponent("examples")
        let posting = try JSONValue.parse([UInt8](Data(contentsOf: examples.appendingPathComponent(
            "order-posting/seed_outward_order_create.json"))))
        func refusedPosting(_ change: (inout JSONObject) -> Void, field: String) {
            var object = posting.object!
            change(&object)
            #expect {
                try OMSValidator.orderPosting(.object(object))
            } throws: { error in
                (error as? OMSValidationError)?.field == field
            }
        }
        refusedPosting({ $0["paymentMethod"] = "PREPAID" }, field: "paymentMethod")
        refusedPosting({ $0["eventType"] = "OUTWARD_ORDER_bogus" }, field: "eventType")
        refusedPosting({ $0["shippingAddress"] = [:] }, field: "shippingAddress.name")
        refusedPosting({ object in
            var items = object["orderItems"]!.array!
            var item = items[0].object!
            item["barcode"] = nil
            items[0] = .object(item)
            object["orderItems"] = .array(items)
        }, field: "orderItems[0].barcode")
        let invoice = try JSONValue.parse([UInt8](Data(contentsOf: examples.appendingPathComponent(
            "invoice-notification/seed_invoice_generated.json"))))
        var milliseconds = invoice.object!
        milliseconds["notificationUpdateTime"] = .int(1_710_000_000_000)
        #expect(throws: OMSValidationError.self) { try OMSValidator.invoice(.object(milliseconds)) }
        var nullURL = invoice.object!
        var data = nullURL["invoiceData"]!.object!
        data["documentUrl"] = .null
        nullURL["invoiceData"] = .object(data)
        #expect(throws: OMSValidationError.self) { try OMSValidator.invoice(.object(nullURL)) }
        var bogusType = invoice.object!
        var bogusData = bogusType["invoiceData"]!.object!
        bogusData["documentType"] = "RECEIPT"
        bogusType["invoiceData"] = .object(bogusData)
        #expect(throws: OMSValidationError.self) { try OMSValidator.invoice(.object(bogusType)) }
        let ack = try JSONValue.parse([UInt8](Data(contentsOf: examples.appendingPathComponent("return-ack/seed_qc_fail.json"))))
        var extra = ack.object!
        extra["surprise"] = "field"
        #expect {
            try OMSValidator.returnAck(.object(extra))
        } throws: { error in
            (error as? OMSValidationError)?.field == "surprise"
        }
    }
}
