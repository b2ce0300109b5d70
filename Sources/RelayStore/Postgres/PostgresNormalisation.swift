import RelayCore

/// Normalisation of a batch inside one PostgreSQL transaction.
///
/// The pure normaliser reads shipment states and registrations synchronously, so the batch runs against a cache
/// of them: a normalisation that asks for something not yet loaded is run again once it is loaded (shipment
/// states are read `FOR UPDATE`). Instances take turns through an advisory lock, so two instances never
/// normalise callbacks of one shipment at the same time. What the batch produced is written with a handful of
/// multi-row statements.
enum PostgresNormalisation {
    static func run(
        _ batch: [NormalisationInput],
        using normalise: @Sendable (NormalisationInput, any NormalisationContext) -> NormalisationResult?,
        connection: PGConnection, lockKey: Int64
    ) async throws -> NormalisationSummary {
        try await connection.query("SELECT pg_advisory_xact_lock(?)", [.integer(lockKey)])
        let claimed = Set(try await connection.query(
            "DELETE FROM unnormalised WHERE seq = ANY(?) RETURNING seq", [.integers(batch.map(\.callback.seq))]
        ) { $0.int(0) })
        var summary = NormalisationSummary()
        let cache = PostgresNormalisationContext()
        var writes = Writes(now: WallClock.now().epochMilliseconds)
        // A first pass only learns which states and registrations the batch reads, so they are loaded with one
        // statement each rather than one round trip per callback.
        for input in batch where claimed.contains(input.callback.seq) {
            _ = normalise(input, cache)
        }
        try await cache.load(connection)
        var done = Set<Int64>()
        for input in batch {
            guard claimed.contains(input.callback.seq), done.insert(input.callback.seq).inserted else {
                summary.alreadyDone += 1
                continue
            }
            summary.callbacks += 1
            var result: NormalisationResult?
            while true {
                cache.missingStates.removeAll()
                cache.missingRegistrations.removeAll()
                result = normalise(input, cache)
                if cache.missingStates.isEmpty && cache.missingRegistrations.isEmpty { break }
                try await cache.load(connection)
            }
            guard let result else { continue }
            for (key, state) in result.states { cache.states.updateValue(state, forKey: key) }
            writes.add(result, callback: input.callback, summary: &summary)
            let unmapped = result.events.contains { $0.outcome == .unmapped }
            if unmapped || input.requeued {
                try await connection.query(
                    "UPDATE callbacks SET error = ?, detail = ? WHERE seq = ? AND status = 'accepted'",
                    [unmapped ? .text("unmapped") : .null,
                     unmapped ? .text("status not in the mapping table") : .null, .integer(input.callback.seq)])
            }
        }
        try await writes.flush(connection, states: cache.changedStates(), summary: &summary)
        return summary
    }

    /// Rows a batch produced, written together at the end.
    struct Writes {
        let now: Int64
        var events: [PGValue] = []
        var eventCount = 0
        var notifications: [(draft: NotificationDraft, callbackSeq: Int64)] = []

        init(now: Int64) { self.now = now }

        mutating func add(_ result: NormalisationResult, callback: StoredCallback, summary: inout NormalisationSummary) {
            for record in result.events {
                summary.outcomes[record.outcome, default: 0] += 1
                events += [.integer(callback.seq), .text(callback.client), .text(callback.aggregator.rawValue),
                           .text(orNull: record.event.awb), .text(record.event.statusCode),
                           .text(orNull: record.event.statusText),
                           .integer(orNull: record.event.eventTime?.epochMilliseconds), .text(record.event.role.rawValue),
                           .text(record.outcome.rawValue), .text(orNull: record.type?.name),
                           .text(orNull: record.direction?.rawValue), .text(orNull: record.notificationId)]
                eventCount += 1
            }
            for draft in result.notifications { notifications.append((draft, callback.seq)) }
        }

