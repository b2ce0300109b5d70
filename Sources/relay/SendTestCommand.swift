import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayCore

/// `relay send-test`: one signed sample to a client's endpoint through a running relay, to check a receiver before
/// going live.
struct SendTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-test",
        abstract: "Send a signed sample notification to an endpoint and print the receiver's answer.",
        discussion: """
            The running relay signs the sample exactly like a delivery (webhook-id, webhook-timestamp, \
            webhook-signature, the endpoint's headers or Magento admin token) and adds the header \
            webhook-attempt-trigger: test. Nothing is stored. Exits 1 when the receiver does not answer 2xx, printing \
            the failure class (connect, dns, tls, timeout, http_4xx, …).

              relay send-test --client acme --endpoint notification --type DELIVERED
              relay send-test --client acme --endpoint return_ack
            """)

    @OptionGroup var admin: AdminOptions
    @Option(help: "Client id.") var client: String
    @Option(help: "notification, return_ack, order_posting, or the name of an extra endpoint.") var endpoint: String
    @Option(
        help: "Notification type of the sample (notification and extra endpoints), e.g. DELIVERED, INVOICE_GENERATED.")
    var type: String?

    var endpointId: String {
        ["notification", "return_ack", "order_posting"].contains(endpoint)
            ? "\(client)/\(endpoint)" : "\(client)/extra/\(endpoint)"
    }

    func run() async throws {
        guard let token = admin.token ?? ProcessInfo.processInfo.environment["RELAY_ADMIN_TOKEN"] else {
            throw ValidationError("pass --token or set RELAY_ADMIN_TOKEN")
        }
        let base = admin.url.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let path = endpointId.split(separator: "/").map { URLForm.encode(String($0)) }.joined(separator: "/")
        var request = HTTPClientRequest(url: "\(base)/admin/v1/endpoints/\(path)/test")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        var body = JSONObject()
        if let type { body["type"] = .string(type) }
        request.body = .bytes(ByteBuffer(bytes: JSONValue.object(body).serializedBytes()))
        let answer: JSONValue
        let status: Int
        do {
            // The relay waits for the receiver (at most 30 s) before it answers.
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            status = Int(response.status.code)
            answer = (try? JSONValue.parse(Array(bytes.readableBytesView))) ?? .null
        } catch {
            FileHandle.standardError.write(Data("relay send-test: cannot reach the relay at \(base): \(error)\n".utf8))
            throw ExitCode(2)
        }
        guard status == 200 else {
            FileHandle.standardError.write(
                Data(
                    "relay send-test: relay answered \(status) \(answer["error"]?.text ?? ""): \(answer["detail"]?.text ?? "")\n"
                        .utf8))
            throw ExitCode(2)
        }
        let delivered = answer["delivered"]?.boolean == true
        if admin.json {
            print(answer.prettyPrinted())
        } else {
            print(Self.describe(answer))
        }
        if !delivered { throw ExitCode(1) }
    }

    static func describe(_ answer: JSONValue) -> String {
        let text = { (key: String) in answer[key]?.text ?? "" }
        var lines = [
            "\(text("endpoint")): \(text("method")) \(text("url")) (\(text("type")), webhook-id \(text("webhookId")))"
        ]
        let excerpt = text("responseExcerpt").replacingOccurrences(of: "\n", with: " ")
        let shown = excerpt.count > 300 ? String(excerpt.prefix(300)) + "…" : excerpt
        if answer["delivered"]?.boolean == true {
            lines.append("delivered: \(text("status")) in \(text("durationMs")) ms")
        } else if let status = answer["status"]?.integer {
            lines.append("FAILED (\(text("failureClass"))): \(status) in \(text("durationMs")) ms")
            if let error = answer["error"]?.text { lines.append("error: \(error)") }
        } else {
            lines.append("FAILED (\(text("failureClass"))) after \(text("durationMs")) ms: \(text("error"))")
        }
        if !shown.isEmpty { lines.append("body: \(shown)") }
        return lines.joined(separator: "\n")
    }
}
