import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// Issue #13 decision 7 through the real binary: a Shiprocket callback with an `order_id` but no AWB is accepted,
/// normalised and delivered keyed by the order (deduplicated and ordered per order) until an AWB appears.
@Suite("Order-level callbacks end to end (real binary)", .serialized)
struct OrderLevelEndToEndTests {
    static func shiprocket(current: Int, label: String, time: String, awb: String? = nil) -> [UInt8] {
        let awbJSON = awb.map { #""awb":"\#($0)","courier_name":"Delhivery Surface","# } ?? ""
        return Array(#"{\#(awbJSON)"current_status_id":\#(current),"current_status":"\#(label)","current_timestamp":"\#(time)","order_id":"ORD-E2E-7","sr_order_id":338163,"is_return":0}"#.utf8)
    }

    @Test("order-level statuses are relayed keyed by the order, deduplicated and ordered per order")
    func orderLevelCallbacks() async throws {
        let receiver = TestReceiver()
        try await receiver.start()
        let fixture = try RelayFixture(notificationURL: receiver.url + "/n")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        // given: statuses of one order before its AWB exists, one of them twice and one older than the others
        let invoiced = Self.shiprocket(current: 2, label: "INVOICED", time: "01 03 2024 10:00:00")
        #expect(try await fixture.post(aggregator: "shiprocket", body: invoiced) == 200)
        #expect(try await fixture.post(aggregator: "shiprocket", body: invoiced) == 200)  // a replay
        #expect(try await fixture.post(aggregator: "shiprocket", body: Self.shiprocket(
            current: 3, label: "READY TO SHIP", time: "01 03 2024 12:00:00")) == 200)
        #expect(try await fixture.post(aggregator: "shiprocket", body: Self.shiprocket(
            current: 8, label: "EPAYMENT FAILED", time: "01 03 2024 09:00:00")) == 200)  // older: stale
        // when: the AWB appears
        #expect(try await fixture.post(aggregator: "shiprocket", body: Self.shiprocket(
            current: 4, label: "PICKUP SCHEDULED", time: "02 03 2024 10:00:00", awb: "SR-E2E-7")) == 200)
        // then: three notifications; the order-level ones in event order. (Once the AWB appears its notifications
        // form a chain of their own, so they are not ordered against the order-level chain.)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, receiver.requests(path: "/n").count < 3 {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(500))  // nothing more arrives
        let bodies = receiver.requests(path: "/n").compactMap { try? JSONValue.parse($0.body) }
        print("order-level: received \(bodies.map { $0["notificationType"]?.text ?? "?" })")
        let orderLevel = bodies.filter { $0["forwardAwb"]?.isNull == true }
        #expect(orderLevel.map { $0["notificationType"]?.text } == ["INVOICED", "READY_TO_SHIP"])
        #expect(bodies.filter { $0["forwardAwb"]?.text == "SR-E2E-7" }.map { $0["notificationType"]?.text }
                == ["PICKUP_SCHEDULED"])
        #expect(bodies.count == 3)
        #expect(bodies.allSatisfy { $0["forwardOrderCode"] == "ORD-E2E-7" })
        // the store keys the order-level notifications by the order, and kept the older status as stale
        #expect(try fixture.count("SELECT count(*) FROM notifications WHERE shipment = 'order:ORD-E2E-7'") == 2)
        #expect(try fixture.count("SELECT count(*) FROM notifications WHERE shipment = 'SR-E2E-7'") == 1)
        #expect(try fixture.texts("SELECT outcome FROM events WHERE status_code LIKE '8/%'") == ["stale"])
        #expect(try fixture.count("SELECT count(*) FROM callbacks") == 5)
        #expect(try fixture.count(EventRows.countSQL) == 4)  // the replay was answered "duplicate"
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }
}

/// Issue #12 (timestamps) through the real binary: an absurd courier time is relayed and marked in the trace, and the
/// AWB's later events, DELIVERED included, are still relayed.
@Suite("Untrusted event times end to end (real binary)", .serialized)
struct UntrustedTimeEndToEndTests {
    static func clickpost(code: Int, time: String) -> [UInt8] {
        Array(#"{"waybill":"UT-E2E-1","cp_id":4,"account_code":"DELHIVERY","status":"s","location":"l","timestamp":"\#(time)","clickpost_status_code":\#(code),"additional":{"is_rvp":false,"order_id":"ORD-UT-1"}}"#.utf8)
    }

    @Test("an Int64.max time does not poison the AWB; the trace shows relayed_untrusted_time")
    func untrustedTimeRelayedAndMarked() async throws {
        let fixture = try RelayFixture()
        defer { fixture.cleanUp() }
        let relay = try await fixture.start()
        // given: a µs epoch, then an absurd time, then ordinary scans
        for (code, time) in [(4, "1709700000000000"), (5, "9223372036854775807"), (6, "2024-03-07T04:00:00Z"),
                             (8, "2024-03-08T04:00:00Z")] {
            #expect(try await fixture.post(aggregator: "clickpost", body: Self.clickpost(code: code, time: time)) == 200)
        }
        // then: four notifications, DELIVERED last
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, try fixture.count(EventRows.countSQL) < 4 {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try fixture.texts("SELECT type FROM notifications ORDER BY seq")
                == ["PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"])
        #expect(try fixture.texts(EventRows.outcomesSQL) == ["relayed", "relayed_untrusted_time", "relayed", "relayed"])
        // the events that produced notifications are kept in the notifications' rows, not in `events`
        #expect(try fixture.count("SELECT count(*) FROM events") == 0)
        let (status, trace) = try await fixture.admin(.GET, "shipments/UT-E2E-1/trace")
        #expect(status == 200)
        let details = trace["entries"]?.array?.compactMap { $0["detail"]?.text } ?? []
        print("untrusted time trace: \(details.filter { $0.contains("untrusted") })")
        #expect(details.contains { $0.contains("relayed_untrusted_time") })
        #expect(await relay.terminate() == 0)
    }
}

/// The store's events in both places (migration 13): `events` rows, and the events kept in their notifications' rows.
enum EventRows {
    static let countSQL = """
        SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM notifications WHERE event_outcome IS NOT NULL)
        """
    /// Outcomes in the order the events were parsed.
    static let outcomesSQL = """
        SELECT outcome FROM (SELECT callback_seq AS c, coalesce(position, -1) AS p, outcome FROM events
            UNION ALL SELECT callback_seq, event_position, event_outcome FROM notifications
            WHERE event_outcome IS NOT NULL) ORDER BY c, p
        """
}
