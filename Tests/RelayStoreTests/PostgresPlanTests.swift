import Foundation
import PostgresNIO
import RelayCore
@testable import RelayStore
import Testing

/// Prepared statements keep PostgreSQL's generic plan (`PGStatementCache`), made once, often while the tables are
/// nearly empty. That is safe only if such a plan is an index plan: the store's connections rule out sequential
/// scans and hash and merge joins (`PostgresSchema.sessionSettings`), and this suite checks every text the pipeline
/// prepares against a nearly empty schema, where a table scan would otherwise look cheapest.
@Suite("PostgreSQL plans", .enabled(if: StoreBackend.postgresURL != nil))
struct PostgresPlanTests {
    @Test("the store's connections rule out table scans, hash and merge joins and JIT; generic plans are forced")
    func sessionSettings() async throws {
        try await StoreBackend.withPostgresSchema { schema in
            let store = try await StoreBackend.openPostgres(schema: schema)
            let settings = try await store.read { connection in
                try await connection.query("""
                    SELECT current_setting('enable_seqscan'), current_setting('enable_hashjoin'),
                        current_setting('enable_mergejoin'), current_setting('plan_cache_mode'), current_setting('jit')
                    """) { [$0.text(0), $0.text(1), $0.text(2), $0.text(3), $0.text(4)] }
            }
            await store.close()
            #expect(settings.first == ["off", "off", "off", "force_generic_plan", "off"])
        }
    }

