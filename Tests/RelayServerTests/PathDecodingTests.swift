import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import RelayCore
import RelayStore
import Testing

/// Path parameters are percent-decoded (issue #12, point 9).
@Suite("Path decoding")
struct PathDecodingTests {
    @Test("an AWB sent percent-encoded in the path is stored and found decoded; a client id too")
    func omsAWB() async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        try await relay.test { client in
            let headers: HTTPFields = [.authorization: "Bearer \(relay.secrets["API"]!)", .contentType: "application/json"]
            let body = #"{"forwardOrderCode":"WEB-1","forwardShipmentCode":"SHP-1","warehouseCode":"WH","items":[{"itemId":"1","sku":"S","quantity":1}]}"#
            let put = try await client.execute(uri: "/v1/clients/%61cme/shipments/AWB%2F1%20x", method: .put,
                                               headers: headers, body: ByteBuffer(string: body))
            #expect(put.status.code < 300, "\(String(buffer: put.body))")
            let stored = try relay.query("SELECT awb FROM shipment_registry") { $0.text(0) ?? "" }
            #expect(stored == ["AWB/1 x"])
            let get = try await client.execute(uri: "/v1/clients/acme/shipments/AWB%2F1%20x", method: .get, headers: headers)
            #expect(get.status == .ok)
            // A callback route's client id too.
            let probe = try await client.execute(uri: "/v1/callbacks/clickpost/%61cme", method: .post,
                                                 headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}"))
            #expect(probe.status == .unauthorized, "decoded to acme: a known client, so 401 rather than 404")
        }
    }
}
