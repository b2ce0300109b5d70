import Foundation
import RelayCore
import RelayStore
import Testing

/// What the normaliser remembers per shipment for issue #13 (RTO once, stable returnOrderTime) and issue #12
/// (untrusted times), kept by the real stores between callbacks.
@Suite("Shipment state in the store: RTO once, return time, untrusted times")
struct MappingStateStoreTests {
    /// Ingests and normalises one Clickpost callback on its own, as the server does; returns the new notifications.
    static func post(_ store: any RelayStore, awb: String, code: Int, time: String) async throws -> [JSONValue] {
        let (inbound, parsed) = StoreTests.callback(awb: awb, code: code, time: time)
        _ = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
        let pending = try await store.unnormalisedCallbacks(afterSeq: 0, limit: 10)
        _ = try await store.normalise(pending.map { NormalisationInput(callback: $0, parsed: parsed) },
                                      using: StoreTests.normalise)
        return try await store.notifications(client: "acme", awb: awb).compactMap { try? JSONValue.parse($0.payload) }
    }

    @Test("RTO once and one returnOrderTime across separately normalised callbacks", arguments: StoreBackend.available)
    func rtoOnceAndReturnTime(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let awb = "S-RTO-\(UUID().uuidString.prefix(8))"
            _ = try await Self.post(store, awb: awb, code: 21, time: "2024-03-09T10:00:00Z")
            _ = try await Self.post(store, awb: awb, code: 13, time: "2024-03-10T10:00:00Z")  // progress
            let all = try await Self.post(store, awb: awb, code: 14, time: "2024-03-11T10:00:00Z")
            #expect(all.map { $0["notificationType"]?.text } == ["RTO", "RTO_DELIVERED"])
            let first = JSONValue.int(TimestampParser().parse("2024-03-09T10:00:00Z")!.epochSeconds)
            #expect(all.map { $0["returnOrderInfo"]?["returnOrderTime"] } == [first, first])
        }
    }

    @Test("an absurd event time does not make later events stale", arguments: StoreBackend.available)
    func untrustedTimeDoesNotPoison(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let awb = "S-T-\(UUID().uuidString.prefix(8))"
            _ = try await Self.post(store, awb: awb, code: 5, time: "9223372036854775807")
            _ = try await Self.post(store, awb: awb, code: 6, time: "2024-03-07T04:00:00Z")
            let all = try await Self.post(store, awb: awb, code: 8, time: "2024-03-08T04:00:00Z")
            #expect(all.map { $0["notificationType"]?.text } == ["IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"])
        }
    }
}