        func flush(_ connection: PGConnection, states: [(ShipmentKey, ShipmentState)],
                   summary: inout NormalisationSummary) async throws
        {
            let chunk = 1000
            var start = 0
            while start < eventCount {
                let count = min(chunk, eventCount - start)
                let list = PostgresSQL.valuesList(rows: count, casts: [
                    "bigint", "text", "text", "text", "text", "text", "bigint", "text", "text", "text", "text", "text",
                ])
                try await connection.query(
                    """
                    INSERT INTO events (callback_seq, client, aggregator, awb, status_code, status_text, event_time, role,
                        outcome, notification_type, direction, notification_id)
                    VALUES \(list)
                    """, Array(events[(start * 12)..<((start + count) * 12)]))
                start += count
            }
            start = 0
            var deliveries = 0
            var heldChains = Set<String>()
            while start < notifications.count {
                let slice = notifications[start..<min(notifications.count, start + chunk)]
                start += slice.count
                var values: [PGValue] = []
                for (draft, callbackSeq) in slice {
                    values += [.text(draft.id), .text(draft.client), .text(orNull: draft.awb),
                               .text(draft.shipmentKey.shipment), .text(draft.type.name), .text(draft.direction.rawValue),
                               .text(draft.dedupKey), .integer(draft.eventTime.epochMilliseconds), .integer(now),
                               .integer(callbackSeq), .blob(draft.payload.serializedBytes()), .bool(draft.awaitingOrder)]
                }
                let list = PostgresSQL.valuesList(rows: slice.count, casts: [
                    "text", "text", "text", "text", "text", "text", "text", "bigint", "bigint", "bigint", "bytea",
                    "boolean",
                ])
                let inserted = try await connection.query(
                    """
                    INSERT INTO notifications (id, client, awb, shipment, type, direction, dedup_key, event_time,
                        created_at, callback_seq, payload, awaiting_order)
                    VALUES \(list) ON CONFLICT (id) DO NOTHING RETURNING id, seq
                    """, values)
                var seqs: [String: Int64] = [:]
                for row in inserted { seqs[row.text(0) ?? ""] = row.int(1) }
                summary.notifications += seqs.count
                var deliveryValues: [PGValue] = []
                var rows = 0
                for (draft, _) in slice {
                    // The first draft of an id carries its deliveries (a later one in the batch is a repeat).
                    guard let notificationSeq = seqs.removeValue(forKey: draft.id) else { continue }
                    let orderingKey = "\(draft.shipmentKey.client)\u{1F}\(draft.shipmentKey.shipment)"
                    for endpoint in draft.endpointIds {
                        // Rows of one statement do not see each other: a chain held earlier in the batch holds too.
                        let chain = "\(endpoint)\u{1F}\(orderingKey)"
                        let held = draft.awaitingOrder || heldChains.contains(chain)
                        if held { heldChains.insert(chain) }
                        deliveryValues += [.integer(notificationSeq), .text(draft.id), .text(draft.client),
                                           .text(endpoint), .text(orderingKey),
                                           .integer(draft.eventTime.epochMilliseconds), .integer(now), .bool(held)]
                        rows += 1
                    }
                }
                if rows > 0 {
                    try await PostgresDeliveries.insert(rows: rows, values: deliveryValues, connection: connection)
                    deliveries += rows
                }
            }
            summary.deliveries += deliveries
            if !states.isEmpty {
                var values: [PGValue] = []
                for (key, state) in states {
                    values += [.text(key.client), .text(key.shipment), .text(key.leg.rawValue),
                               .integer(orNull: state.newestRelayed?.epochMilliseconds), .text(orNull: state.terminal?.name),
                               .bool(state.rtoRaised), .text(state.notificationKeys.joined(separator: " "))]
                }
                let list = PostgresSQL.valuesList(rows: states.count, casts: [
                    "text", "text", "text", "bigint", "text", "boolean", "text",
                ])
                try await connection.query(
                    """
                    INSERT INTO shipment_states (client, shipment, leg, newest_relayed, terminal, rto_raised,
                        notification_keys)
                    VALUES \(list)
                    ON CONFLICT (client, shipment, leg) DO UPDATE SET newest_relayed = excluded.newest_relayed,
                        terminal = excluded.terminal, rto_raised = excluded.rto_raised,
                        notification_keys = excluded.notification_keys
                    """, values)
            }
        }
    }
}
