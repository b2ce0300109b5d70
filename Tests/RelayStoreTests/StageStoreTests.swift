import Foundation
import RelayCore
@testable import RelayStore
import Testing

/// Each stage store through its own protocol, and the SQL seam under them, once per backend.
@Suite("Stage stores and the SQL seam (SQLite and PostgreSQL)")
struct StageStoreTests {
    struct Planned: Error {}

    @Test("a write whose body throws leaves nothing; ingest beside it commits", arguments: StoreBackend.available)
    func writeRollsBack(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let database = try #require(store as? any SQLBackedStore).seam.database
            // given a write that inserts, then fails
            async let failing: Void = database.write { session in
                try await session.execute("INSERT INTO endpoints (id, disabled) VALUES (?, ?)",
                                          [.text("doomed"), .bool(true)])
                throw Planned()
            }
            let (inbound, parsed) = StoreTests.callback(awb: "S1")
            async let ingested = store.ingest(inbound, dedupKey: parsed.dedupKey)
            // then its insert is gone, and the callback is stored
            var failed = false
            do { try await failing } catch is Planned { failed = true }
            #expect(failed)
            #expect(try await !ingested.duplicate)
            let ids = try await database.read { session in
                try await session.query("SELECT id FROM endpoints", []) { $0.text(0) ?? "" }
            }
            #expect(ids.isEmpty)
            #expect(try await store.counts().callbacks == 1)
        }
    }

    @Test("the seam: rows changed, RETURNING, booleans and array placeholders", arguments: StoreBackend.available)
    func seamStatements(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let database = try #require(store as? any SQLBackedStore).seam.database
            let (inserted, changed, returned) = try await database.write { session in
                let inserted = try await session.execute(
                    "INSERT INTO endpoints (id, disabled, reason) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?)",
                    [.text("a"), .bool(true), .text("x \"quoted\""), .text("b"), .bool(false), .null,
                     .text("c\u{1}"), .bool(true), .null])
                let changed = try await session.execute(
                    "UPDATE endpoints SET reason = ? WHERE \(session.dialect.anyOf("id"))",
                    [.text("r"), .texts(["a", "c\u{1}", "zz"])])
                let returned = try await session.query(
                    "DELETE FROM endpoints WHERE \(session.dialect.isTrue("disabled")) RETURNING id", []
                ) { $0.text(0) ?? "" }
                return (inserted, changed, returned)
            }
            #expect(inserted == 3)
            #expect(changed == 2)
            #expect(Set(returned) == ["a", "c\u{1}"])
            let left = try await database.read { session in
                try await session.query("SELECT id, disabled FROM endpoints WHERE \(session.dialect.anyOf("id"))",
                                        [.texts(["a", "b"])]) { ($0.text(0) ?? "", $0.bool(1)) }
            }
            #expect(left.map(\.0) == ["b"] && left.map(\.1) == [false])
        }
    }

    @Test("migrations: every version applied once, in order", arguments: StoreBackend.available)
    func migrations(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let database = try #require(store as? any SQLBackedStore).seam.database
            let versions = try await database.read { session in
                try await session.query("SELECT version FROM schema_migrations ORDER BY version", []) { Int($0.int(0)) }
            }
            let expected = backend == .sqlite ? SQLiteSchema.migrations.map(\.version)
                : PostgresSchema.migrations.map(\.version)
            #expect(versions == expected)
            #expect(expected == Array(1...expected.count))
        }
    }

    @Test("TraceStore: a shipment's trace, its notifications and events, and the counts",
          arguments: StoreBackend.available)
    func traceStore(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await StoreDeliveryTests.deliver(store, awb: "T1")
            let traces: any TraceStore = store
            let trace = try await traces.trace(client: nil, awb: "T1")
            #expect(trace.map(\.kind).prefix(2) == ["callback", "event"])
            // Delivered (code 8): the notification endpoint and the extra one for delivered notifications.
            #expect(trace.filter { $0.kind == "delivery" }.count == 2)
            #expect(try await traces.trace(client: "other", awb: "T1").isEmpty)
            #expect(try await traces.notifications(client: "acme", awb: "T1").count == 1)
            #expect(try await traces.events(client: "acme", awb: "T1").count == 1)
            #expect(try await traces.allNotifications(limit: 10).count == 1)
            let counts = try await traces.counts()
            #expect(counts.callbacks == 1 && counts.unnormalised == 0 && counts.events == 1)
            #expect(counts.notifications == 1 && counts.deliveries == 2 && counts.pendingDeliveries == 2)
            // a delivery in flight is in the trace too, once
            let leased = try await StoreDeliveryTests.claimAll(store)
            #expect(leased.count == 2)
            let inFlight = try await traces.trace(client: nil, awb: "T1").filter { $0.kind == "delivery" }
            #expect(inFlight.count == 2 && inFlight.allSatisfy { $0.detail.hasSuffix("in_flight") }, "\(inFlight)")
        }
    }

    @Test("TraceStore: a return leg's notification is found by its own AWB and by its shipment's",
          arguments: StoreBackend.available)
    func traceFindsReturnLegs(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let database = try #require(store as? any SQLBackedStore).seam.database
            // given a forward notification (AWB = shipment) and a return leg's (its own AWB, the shipment's key)
            try await database.write { session in
                for (id, awb, shipment) in [("n-forward", "F1", "F1"), ("n-return", "R1", "F1"), ("n-other", "R2", "F2")] {
                    try await session.execute(
                        """
                        INSERT INTO notifications (id, client, awb, shipment, type, direction, dedup_key, event_time,
                            created_at, payload) VALUES (?, 'acme', ?, ?, 'status', 'forward', ?, 1, 1, ?)
                        """, [.text(id), .text(awb), .text(shipment), .text(id), .blob(Array("{}".utf8))])
                }
            }
            let traces: any TraceStore = store
            func ids(_ awb: String, client: String? = nil) async throws -> [String] {
                try await traces.trace(client: client, awb: awb).filter { $0.kind == "notification" }.map(\.id).sorted()
            }
            // then the shipment finds both of its legs, each AWB its own notification, and nothing leaks across
            #expect(try await ids("F1") == ["n-forward", "n-return"])
            #expect(try await ids("F1", client: "acme") == ["n-forward", "n-return"])
            #expect(try await ids("R1") == ["n-return"])
            #expect(try await ids("R2", client: "acme") == ["n-other"])
            #expect(try await ids("F2") == ["n-other"])
            #expect(try await ids("R1", client: "other").isEmpty)
            #expect(try await traces.notifications(client: "acme", awb: "R1").map(\.id) == ["n-return"])
            #expect(try await traces.notifications(client: "acme", awb: "F1").map(\.id).sorted() == ["n-forward", "n-return"])
        }
    }

    @Test("TraceStore: an event that produced a notification is kept in its row, the others in events, read as one",
          arguments: StoreBackend.available)
    func eventsInBothHalves(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let database = try #require(store as? any SQLBackedStore).seam.database
            // given a callback with an older scan (history) and its latest status (relayed), then an older status
            // (stale)
            let body = Array(#"""
                {"waybill":"E1","clickpost_status_code":5,"timestamp":"2024-03-07T06:00:00Z","additional":{
                "order_id":"O-E1","latest_status":{"clickpost_status_code":6,"timestamp":"2024-03-08T06:00:00Z"}}}
                """#.utf8)
            let parsed = try CallbackParser.parse(aggregator: .clickpost, body: body, contentType: "application/json")
            let inbound = InboundCallback(client: "acme", aggregator: .clickpost, receivedAt: WallClock.now(),
                                          contentType: "application/json", headers: [], body: body)
            let outcome = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
            let stored = StoredCallback(seq: outcome.seq, id: outcome.callbackId, client: "acme",
                                        aggregator: .clickpost, receivedAt: inbound.receivedAt,
                                        contentType: "application/json", body: body)
            _ = try await store.normalise([NormalisationInput(callback: stored, parsed: parsed)],
                                          using: StoreTests.normalise)
            _ = try await StoreDeliveryTests.deliver(store, awb: "E1", code: 5, time: "2024-03-01T06:00:00Z")
            // then the events read back in the order they were parsed, whichever half holds them
            let traces: any TraceStore = store
            let events = try await traces.events(client: "acme", awb: "E1")
            #expect(events.map(\.statusCode) == parsed.events.map(\.statusCode) + ["5"], "\(events)")
            let relayed = try #require(events.first { $0.outcome == "relayed" })
            let notification = try #require(try await traces.notifications(client: "acme", awb: "E1").first)
            #expect(relayed.notificationId == notification.id && relayed.type == notification.type)
            #expect(relayed.role == "driving" && relayed.callbackSeq == outcome.seq)
            #expect(events.map(\.outcome).sorted() == ["history", "relayed", "stale"])
            // only the events without a notification are rows of `events`
            let rows = try await database.read { session in
                try await session.query("SELECT outcome FROM events ORDER BY seq", []) { $0.text(0) ?? "" }
            }
            #expect(rows.sorted() == ["history", "stale"])
            #expect(try await traces.counts().events == 3)
            // the trace shows all three, the relayed one named after its notification
            let trace = try await traces.trace(client: "acme", awb: "E1").filter { $0.kind == "event" }
            #expect(trace.count == 3)
            #expect(trace.contains { $0.id == "evt_\(notification.id)" && $0.detail.contains("→ relayed") },
                    "\(trace)")
            #expect(trace.filter { $0.id.hasPrefix("evt_") }.count == 3)
        }
    }

    @Test("EndpointStore: the switch and its reason show in the statistics", arguments: StoreBackend.available)
    func endpointStore(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await StoreDeliveryTests.deliver(store, awb: "P1")
            let endpoints: any EndpointStore = store
            try await endpoints.setEndpoint("acme/notification", disabled: true, reason: "maintenance", now: WallClock.now())
            var statistics = try await endpoints.endpointStatistics(since: EventTime(epochMilliseconds: 0))
            #expect(statistics["acme/notification"]?.disabled == true)
            #expect(statistics["acme/notification"]?.disabledReason == "maintenance")
            #expect(statistics["acme/notification"]?.pending == 1)
            #expect(try await endpoints.disabledEndpoints() == ["acme/notification"])
            try await endpoints.setEndpoint("acme/notification", disabled: false, reason: nil, now: WallClock.now())
            statistics = try await endpoints.endpointStatistics(since: EventTime(epochMilliseconds: 0))
            #expect(statistics["acme/notification"]?.disabled == false)
            #expect(try await endpoints.disabledEndpoints().isEmpty)
        }
    }

    @Test("ShipmentRegistry and RetentionStore: nothing held, nothing to expire or delete",
          arguments: StoreBackend.available)
    func registryAndRetention(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let registry: any ShipmentRegistry = store
            let retention: any RetentionStore = store
            #expect(try await registry.awaitingOrderCount() == 0)
            let expired = try await registry.expireAwaitingOrder(heldBefore: WallClock.now(), now: WallClock.now())
            #expect(expired.dead == 0 && expired.released == 0)
            #expect(try await registry.registration(client: "acme", awb: "none") == nil)
            #expect(try await retention.cleanup(olderThan: WallClock.now(), batch: 10) == 0)
        }
    }

    @Test("RetentionStore: a notification whose deliveries are queued or in flight is kept",
          arguments: StoreBackend.available)
    func retentionKeepsLiveDeliveries(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            // given a notification with two deliveries, one of them in flight
            try await StoreDeliveryTests.deliver(store, awb: "K1")
            let due = try await store.dueDeliveries(now: EventTime(epochMilliseconds: WallClock.now().epochMilliseconds + 1),
                                                    limit: 1, excluding: [])
            let now = WallClock.now()
            let leased = try await store.lease(due, owner: "test",
                                               until: EventTime(epochMilliseconds: now.epochMilliseconds + 60_000),
                                               now: EventTime(epochMilliseconds: now.epochMilliseconds + 1))
            #expect(leased.count == 1)
            // when retention runs with everything older than its cutoff
            let retention: any RetentionStore = store
            let cutoff = EventTime(epochMilliseconds: now.epochMilliseconds + 86_400_000)
            while try await retention.cleanup(olderThan: cutoff, batch: 10) > 0 {}
            // then the notification and both deliveries are still there
            let counts = try await store.counts()
            #expect(counts.notifications == 1 && counts.deliveries == 2)
            // and once the one in flight is the only one left, still kept
            let queued = try #require(try await store.deliveries(notificationId: nil, limit: 10).first { $0.seq != leased[0].seq })
            try await store.complete(delivery: queued.seq, attempt: StoreDeliveryTests.ok, outcome: .delivered,
                                     now: WallClock.now())
            let later = EventTime(epochMilliseconds: WallClock.now().epochMilliseconds + 86_400_000)
            while try await retention.cleanup(olderThan: later, batch: 10) > 0 {}
            let after = try await store.counts()
            #expect(after.notifications == 1 && after.deliveries == 1)
        }
    }
}
