import PostgresNIO
public import RelayCore

/// Normalisation on the shared store.
///
/// Snapshots are plain reads (one statement for the states and registrations), taken without locks. A
/// commit runs under the normalisation advisory lock, so commits of all instances, registrations and the expiry of
/// held deliveries take turns (a registration commits either before a commit, which then sees it changed, or after
/// it, and then releases what it held); inside it, the versions read are compared with what is stored, so a state
/// written by another instance since the snapshot is never overwritten (the batch is normalised again), and a
/// callback another instance normalised is never normalised twice. What a batch produced is written with two
/// statements that bind one array per column.
extension PostgresStore {
    public func snapshot(for keys: NormalisationKeys) async throws -> NormalisationSnapshot {
        guard !keys.isEmpty else { return NormalisationSnapshot() }
        let stateKeys = Array(keys.states)
        let registrationKeys = Array(keys.registrations)
        return try await read { connection in
            var snapshot = NormalisationSnapshot()
            for key in keys.states { snapshot.states[key] = .absent }
            for key in keys.registrations { snapshot.registrations.updateValue(nil, forKey: key) }
            // States and registrations in one statement (one round trip per snapshot).
            let rows = try await connection.query(
                """
                SELECT 's', s.client, s.shipment, s.leg, s.newest_relayed, s.terminal, s.rto_raised::int::bigint,
                    s.notification_keys, s.version, NULL::text
                FROM \(Self.stateKeys), LATERAL (SELECT * FROM shipment_states WHERE client = k.client
                    AND shipment = k.shipment AND leg = k.leg OFFSET 0) s
                UNION ALL
                SELECT 'r', r.client, r.awb, NULL, NULL, NULL, NULL, NULL, NULL, r.data
                FROM \(Self.registrationKeys), LATERAL (SELECT * FROM shipment_registry WHERE client = k.client
                    AND awb = k.awb OFFSET 0) r
                """, Self.keyArrays(stateKeys) + Self.keyArrays(registrationKeys))
            for row in rows {
                if row.text(0) == "s" {
                    snapshot.states[try Self.shipmentKey(row, from: 1)] = NormalisationRows.state(row, from: 4)
                } else {
                    let key = ShipmentRegistrationKey(client: row.text(1) ?? "", awb: row.text(2) ?? "")
                    snapshot.registrations.updateValue(
                        try NormalisationRows.registration(data: row.text(9), awb: key.awb), forKey: key)
                }
            }
            return snapshot
        }
    }

    public func commit(_ results: [CommittedNormalisation], reads: NormalisationSnapshot) async throws
        -> NormalisationCommit
    {
        guard !results.isEmpty else { return .committed(NormalisationSummary()) }
        let rows = NormalisationRows(results, reads: reads)
        let lockKey = PostgresSchema.lockKey(PostgresSchema.normalisationLock, schema: schema)
        do {
            return .committed(try await transaction { connection in
                // A statement of its own: the statements after it see everything committed before the lock was
                // granted (a statement's snapshot is taken when it starts).
                try await connection.query("SELECT pg_advisory_xact_lock(?)", [.integer(lockKey)])
                return try await Self.commit(rows, connection: connection)
            })
        } catch let conflict as NormalisationConflictError {
            return .conflict(conflict.conflict)
        } catch let error as PostgresTransactionError {
            // The transaction was rolled back because of the conflict the closure found.
            guard let conflict = error.closureError as? NormalisationConflictError else { throw error }
            return .conflict(conflict.conflict)
        }
    }

