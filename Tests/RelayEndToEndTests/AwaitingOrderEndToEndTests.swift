import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// Issue #13, decision 9 through the real binary: a callback without an order code delivers nothing until the OMS
/// registers the AWB, then its notifications arrive in order with the registered order code; an AWB never registered
/// within `delivery.hold_unregistered_hours` ends as an `unroutable` dead letter, replayable once registered.
@Suite("Awaiting order code end to end (real binary)", .serialized)
struct AwaitingOrderEndToEndTests {
    /// A Clickpost callback without any order id.
    static func callback(awb: String, code: Int, time: String) -> [UInt8] {
        Array(#"{"waybill":"\#(awb)","account_code":"DEL","status":"s","timestamp":"\#(time)","clickpost_status_code":\#(code),"additional":{"is_rvp":false}}"#.utf8)
    }

    static func until(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    /// The stores to run on: SQLite, and PostgreSQL when the test command started one (a database of its own).
    static var backends: [String] { PostgresCluster.sharedURL == nil ? ["sqlite"] : ["sqlite", "postgres"] }

    /// A fixture on `backend` and a way to count rows in its store.
    static func fixture(_ backend: String, receiver: TestReceiver, delivery: String? = nil) throws
        -> (RelayFixture, (String) throws -> Int)
    {
        var storage: String?
        var databaseURL: String?
        if backend == "postgres", let shared = PostgresCluster.sharedURL {
            let url = try PostgresCluster.createDatabase(on: shared, prefix: "hold")
            storage = #"{ postgres: { url: "\#(url)" } }"#
            databaseURL = url
        }
        let fixture = try RelayFixture(notificationURL: receiver.url + "/n", omsBaseURL: receiver.url,
                                       storage: storage, delivery: delivery)
        let count: (String) throws -> Int = { sql in
            if let databaseURL { return Int(try PostgresCluster.query(databaseURL, sql)) ?? -1 }
            return try fixture.count(sql)
        }
        return (fixture, count)
    }

    static func get(_ fixture: RelayFixture, _ path: String) async throws -> String {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(fixture.port)\(path)")
        request.headers.add(name: "authorization", value: "Bearer \(fixture.adminToken)")
        let response = try await RelayFixture.client(for: fixture.port).execute(request, timeout: .seconds(5))
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    @Test("nothing is delivered without an order code; registering the AWB delivers both notifications in order with it",
          arguments: backends)
    func heldUntilRegistered(_ backend: String) async throws {
        let receiver = TestReceiver()
        try await receiver.start()
        let (fixture, count) = try Self.fixture(backend, receiver: receiver)
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        #expect(try await fixture.post(aggregator: "clickpost",
                                       body: Self.callback(awb: "HOLD-1", code: 5, time: "2024-03-07T04:00:00Z")) == 200)
        #expect(try await fixture.post(aggregator: "clickpost",
                                       body: Self.callback(awb: "HOLD-1", code: 6, time: "2024-03-08T04:00:00Z")) == 200)
        #expect(try await Self.until(30) {
            try count("SELECT count(*) FROM deliveries WHERE state = 'awaiting_order'") == 2
        })
        // Visible to ops: trace, endpoint list and the gauge (sampled every 10 s).
        let trace = try await Self.get(fixture, "/admin/v1/shipments/HOLD-1/trace")
        #expect(trace.contains("awaiting_order"))
        let endpoints = try await Self.get(fixture, "/admin/v1/endpoints")
        #expect(endpoints.contains(#""awaitingOrder":2"#))
        #expect(try await Self.until(30) {
            try await Self.get(fixture, "/metrics").contains("relay_awaiting_order_deliveries 2")
        })
        #expect(receiver.requests(path: "/n").isEmpty, "a notification left without an order code")

        let (status, answer) = try await fixture.oms(.PUT, "shipments/HOLD-1", body: """
            {"forwardOrderCode":"ORD-HOLD-1","forwardShipmentCode":"SHP-1","warehouseCode":"WH-1"}
            """)
        #expect(status == 200)
        #expect(answer.contains(#""releasedDeliveries":2"#))
        #expect(try await Self.until(30) { receiver.requests(path: "/n").count == 2 })
        let bodies = try receiver.requests(path: "/n").map { try JSONValue.parse($0.body) }
        #expect(bodies.map { $0["notificationType"]?.text } == ["IN_TRANSIT", "OUT_FOR_DELIVERY"])
        #expect(bodies.allSatisfy { $0["forwardOrderCode"] == "ORD-HOLD-1" && $0["warehouseCode"] == "WH-1" })
        #expect(try count("SELECT count(*) FROM deliveries WHERE state = 'awaiting_order'") == 0)
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }

    @Test("an AWB not registered within hold_unregistered_hours: dead letter `unroutable`, replayed once registered",
          arguments: backends)
    func expiresUnroutable(_ backend: String) async throws {
        let receiver = TestReceiver()
        try await receiver.start()
        // A hold of 0.0005 h = 1.8 s.
        let (fixture, count) = try Self.fixture(
            backend, receiver: receiver,
            delivery: "{ timeout_seconds: 5, retry_schedule_seconds: [0.5, 1], hold_unregistered_hours: 0.0005 }")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        #expect(try await fixture.post(aggregator: "clickpost",
                                       body: Self.callback(awb: "HOLD-2", code: 6, time: "2024-03-07T04:00:00Z")) == 200)
        #expect(try await Self.until(60) {
            try count("SELECT count(*) FROM deliveries WHERE state = 'dead' AND failure_class = 'unroutable'") == 1
        })
        #expect(receiver.requests(path: "/n").isEmpty)
        let (listed, letters) = try await fixture.admin(.GET, "dead-letters?failure=unroutable")
        #expect(listed == 200)
        let letter = try #require(letters["items"]?.array?.first)
        let id = try #require(letter["id"]?.text)

        #expect(try await fixture.oms(.PUT, "shipments/HOLD-2", body: #"{"forwardOrderCode":"ORD-HOLD-2"}"#).0 == 200)
        #expect(try await fixture.admin(.POST, "dead-letters/\(id)/replay").0 == 202)
        #expect(try await Self.until(30) { receiver.requests(path: "/n").count == 1 })
        let body = try JSONValue.parse(try #require(receiver.requests(path: "/n").first).body)
        #expect(body["forwardOrderCode"] == "ORD-HOLD-2")
        #expect(body["notificationType"] == "OUT_FOR_DELIVERY")
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }
}
