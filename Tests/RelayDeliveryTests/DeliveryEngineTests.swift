import Foundation
import Synchronization
import Hummingbird
import RelayCore
import RelayDelivery
import RelayStore
import RelayTestSupport
import Testing

@Suite("Delivery engine (real HTTP receivers on 127.0.0.1)", .serialized)
struct DeliveryEngineTests {
    @Test("an endpoint never has more requests in flight than its max_in_flight (2, six notifications, 200 ms answers)")
    func capsRequestsInFlight() async throws {
        let receiver = TestReceiver { _, _ in .init(status: .ok, delay: .milliseconds(200)) }
        try await receiver.start()
        var endpoint = DeliveryHarness.endpoint(receiver.url + "/n")
        endpoint.maxInFlight = 2
        let harness = try DeliveryHarness(endpoints: [endpoint])
        for index in 0..<6 { try await harness.notify(awb: "CAP\(index)") }
        harness.start()
        #expect(try await harness.eventually {
            let deliveries = try await harness.deliveries()
            return deliveries.count == 6 && deliveries.allSatisfy { $0.state == "delivered" }
        })
        let arrivals = receiver.requests(path: "/n").map(\.at).sorted()
        #expect(arrivals.count == 6)
        // A third request only once one of the two before it is answered (200 ms later). (Whether the first two leave
        // together depends on how fast the HTTP client opens its second connection on a busy machine: not asserted.)
        for index in 0..<max(0, arrivals.count - 2) {
            #expect(arrivals[index + 2].timeIntervalSince(arrivals[index]) >= 0.15)
        }
        await harness.stop()
        await receiver.stop()
    }

    @Test("500 twice then 200: delivered on attempt 3 with the same webhook-id, signed each time")
    func retriesThenDelivers() async throws {
        let receiver = TestReceiver { _, count in .init(status: count < 2 ? .internalServerError : .ok) }
        try await receiver.start()
        let harness = try DeliveryHarness(endpoints: [DeliveryHarness.endpoint(receiver.url + "/n")])
        harness.start()
        let ids = try await harness.notify(awb: "R1")
        #expect(try await harness.eventually { try await harness.deliveries().first?.state == "delivered" })
        let requests = receiver.requests(path: "/n")
        #expect(requests.count == 3)
        #expect(Set(requests.map { $0.headers["webhook-id"] }) == [ids.first])
        #expect(requests.allSatisfy { $0.headers["webhook-signature"]?.hasPrefix("v1,") == true })
        #expect(requests.allSatisfy { $0.headers["content-type"] == "application/json" })
        let delivery = try #require(try await harness.deliveries().first)
        #expect(delivery.attempts == 3)
        let attempts = try await harness.store.attempts(delivery: delivery.seq)
        #expect(attempts.map(\.statusCode) == [500, 500, 200])
        #expect(attempts.first?.failureClass == "http_5xx")
        await harness.stop()
        await receiver.stop()
    }

    @Test("410 Gone: the endpoint is disabled and its pending deliveries become dead letters")
    func goneDisablesEndpoint() async throws {
        let receiver = TestReceiver { _, _ in .init(status: .gone, delay: .milliseconds(200)) }
        try await receiver.start()
        let harness = try DeliveryHarness(endpoints: [DeliveryHarness.endpoint(receiver.url + "/n")])
        try await harness.notify(awb: "G1")
        try await harness.notify(awb: "G1", code: 8, time: "2024-03-08T04:00:00Z")
        try await harness.notify(awb: "G2")
        harness.start()
        #expect(try await harness.eventually {
            try await harness.deliveries().allSatisfy { $0.state == "dead" }
        })
        let deliveries = try await harness.deliveries()
        #expect(deliveries.count == 3)
        #expect(deliveries.allSatisfy { $0.failureClass == "endpoint_disabled" })
        #expect(try await harness.store.disabledEndpoints() == ["acme/notification"])
        // Later notifications for a disabled endpoint wait, without a request, until ops enable it again.
        // (First let every attempt that was in flight at the 410 finish: each one's 410 dead-letters what is pending.)
        try await Task.sleep(for: .milliseconds(600))
        let before = receiver.requests.count
        try await harness.notify(awb: "G3")
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await harness.deliveries().last?.state == "pending")
        #expect(receiver.requests.count == before)
        await harness.stop()
        await receiver.stop()
    }

    @Test("429 with Retry-After: 2 → the next attempt is no earlier than 2 s later")
    func retryAfterHonoured() async throws {
        let receiver = TestReceiver { _, count in
            count == 0 ? .init(status: .tooManyRequests, headers: ["Retry-After": "2"]) : .init()
        }
        try await receiver.start()
        let harness = try DeliveryHarness(endpoints: [DeliveryHarness.endpoint(receiver.url + "/n")],
                                          schedule: [1, 1, 1])
        harness.start()
        try await harness.notify(awb: "T1")
        #expect(try await harness.eventually { try await harness.deliveries().first?.state == "delivered" })
        let requests = receiver.requests(path: "/n")
        #expect(requests.count == 2)
        if requests.count == 2 { #expect(requests[1].at.timeIntervalSince(requests[0].at) >= 1.95) }
        await harness.stop()
        await receiver.stop()
    }

    @Test("301 is a failure and the redirect target is never called")
    func redirectNotFollowed() async throws {
        let receiver = TestReceiver { request, _ in
            request.path == "/n" ? .init(status: .movedPermanently, headers: ["Location": "/elsewhere"]) : .init()
        }
        try await receiver.start()
        let harness = try DeliveryHarness(endpoints: [DeliveryHarness.endpoint(receiver.url + "/n")],
                                          schedule: [0.1])
        harness.start()
        try await harness.notify(awb: "M1")
        #expect(try await harness.eventually { try await harness.deliveries().first?.state == "dead" })
        #expect(receiver.requests(path: "/elsewhere").isEmpty)
        #expect(receiver.requests(path: "/n").count == 2)
        #expect(try await harness.deliveries().first?.failureClass == "http_3xx")
        await harness.stop()
        await receiver.stop()
    }

    @Test("a receiver that never answers → timeout after the configured timeout")
    func timeout() async throws {
        let receiver = TestReceiver { _, _ in .init(delay: .seconds(6)) }
        try await receiver.start()
        let harness = try DeliveryHarness(endpoints: [DeliveryHarness.endpoint(receiver.url + "/n")],
                                          schedule: [60], timeout: 0.5)
        harness.start()
        try await harness.notify(awb: "S1")
        #expect(try await harness.eventually {
            let delivery = try await harness.deliveries().first
            return delivery?.attempts == 1
        })
        let delivery = try #require(try await harness.deliveries().first)
        #expect(delivery.state == "pending")
        #expect(delivery.failureClass == "timeout")
        let attempt = try #require(try await harness.store.attempts(delivery: delivery.seq).first)
        #expect(attempt.failureClass == "timeout")
        #expect(attempt.durationMilliseconds >= 450 && attempt.durationMilliseconds < 5000)
        await harness.stop()
        await receiver.stop()
    }

    @Test("schedule exhausted → dead letter keeping the last attempt; connection refused is class connect")
    func exhausted() async throws {
        // A refused connection fails at once (the engine turns the HTTP client's connection retries off). The
        // timeout is long enough that a machine busy with other tests cannot turn a refusal into a timeout (1 s
        // did once in a full run).
        let harness = try DeliveryHarness(endpoints: [DeliveryHarness.endpoint("http://127.0.0.1:9/closed")],
                                          schedule: [0.1, 0.1], timeout: 10)
        harness.start()
        try await harness.notify(awb: "X1")
        #expect(try await harness.eventually { try await harness.deliveries().first?.state == "dead" })
        let delivery = try #require(try await harness.deliveries().first)
        #expect(delivery.attempts == 3)
        #expect(delivery.failureClass == "connect")
        #expect(try await harness.store.attempts(delivery: delivery.seq).count == 3)
        await harness.stop()
    }

    @Test("Magento admin token: fetched once for many deliveries, refreshed on 401")
    func magentoToken() async throws {
        let tokenCount = Atomic<Int>(0)
        let receiver = TestReceiver { request, count in
            if request.path == "/rest/V1/integration/admin/token" {
                let number = tokenCount.add(1, ordering: .relaxed).newValue
                return .init(body: "\"token-\(number)\"")
            }
            // The first token is revoked after three deliveries.
            if request.headers["authorization"] == "Bearer token-1", count >= 3 { return .init(status: .unauthorized) }
            return .init()
        }
        try await receiver.start()
        let magento = Endpoint.MagentoAdminToken(storeURL: receiver.url, username: "relay", password: "pw")
        let harness = try DeliveryHarness(endpoints: [DeliveryHarness.endpoint(receiver.url + "/n", magento: magento)])
        harness.start()
        for index in 0..<3 { try await harness.notify(awb: "MT\(index)") }
        #expect(try await harness.eventually { try await harness.deliveries().filter { $0.state == "delivered" }.count == 3 })
        #expect(tokenCount.load(ordering: .relaxed) == 1)
        for index in 3..<6 { try await harness.notify(awb: "MT\(index)") }
        #expect(try await harness.eventually { try await harness.deliveries().filter { $0.state == "delivered" }.count == 6 })
        #expect(tokenCount.load(ordering: .relaxed) == 2)
        let body = receiver.requests(path: "/rest/V1/integration/admin/token").first?.body ?? []
        #expect(String(decoding: body, as: UTF8.self).contains("\"username\":\"relay\""))
        #expect(receiver.requests(path: "/n").last?.headers["authorization"] == "Bearer token-2")
        await harness.stop()
        await receiver.stop()
    }

    @Test("a Magento token endpoint that stalls after its head fails the attempt within the timeout, not forever")
    func stalledTokenEndpoint() async throws {
        let receiver = TestReceiver { request, _ in
            if request.path == "/rest/V1/integration/admin/token" {
                return .init(body: "\"token-1\"", stallAfterHead: .seconds(8))
            }
            return .init()
        }
        try await receiver.start()
        let magento = Endpoint.MagentoAdminToken(storeURL: receiver.url, username: "relay", password: "pw")
        let harness = try DeliveryHarness(endpoints: [DeliveryHarness.endpoint(receiver.url + "/n", magento: magento)],
                                          schedule: [60], timeout: 1)
        harness.start()
        try await harness.notify(awb: "STALL1")
        // Before the fix the body read had no deadline: the attempt (and every later one) waited for the 8 s stall.
        #expect(try await harness.eventually(timeout: 5) {
            try await harness.store.attempts(delivery: try await harness.deliveries().first?.seq ?? 0).count == 1
        })
        let delivery = try #require(try await harness.deliveries().first)
        #expect(delivery.state == "pending")
        #expect(delivery.failureClass == "timeout")
        #expect(receiver.requests(path: "/n").isEmpty)
        await harness.stop()
        await receiver.stop()
    }

    @Test("order: five events of one shipment arrive in event order though the first fails twice; another shipment is not delayed")
    func perShipmentOrder() async throws {
        let failing = Atomic<Int>(0)
        let ordered = TestReceiver { request, _ in
            let body = String(decoding: request.body, as: UTF8.self)
            if body.contains("\"forwardAwb\":\"A\""), body.contains("\"notificationType\":\"OUT_FOR_PICKUP\""),
                failing.add(1, ordering: .relaxed).newValue <= 2
            {
                return .init(status: .serviceUnavailable)
            }
            return .init()
        }
        try await ordered.start()
        let harness = try DeliveryHarness(endpoints: [DeliveryHarness.endpoint(ordered.url + "/n")],
                                          schedule: [0.5, 0.5, 0.5])
        // given: five events of shipment A, in event order, and one of shipment B
        let events: [(Int, String)] = [(25, "2024-03-04T08:00:00Z"), (4, "2024-03-04T09:00:00Z"),
                                       (5, "2024-03-05T09:00:00Z"), (6, "2024-03-07T04:00:00Z"),
                                       (8, "2024-03-07T09:00:00Z")]
        for (code, time) in events { try await harness.notify(awb: "A", code: code, time: time) }
        harness.start()
        try await harness.notify(awb: "B", code: 6)
        #expect(try await harness.eventually {
            try await harness.deliveries().allSatisfy { $0.state == "delivered" }
        })
        let toA = ordered.requests(path: "/n").filter { String(decoding: $0.body, as: UTF8.self).contains("\"forwardAwb\":\"A\"") }
        let types = toA.compactMap { try? JSONValue.parse($0.body)["notificationType"]?.text }
        #expect(types == ["OUT_FOR_PICKUP", "OUT_FOR_PICKUP", "OUT_FOR_PICKUP", "PICKED_UP", "IN_TRANSIT",
                          "OUT_FOR_DELIVERY", "DELIVERED"])
        // B went out while A's first event was still being retried.
        let firstB = try #require(ordered.requests(path: "/n").first { String(decoding: $0.body, as: UTF8.self).contains("\"forwardAwb\":\"B\"") })
        let lastAFailure = toA[1].at
        #expect(firstB.at < lastAFailure)
        await harness.stop()
        await ordered.stop()
    }

    @Test("after an outage, shipments whose later status waits behind a retrying earlier one are all delivered, in order (more of them than one due read holds)")
    func blockedChainsDoNotStallTheEndpoint() async throws {
        let healthy = Atomic<Bool>(false)
        let receiver = TestReceiver { _, _ in .init(status: healthy.load(ordering: .relaxed) ? .ok : .serviceUnavailable) }
        try await receiver.start()
        var endpoint = DeliveryHarness.endpoint(receiver.url + "/n")
        // Two in flight: one due read takes 16 candidates of this endpoint, fewer than the 20 blocked later statuses.
        endpoint.maxInFlight = 2
        let harness = try DeliveryHarness(endpoints: [endpoint], schedule: Array(repeating: 0.5, count: 60))
        let shipments = (0..<20).map { "STALL\($0)" }
        for awb in shipments { try await harness.notify(awb: awb, code: 4, time: "2024-03-04T09:00:00Z") }
        harness.start()
        // given: every first status has failed at least once (the receiver is down)
        #expect(try await harness.eventually(timeout: 30) {
            try await harness.deliveries().allSatisfy { $0.attempts >= 1 }
        })
        // when: each shipment's next status arrives, due at once but behind its retrying first status; then the
        // receiver comes back
        for awb in shipments { try await harness.notify(awb: awb, code: 6, time: "2024-03-07T04:00:00Z") }
        healthy.store(true, ordering: .relaxed)
        // then: all 40 are delivered, each shipment's first status before its second
        let delivered = try await harness.eventually(timeout: 30) {
            let deliveries = try await harness.deliveries()
            return deliveries.count == 40 && deliveries.allSatisfy { $0.state == "delivered" }
        }
        let states = Dictionary(grouping: try await harness.deliveries(), by: \.state).mapValues(\.count)
        #expect(delivered, "states: \(states)")
        let requests = receiver.requests(path: "/n")
        for awb in shipments {
            let types = requests.compactMap { request -> String? in
                let body = try? JSONValue.parse(request.body)
                return body?["forwardAwb"]?.text == awb ? body?["notificationType"]?.text : nil
            }
            let picked = types.lastIndex(of: "PICKED_UP")
            let next = types.firstIndex(of: "OUT_FOR_DELIVERY")
            #expect(picked != nil && next != nil && picked! < next!, "\(awb): \(types)")
        }
        await harness.stop()
        await receiver.stop()
    }

    @Test("a shipment whose retrying status died with its endpoint (410) is delivered again once the endpoint is enabled")
    func chainFreedByADisable() async throws {
        let healthy = Atomic<Bool>(false)
        let receiver = TestReceiver { request, _ in
            if healthy.load(ordering: .relaxed) { return .init() }
            let body = String(decoding: request.body, as: UTF8.self)
            return .init(status: body.contains("\"forwardAwb\":\"GONE-B\"") ? .gone : .serviceUnavailable)
        }
        try await receiver.start()
        let endpoint = DeliveryHarness.endpoint(receiver.url + "/n")
        let harness = try DeliveryHarness(endpoints: [endpoint], schedule: Array(repeating: 0.3, count: 100))
        harness.start()
        // given: A's first status retrying, then a 410 for B disables the endpoint, and A's first status is dead
        try await harness.notify(awb: "GONE-A", code: 4, time: "2024-03-04T09:00:00Z")
        #expect(try await harness.eventually(timeout: 30) { try await harness.deliveries().first?.attempts ?? 0 >= 1 })
        try await harness.notify(awb: "GONE-B", code: 4, time: "2024-03-04T09:00:00Z")
        #expect(try await harness.eventually(timeout: 30) {
            try await harness.deliveries().allSatisfy { $0.state == "dead" }
        })
        // when: the endpoint is enabled again and A's next status arrives
        healthy.store(true, ordering: .relaxed)
        try await harness.store.setEndpoint(endpoint.id, disabled: false, reason: nil, now: WallClock.now())
        try await harness.notify(awb: "GONE-A", code: 6, time: "2024-03-07T04:00:00Z")
        // then: it is delivered (the dead first status holds nothing back)
        #expect(try await harness.eventually(timeout: 30) {
            try await harness.deliveries().contains { $0.state == "delivered" }
        })
        await harness.stop()
        await receiver.stop()
    }

    @Test("an attempt's timeout stays within the lease taken at start, whatever a reload raised it to")
    func timeoutWithinLease() {
        var endpoint = DeliveryHarness.endpoint("http://127.0.0.1:9/n")
        let started = RelayConfiguration(delivery: .init(timeoutSeconds: 15, retryScheduleSeconds: [1], jitter: 0),
                                         clients: [Client(id: "acme", endpoints: [endpoint])])
        #expect(started.deliveryLeaseSeconds == 60)
        endpoint.timeoutSeconds = 60
        let reloaded = RelayConfiguration(delivery: .init(timeoutSeconds: 15, retryScheduleSeconds: [1], jitter: 0),
                                          clients: [Client(id: "acme", endpoints: [endpoint])])
        #expect(reloaded.deliveryLeaseSeconds == 150)
        // Started with a 60 s lease: two 15 s halves fit with 30 s to spare; 60 s would not.
        #expect(DeliveryEngine.timeout(of: endpoint, configuration: reloaded, leaseSeconds: 60) == 15)
        endpoint.timeoutSeconds = 5
        #expect(DeliveryEngine.timeout(of: endpoint, configuration: reloaded, leaseSeconds: 60) == 5)
    }
}
