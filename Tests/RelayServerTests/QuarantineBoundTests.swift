import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import RelayCore
import RelayStore
import Testing

/// Quarantine keeps at most 64 KiB of a body that can never parse (not JSON, or over a size limit), and the whole
/// of a body of the wrong shape (issue #12, point 2: a hostile request with valid credentials stays cheap).
@Suite("Quarantine bounds")
struct QuarantineBoundTests {
    @Test("200 KB of junk: 400, 64 KiB kept with a note; a 100 KB body of the wrong shape is kept whole")
    func bounded() async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            let headers: HTTPFields = [HTTPField.Name("webhook_key")!: relay.secrets["CP_KEY"]!,
                                       .contentType: "application/json"]
            let junk = ByteBuffer(bytes: (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) })
            let refused = try await client.execute(uri: "/v1/callbacks/clickpost/acme", method: .post, headers: headers,
                                                   body: junk)
            #expect(refused.status == .badRequest)
            #expect(refused.json?["error"] == "body_not_json")
            let wrongShape = #"{"note":""# + String(repeating: "x", count: 100_000) + #""}"#
            let shape = try await client.execute(uri: "/v1/callbacks/clickpost/acme", method: .post, headers: headers,
                                                 body: ByteBuffer(string: wrongShape))
            #expect(shape.status == .badRequest)
            let rows = try relay.query("SELECT error, length(body), headers FROM callbacks ORDER BY seq") {
                ($0.text(0) ?? "", $0.int(1), $0.text(2) ?? "")
            }
            #expect(rows.count == 2)
            #expect(rows.first?.0 == "body_not_json" && rows.first?.1 == 65_536)
            #expect(rows.first?.2.contains("kept 65536 of 200000 bytes") == true)
            #expect(rows.last?.1 == Int64(wrongShape.utf8.count))
        }
    }
}