    @Test("every statement the pipeline prepares has a generic plan without a table scan or a hash or merge join")
    func genericPlansUseIndexes() async throws {
        try await StoreBackend.withPostgresSchema { schema in
            let store = try await StoreBackend.openPostgres(schema: schema)
            // The pipeline, twice over, so that its statements repeat and get prepared: ingest and normalise, read
            // what is due and lease it, record outcomes (a retry, then deliveries).
            for round in 0..<3 {
                for index in 0..<4 { try await StoreDeliveryTests.deliver(store, awb: "P\(round)-\(index)") }
                // Two by a read and a lease (tools, and SQLite's way), the rest by the one-statement claim.
                let now0 = WallClock.now()
                let readAt = EventTime(epochMilliseconds: now0.epochMilliseconds + 1)
                let due = try await store.dueDeliveries(now: readAt, limit: 2, excluding: [])
                let viaLease = try await store.lease(due, owner: "test",
                    until: EventTime(epochMilliseconds: now0.epochMilliseconds + 60_000), now: readAt)
                #expect(viaLease.count == 2)
                let rest = try await StoreDeliveryTests.claimAll(store)
                let claimed = viaLease + rest
                let now = WallClock.now()
                for (index, delivery) in claimed.enumerated() {
                    let outcome: DeliveryOutcome = index == 0
                        ? .retry(at: EventTime(epochMilliseconds: now.epochMilliseconds + 1), .http5xx) : .delivered
                    try await store.complete([Completion(seq: delivery.seq, attempt: StoreDeliveryTests.ok,
                                                         outcome: outcome, now: now,
                                                         expectedAttempts: delivery.attempts)])
                }
                _ = try await store.nextDueTime(after: now)
            }
            let texts = PGStatementCache.shared.preparedTexts
            #expect(texts.contains { $0.contains("FOR UPDATE SKIP LOCKED") }, "the lease was prepared")
            #expect(texts.contains { $0.hasPrefix("WITH due AS") }, "the claim was prepared")
            #expect(texts.contains { $0.contains("INSERT INTO attempts") }, "the completion was prepared")
            #expect(texts.contains { $0.contains("INSERT INTO callbacks") }, "ingest was prepared")
            #expect(texts.contains { $0.hasPrefix("WITH claimed AS") }, "the normalisation check was prepared")
            #expect(texts.contains { $0.hasPrefix("WITH logged AS") }, "the normalisation write was prepared")
            var failures: [String] = []
            let statements = Self.pipelineStatements(texts)
            let found = statements.count
            #expect(found >= 9, "the pipeline's statements were found")
            for text in statements {
                let plan = try await Self.genericPlan(of: text, in: store)
                // A hashed subplan reads its whole table (or index) into a hash once per execution: the ingest's
                // key probe did so for every accepted key until it was written as a look-up (`OFFSET 0`).
                let banned = ["Seq Scan", "Hash Join", "Merge Join", "JIT", "hashed SubPlan"]
                    .filter { plan.contains($0) }
                if !banned.isEmpty {
                    failures.append("\(banned) in the plan of \(text.prefix(120)):\n\(plan)")
                }
            }
            await store.close()
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n\n"))")
        }
    }

    @Test("a trace finds notifications and their deliveries, and a quarantined callback is found, by partial indexes")
    func traceReadsByPartialIndexes() async throws {
        try await StoreBackend.withPostgresSchema { schema in
            let store = try await StoreBackend.openPostgres(schema: schema)
            func plan(_ sql: String, _ count: Int) async throws -> String {
                try await Self.genericPlan(of: PostgresSQL.query(sql, Array(repeating: .null, count: count)).sql,
                                           in: store)
            }
            let notifications = [try await plan(TraceBuilder.notificationsSQL(client: nil), 2),
                                 try await plan(TraceBuilder.notificationsSQL(client: "acme"), 3),
                                 try await plan("SELECT id FROM notifications WHERE client = ? AND \(StoreRows.notificationOfAWB())", 3)]
            let events = [try await plan(EventSQL.traceSQL(client: nil), 4),
                          try await plan(EventSQL.traceSQL(client: "acme"), 6), try await plan(EventSQL.ofAWB, 6)]
            let deliveries = try await plan(TraceBuilder.deliveriesSQL, 2)
            let quarantined = try await plan(StoreRows.quarantinedByIdSQL, 1)
            let attempts = [try await plan(AttemptSQL.ofDelivery, 2), try await plan(AttemptSQL.recentPerEndpoint, 2)]
            let definitions = try await store.read { connection in
                try await connection.query("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                    + " AND indexname IN ('notifications_awb', 'deliveries_notification')") {
                    ($0.text(0) ?? "", $0.text(1) ?? "")
                }
            }
            await store.close()
            let byName = Dictionary(definitions, uniquingKeysWith: { first, _ in first })
            #expect(byName["notifications_awb"]?.contains("WHERE (awb <> shipment)") == true, "\(definitions)")
            #expect(byName["deliveries_notification"]?.contains("WHERE (state <> 'in_flight'::text)") == true,
                    "\(definitions)")
            for plan in notifications {
                #expect(plan.contains("notifications_awb") && plan.contains("notifications_shipment"), "\(plan)")
                #expect(!plan.contains("Seq Scan"), "\(plan)")
            }
            // events in both halves: `events` by its AWB index, the notifications' by theirs (migration 13)
            for plan in events {
                #expect(plan.contains("events_awb") && plan.contains("notifications_shipment"), "\(plan)")
                #expect(!plan.contains("Seq Scan"), "\(plan)")
            }
            #expect(deliveries.contains("deliveries_notification") && deliveries.contains("deliveries_leased"),
                    "\(deliveries)")
            #expect(!deliveries.contains("Seq Scan"), "\(deliveries)")
            #expect(quarantined.contains("callbacks_quarantined_id") && !quarantined.contains("Seq Scan"), "\(quarantined)")
            // attempts kept in a delivery's row are read by its key, or by the block-range index on their start
            for plan in attempts { #expect(!plan.contains("Seq Scan"), "\(plan)") }
            #expect(attempts[1].contains("deliveries_first_started") && attempts[1].contains("attempts_started"),
                    "\(attempts[1])")
        }
    }

    /// The pipeline's statements among `texts` (ingest, snapshot, normalisation commit, due read, lease, completion,
    /// next due time), by how each begins. The cache is the process's: other suites running at the same time put ops
    /// statements in it too, and whole-table statistics (gauges, endpoint counts, trace totals) scan by nature.
    static func pipelineStatements(_ texts: [String]) -> [String] {
        let beginnings = [
            "WITH input AS", "WITH taken AS", "WITH due AS", "WITH claimed AS", "WITH logged AS", "INSERT INTO",
            "SELECT s.client", "SELECT * FROM (SELECT seq, notification_id", "SELECT min(t)",
        ]
        return texts.filter { text in beginnings.contains { text.hasPrefix($0) } }
    }

    /// The generic plan PostgreSQL makes for `text` (with `$1…$n`) on the store's connection settings.
    static func genericPlan(of text: String, in store: PostgresStore) async throws -> String {
        let parameters = Self.parameterCount(text)
        return try await store.transaction { connection in
            try await connection.query("SET LOCAL plan_cache_mode = force_generic_plan")
            try await connection.query("PREPARE relay_plan_probe AS \(text)")
            let arguments = parameters == 0 ? "" : "(" + Array(repeating: "NULL", count: parameters).joined(separator: ", ") + ")"
            // VERBOSE names the hashed subplans (`hashed SubPlan n` in an output or a filter).
            let lines = try await connection.query("EXPLAIN (VERBOSE) EXECUTE relay_plan_probe\(arguments)") {
                $0.text(0) ?? ""
            }
            try await connection.query("DEALLOCATE relay_plan_probe")
            return lines.joined(separator: "\n")
        }
    }

    /// The highest `$n` in `text`.
    static func parameterCount(_ text: String) -> Int {
        var highest = 0
        var scanner = text.utf8.makeIterator()
        var number: Int?
        while let byte = scanner.next() {
            if byte == UInt8(ascii: "$") {
                number = 0
            } else if let current = number, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                number = current * 10 + Int(byte - UInt8(ascii: "0"))
            } else {
                if let current = number { highest = max(highest, current) }
                number = nil
            }
        }
        if let current = number { highest = max(highest, current) }
        return highest
    }
}