    /// Under the lock, three statements: claim and check, then events and notifications, then deliveries, states
    /// and the wake-up (plus one per callback that needs its row marked, which is rare).
    static func commit(_ rows: NormalisationRows, connection: PGConnection) async throws -> NormalisationSummary {
        // Claims the callbacks and reads the versions and registrations the batch rests on, in one statement.
        let found = try await connection.query(
            """
            WITH claimed AS (DELETE FROM unnormalised WHERE seq = ANY(?) RETURNING seq)
            SELECT 'c', seq, NULL::text, NULL::text, NULL::text, NULL::bigint FROM claimed
            UNION ALL
            SELECT 'v', NULL, s.client, s.shipment, s.leg, s.version
            FROM \(Self.stateKeys), LATERAL (SELECT * FROM shipment_states WHERE client = k.client
                AND shipment = k.shipment AND leg = k.leg OFFSET 0) s
            UNION ALL
            SELECT 'r', NULL, r.client, r.awb, r.data, NULL
            FROM \(Self.registrationKeys), LATERAL (SELECT * FROM shipment_registry WHERE client = k.client
                AND awb = k.awb OFFSET 0) r
            """,
            [.integers(rows.seqs)] + keyArrays(rows.stateReads.map(\.key))
                + keyArrays(rows.registrationReads.map(\.key)))
        var claimed = Set<Int64>()
        var versions: [ShipmentKey: Int64] = [:]
        var registrations: [ShipmentRegistrationKey: ShipmentRegistration] = [:]
        for row in found {
            switch row.text(0) {
            case "c": claimed.insert(row.int(1))
            case "v": versions[try shipmentKey(row, from: 2)] = row.int(5)
            default:
                let key = ShipmentRegistrationKey(client: row.text(2) ?? "", awb: row.text(3) ?? "")
                registrations[key] = try NormalisationRows.registration(data: row.text(4), awb: key.awb)
            }
        }
        if let conflict = rows.conflict(claimed: claimed, versions: versions, registrations: registrations) {
            throw NormalisationConflictError(conflict: conflict)
        }
        var summary = NormalisationSummary()
        summary.callbacks = rows.seqs.count
        summary.outcomes = rows.outcomes
        let now = WallClock.now().epochMilliseconds
        // Events and notifications in one statement; the notifications' seqs come back for their deliveries.
        let notifications = rows.callbacks.flatMap { callback in callback.notifications.map { ($0, callback.seq) } }
        var seqs: [String: Int64] = [:]
        let events = rows.callbacks.flatMap(\.events)
        if !events.isEmpty || !notifications.isEmpty {
            let inserted = try await connection.query(
                """
                WITH events_added AS (
                    INSERT INTO events (\(NormalisationRows.eventColumns)) \(eventRows.select(eventNames))
                )
                INSERT INTO notifications (\(NormalisationRows.notificationColumns))
                \(notificationRows.select(notificationNames)) ON CONFLICT (id) DO NOTHING RETURNING id, seq
                """,
                eventRows.values(events) + notificationRows.values(notifications.map {
                    NormalisationRows.notificationRow($0.0, callbackSeq: $0.1, now: now)
                }))
            for row in inserted { seqs[row.text(0) ?? ""] = row.int(1) }
        }
        summary.notifications = seqs.count
        let deliveries = deliveryRows(notifications.map(\.0), seqs: seqs, now: now)
        summary.deliveries = deliveries.count
        if !deliveries.isEmpty || !rows.stateWrites.isEmpty {
            try await connection.query(
                Self.deliveriesAndStatesSQL,
                deliveryRows.values(deliveries) + stateRows.values(rows.stateWrites.map { NormalisationRows.stateRow($0) }))
        }
        for callback in rows.callbacks {
            if let mark = callback.mark { try await connection.query(NormalisationRows.markSQL, mark) }
        }
        return summary
    }

    /// The deliveries of the notifications that were inserted (the first draft of an id carries its deliveries;
    /// a later one in the batch, or one stored before, is a repeat). Rows of one statement do not see each other:
    /// a chain held earlier in the batch holds the later rows of that chain too.
    static func deliveryRows(_ drafts: [NotificationDraft], seqs: [String: Int64], now: Int64) -> [[PGValue]] {
        var seqs = seqs
        var heldChains = Set<String>()
        var rows: [[PGValue]] = []
        for draft in drafts {
            guard let notificationSeq = seqs.removeValue(forKey: draft.id) else { continue }
            for endpoint in draft.endpointIds {
                let chain = "\(endpoint)\u{1F}\(NormalisationRows.orderingKey(draft))"
                let held = draft.awaitingOrder || heldChains.contains(chain)
                if held { heldChains.insert(chain) }
                rows.append(NormalisationRows.deliveryRow(draft, notificationSeq: notificationSeq, endpoint: endpoint,
                                                          now: now, held: held))
            }
        }
        return rows
    }

