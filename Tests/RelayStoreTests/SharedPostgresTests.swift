import Foundation
import RelayCore
import RelayStore
import Testing

/// The README's test command (which sets RELAY_TEST_PYTHON) always starts a PostgreSQL: there the PostgreSQL half
/// of the suite must run, never be skipped.
@Test("the test command runs the PostgreSQL half of the store suite",
      .enabled(if: ProcessInfo.processInfo.environment["RELAY_TEST_PYTHON"] != nil))
func postgresConfiguredByTestCommand() {
    #expect(StoreBackend.postgresURL != nil)
}

/// What only a shared store must do: several processes (here: several stores on one database) working at once.
@Suite("PostgreSQL shared by several instances", .enabled(if: StoreBackend.postgresURL != nil))
struct SharedPostgresTests {
    @Test("three instances starting at once apply the migrations once")
    func concurrentMigrations() async throws {
        try await StoreBackend.withPostgresSchema { schema in
            let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
                for _ in 0..<3 { group.addTask { try await StoreBackend.openPostgres(schema: schema) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(stores.count == 3)
            try await StoreDeliveryTests.deliver(stores[0], awb: "M1")
            #expect(try await stores[2].counts().notifications == 1)
            for store in stores { await store.close() }
        }
    }

    @Test("two instances claiming at once: every delivery claimed exactly once")
    func claimsExactlyOnce() async throws {
        try await StoreBackend.withPostgresSchema { schema in
            let first = try await StoreBackend.openPostgres(schema: schema)
            let second = try await StoreBackend.openPostgres(schema: schema)
            for index in 0..<150 { try await StoreDeliveryTests.deliver(first, awb: "X\(index)") }
            let expected = try await first.counts().deliveries
            #expect(expected == 300)
            // Both claim in small scans, concurrently, until nothing is left.
            let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for (name, store) in [("a", first), ("b", second)] {
                    group.addTask {
                        var seqs: [Int64] = []
                        while true {
                            let now = WallClock.now()
                            let batch = try await store.claimDeliveries(
                                now: now, scan: 16, owner: name,
                                leaseUntil: EventTime(epochMilliseconds: now.epochMilliseconds + 60_000),
                                excluding: []) { $0 }
                            if batch.isEmpty { break }
                            seqs += batch.map(\.seq)
                        }
                        return seqs
                    }
                }
                return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
            }
            let all = claims.flatMap { $0 }
            #expect(all.count == expected)
            #expect(Set(all).count == expected)
            await first.close()
            await second.close()
        }
    }

    @Test("chain order holds across instances: a later event waits while an earlier one is in flight elsewhere")
    func chainOrderAcrossInstances() async throws {
        try await StoreBackend.withPostgresSchema { schema in
            let first = try await StoreBackend.openPostgres(schema: schema)
            let second = try await StoreBackend.openPostgres(schema: schema)
            try await StoreDeliveryTests.deliver(first, awb: "O1", code: 6, time: "2024-03-08T06:00:00Z")
            try await StoreDeliveryTests.deliver(first, awb: "O1", code: 8, time: "2024-03-08T09:00:00Z")
            // instance one takes the head of the notification chain (and the ERP delivery, another chain)
            let now = WallClock.now()
            let lease = EventTime(epochMilliseconds: now.epochMilliseconds + 60_000)
            let head = try await first.claimDeliveries(now: now, scan: 1, owner: "one", leaseUntil: lease,
                                                       excluding: []) { $0 }
            #expect(head.count == 1)
            // instance two may take only what is a head of its own chain: not the DELIVERED notification
            let other = try await second.claimDeliveries(now: now, scan: 100, owner: "two", leaseUntil: lease,
                                                         excluding: []) { $0 }
            #expect(other.allSatisfy { $0.endpointId == "acme/extra/erp" })
            try await first.complete(delivery: head[0].seq, attempt: StoreDeliveryTests.ok, outcome: .delivered,
                                     now: WallClock.now())
            let next = try await second.claimDeliveries(now: WallClock.now(), scan: 100, owner: "two",
                                                        leaseUntil: lease, excluding: []) { $0 }
            #expect(next.count == 1)
            #expect(next.first?.endpointId == "acme/notification")
            #expect(next.first.map { $0.eventTime > head[0].eventTime } == true)
            await first.close()
            await second.close()
        }
    }

    @Test("a delivery leased by an instance that stopped is taken over when the lease expires")
    func leaseTakeover() async throws {
        try await StoreBackend.withPostgresSchema { schema in
            let first = try await StoreBackend.openPostgres(schema: schema)
            try await StoreDeliveryTests.deliver(first, awb: "T1")
            let claimedAt = ContinuousClock.now
            let claimed = try await StoreDeliveryTests.claimAll(first, owner: "gone", leaseSeconds: 5)
            #expect(claimed.count == 2)
            await first.close()  // the instance stops without completing
            let second = try await StoreBackend.openPostgres(schema: schema)
            try await second.releaseLeases()  // a shared store does not release other instances' leases
            let early = try await StoreDeliveryTests.claimAll(second, owner: "next")
            // (on a loaded machine the lease may already have run out: then the check says nothing)
            if ContinuousClock.now - claimedAt < .seconds(4) { #expect(early.isEmpty) }
            try await Task.sleep(until: claimedAt + .milliseconds(5300))
            let taken = early + (try await StoreDeliveryTests.claimAll(second, owner: "next"))
            #expect(Set(taken.map(\.seq)) == Set(claimed.map(\.seq)))
            #expect(taken.allSatisfy { !$0.payload.isEmpty })
            await second.close()
        }
    }

    @Test("two instances normalising callbacks of one shipment at once produce each notification once")
    func concurrentNormalisation() async throws {
        try await StoreBackend.withPostgresSchema { schema in
            let first = try await StoreBackend.openPostgres(schema: schema)
            let second = try await StoreBackend.openPostgres(schema: schema)
            // the same callbacks arrive at both instances (an aggregator retrying through the load balancer)
            let codes = [(2, "01"), (3, "02"), (5, "03"), (6, "04"), (8, "05")]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for store in [first, second] {
                    group.addTask {
                        for (code, hour) in codes {
                            try await StoreDeliveryTests.deliver(store, awb: "N1", code: code,
                                                                 time: "2024-03-08T\(hour):00:00Z")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let notifications = try await first.notifications(client: "acme", awb: "N1")
            #expect(Set(notifications.map(\.id)).count == notifications.count)
            #expect(notifications.last?.type == "DELIVERED")
            #expect(try await first.counts().unnormalised == 0)
            await first.close()
            await second.close()
        }
    }

    @Test("an unreachable database fails an operation within the operation timeout (the route answers 503)")
    func unavailable() async throws {
        // A port nothing listens on.
        let started = ContinuousClock.now
        await #expect(throws: (any Error).self) {
            _ = try await PostgresStore.open(url: "postgres://postgres@127.0.0.1:9/relay", operationTimeout: .seconds(1),
                                             logger: StoreBackend.logger)
        }
        #expect(ContinuousClock.now - started < .seconds(20))
    }
}
