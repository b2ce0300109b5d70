import Foundation
import RelayTestSupport
import Testing

/// Credentials carried in headers, the path or the query are checked before the body is read (issue #12, point 2):
/// the head of a 1 MiB request with wrong or missing credentials is answered 401 and the connection closed while
/// the body has not been sent at all.
@Suite("Head-first rejection", .serialized)
struct HeadFirstRejectionTests {
    @Test("the head of a 1 MiB request with wrong or missing credentials gets 401 before any body byte is sent")
    func headOnly401() async throws {
        let fixture = try RelayFixture()
        defer { fixture.cleanUp() }
        let relay = try await fixture.start()
        let cases: [(name: String, path: String, headers: [String])] = [
            ("clickpost, no key", "/v1/callbacks/clickpost/e2e", []),
            ("clickpost, wrong webhook_key", "/v1/callbacks/clickpost/e2e", ["webhook_key: wrong"]),
            ("clickpost, wrong Authorization", "/v1/callbacks/clickpost/e2e", ["Authorization: wrong"]),
            ("shiprocket, no x-api-key", "/v1/callbacks/st/e2e", []),
            ("shiprocket, wrong x-api-key", "/v1/callbacks/st/e2e", ["x-api-key: wrong"]),
            ("shipway, wrong path token", "/v1/callbacks/shipway/e2e/wrong", []),
            ("shipway, wrong ?token=", "/v1/callbacks/shipway/e2e?token=wrong", []),
            ("shipway, no token (no classic hash configured)", "/v1/callbacks/shipway/e2e", []),
            ("eshipz, wrong header", "/v1/callbacks/eshipz/e2e", ["X-Webhook-Token: wrong"]),
            ("eshipz, wrong Basic", "/v1/callbacks/eshipz/e2e", ["Authorization: Basic \(Data("u:wrong".utf8).base64EncodedString())"]),
        ]
        for (name, path, headers) in cases {
            let port = fixture.port
            let outcome = await RawSocket.offPool { () -> (answer: String, closed: Bool, milliseconds: Int) in
                guard let socket = try? RawSocket(port: port) else { return ("no connection", false, 0) }
                let head = (["POST \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Content-Type: application/json",
                             "Content-Length: \(1 << 20)"] + headers).joined(separator: "\r\n") + "\r\n\r\n"
                let start = Date()
                socket.send(Array(head.utf8))
                // Nothing more is sent: the answer must come from the head alone, and the server must then close.
                let (bytes, closed) = socket.readUntilClosed()
                return (String(decoding: bytes, as: UTF8.self), closed, Int(Date().timeIntervalSince(start) * 1000))
            }
            print("head-first: \(name): \(outcome.answer.prefix(12)) closed=\(outcome.closed) in \(outcome.milliseconds) ms")
            #expect(outcome.answer.hasPrefix("HTTP/1.1 401"), "\(name): \(outcome.answer)")
            #expect(outcome.answer.lowercased().contains("connection: close"), "\(name)")
            #expect(outcome.closed, "\(name): the server kept waiting for the body")
        }
        // A declared body over the limit is refused the same way (413), unknown clients too (404).
        for (path, headers, status) in [("/v1/callbacks/clickpost/e2e", ["webhook_key: \(fixture.clickpostKey)"], "413"),
                                        ("/v1/callbacks/clickpost/nobody", ["webhook_key: x"], "404")] {
            let port = fixture.port
            let answer = await RawSocket.offPool { () -> String in
                guard let socket = try? RawSocket(port: port) else { return "no connection" }
                let length = status == "413" ? (1 << 20) + 1 : 1 << 20
                let head = (["POST \(path) HTTP/1.1", "Host: 127.0.0.1", "Content-Length: \(length)"] + headers)
                    .joined(separator: "\r\n") + "\r\n\r\n"
                socket.send(Array(head.utf8))
                return String(decoding: socket.readUntilClosed().bytes, as: UTF8.self)
            }
            #expect(answer.hasPrefix("HTTP/1.1 \(status)"), "\(path): \(answer)")
        }
        #expect(try fixture.count("SELECT count(*) FROM callbacks") == 0)
        // The relay still serves normally.
        #expect(try await fixture.postClickpost(awb: "HEAD-FIRST-1") != nil)
        #expect(await relay.terminate() == 0)
    }
}