    /// Inserts the deliveries, writes the shipment states, and wakes every instance's delivery loop at commit (when
    /// deliveries were added). A delivery is held (`awaiting_order`) when its row says so (no order code yet, or an
    /// earlier row of its chain in this statement is held) or an earlier delivery of its chain is held: a later
    /// notification never overtakes a held one. Delivery rows: notification seq, notification id, client, endpoint,
    /// ordering key, event time, now, held.
    static let deliveriesAndStatesSQL = """
        WITH added AS (
            INSERT INTO deliveries (notification_seq, notification_id, client, endpoint, ordering_key, event_time,
                state, next_attempt_at, created_at, updated_at, held_at)
            SELECT v.nseq, v.nid, v.client, v.endpoint, v.okey, v.etime,
                CASE WHEN h.held THEN 'awaiting_order' ELSE 'pending' END, v.now, v.now, v.now,
                CASE WHEN h.held THEN v.now END
            FROM (\(deliveryRows.select(["nseq", "nid", "client", "endpoint", "okey", "etime", "now", "held"]))) AS v,
                LATERAL (SELECT v.held OR EXISTS (SELECT 1 FROM deliveries e WHERE e.state = 'awaiting_order'
                    AND e.ordering_key = v.okey AND e.endpoint = v.endpoint) AS held) h
            RETURNING 1
        ),
        states AS (
            INSERT INTO shipment_states (\(NormalisationRows.stateColumns)) \(stateRows.select(stateNames))
            \(NormalisationRows.stateUpsert)
        )
        SELECT pg_notify('\(PostgresStore.deliveriesChannel)', '') WHERE EXISTS (SELECT 1 FROM added)
        """

    static let deliveryRows = PGUnnest(types: ["bigint", "text", "text", "text", "text", "bigint", "bigint", "boolean"])
    static let stateRows = PGUnnest(types: ["text", "text", "text", "bigint", "text", "boolean", "text", "bigint"])
    static let stateNames = columnNames(NormalisationRows.stateColumns)

    /// The rows' columns as arrays (`PGUnnest`): types, and names that are the table's columns. Arrays have no
    /// length limit, so a batch of any size is one statement.
    static let eventRows = PGUnnest(types: [
        "bigint", "text", "text", "text", "text", "text", "bigint", "text", "text", "text", "text", "text",
    ])
    static let eventNames = columnNames(NormalisationRows.eventColumns)
    static let notificationRows = PGUnnest(types: [
        "text", "text", "text", "text", "text", "text", "text", "bigint", "bigint", "bigint", "bytea", "boolean",
    ])
    static let notificationNames = columnNames(NormalisationRows.notificationColumns)

    static func columnNames(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.split(whereSeparator: \.isWhitespace).joined() }
    }

    /// The keys of `keyArrays`, each looked up by the primary key (`LATERAL … OFFSET 0`, which PostgreSQL cannot
    /// flatten into a join): as `IN (SELECT * FROM unnest(…))`, or a plain `LATERAL`, the planner hashed the keys
    /// and read the whole table, a sequential scan per batch growing with every shipment ever seen (it costs random
    /// index reads at 4× a sequential one, so up to some 100,000 rows the scan looks cheaper than 128 probes).
    static let stateKeys = "unnest(?::text[], ?::text[], ?::text[]) AS k (client, shipment, leg)"
    static let registrationKeys = "unnest(?::text[], ?::text[]) AS k (client, awb)"

    static func keyArrays(_ keys: [ShipmentKey]) -> [PGValue] {
        [.texts(keys.map(\.client)), .texts(keys.map(\.shipment)), .texts(keys.map(\.leg.rawValue))]
    }

    static func keyArrays(_ keys: [ShipmentRegistrationKey]) -> [PGValue] {
        [.texts(keys.map(\.client)), .texts(keys.map(\.awb))]
    }

    /// The key in columns `first` … `first + 2` (client, shipment, leg).
    static func shipmentKey(_ row: PGRow, from first: Int) throws -> ShipmentKey {
        guard let leg = ShipmentLeg(rawValue: row.text(first + 2) ?? "") else {
            throw NormalisationReadError(detail: "a stored shipment state has an unknown leg")
        }
        return ShipmentKey(client: row.text(first) ?? "", shipment: row.text(first + 1) ?? "", leg: leg)
    }
}
