import RelayCore
import Testing

/// The pure half of the normalisation stage: a batch against a snapshot, asking for what the snapshot lacks.
@Suite("Normaliser over a batch and a snapshot")
struct BatchNormaliserTests {
    static func request(code: Int, time: String, awb: String = "B1") throws -> NormalisationRequest {
        let body = #"{"waybill":"\#(awb)","clickpost_status_code":\#(code),"timestamp":"\#(time)","additional":{"order_id":"O-\#(awb)"}}"#
        let parsed = try CallbackParser.parse(aggregator: .clickpost, body: Array(body.utf8), contentType: "application/json")
        return NormalisationRequest(events: parsed.events, client: NormaliserTests.client, receivedAt: NormaliserTests.received)
    }

    static let key = ShipmentKey(client: "acme", shipment: "B1", leg: .forward)
    static let registration = ShipmentRegistrationKey(client: "acme", awb: "B1")

    @Test("an empty snapshot: the batch asks for the registration first, then for the state of the leg it decides")
    func learnsKeys() throws {
        let batch = [try Self.request(code: 5, time: "2024-03-08T01:00:00Z"), nil]
        guard case .needs(let first) = Normaliser().normalise(batch: batch, snapshot: NormalisationSnapshot()) else {
            Issue.record("normalised against nothing")
            return
        }
        #expect(first.registrations == [Self.registration])
        var snapshot = NormalisationSnapshot(registrations: [Self.registration: ShipmentRegistration?.none])
        // A snapshot that lacks the state is never taken for "no state".
        guard case .needs(let second) = Normaliser().normalise(batch: batch, snapshot: snapshot) else {
            Issue.record("normalised without the state")
            return
        }
        #expect(second.states.contains(Self.key))
        snapshot.merge(NormalisationSnapshot(states: [Self.key: .absent]))
        guard case .complete(let results, let reads) = Normaliser().normalise(batch: batch, snapshot: snapshot) else {
            Issue.record("still incomplete")
            return
        }
        #expect(results.count == 2)
        #expect(results[1] == nil)
        #expect(results[0]?.notifications.map { $0.type.name } == ["IN_TRANSIT"])
        #expect(reads.states[Self.key] == VersionedShipmentState.absent)
        #expect(reads.registrations.keys.contains(Self.registration))
    }

    @Test("later callbacks of a batch see the states earlier ones produced; reads keep the snapshot's version")
    func batchOrder() throws {
        let batch = [try Self.request(code: 6, time: "2024-03-08T02:00:00Z"),
                     try Self.request(code: 5, time: "2024-03-08T01:00:00Z")]
        let stored = VersionedShipmentState(state: ShipmentState(), version: 7)
        let snapshot = NormalisationSnapshot(states: [Self.key: stored], registrations: [Self.registration: ShipmentRegistration?.none])
        guard case .complete(let results, let reads) = Normaliser().normalise(batch: batch, snapshot: snapshot) else {
            Issue.record("incomplete")
            return
        }
        #expect(results[0]?.notifications.count == 1)
        #expect(results[1]?.events.map { $0.outcome.rawValue } == ["stale"])
        #expect(reads.states[Self.key]?.version == 7)
    }

    @Test("the likely keys of a batch are what it reads in the common case: one snapshot, one normalisation")
    func likelyKeys() throws {
        let batch = [try Self.request(code: 5, time: "2024-03-08T01:00:00Z"), nil]
        let keys = Normaliser().likelyKeys(of: batch)
        #expect(keys == NormalisationKeys(states: [Self.key], registrations: [Self.registration]))
        let snapshot = NormalisationSnapshot(states: [Self.key: .absent],
                                             registrations: [Self.registration: ShipmentRegistration?.none])
        guard case .complete = Normaliser().normalise(batch: batch, snapshot: snapshot) else {
            Issue.record("the likely keys were not enough")
            return
        }
    }
}
