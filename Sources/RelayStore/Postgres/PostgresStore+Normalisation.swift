import PostgresNIO
public import RelayCore

/// Normalisation on the shared store.
///
/// Snapshots are plain reads (one statement for the states, one for the registrations), taken without locks. A
/// commit runs under the normalisation advisory lock, so commits of all instances, registrations and the expiry of
/// held deliveries take turns (a registration commits either before a commit, which then sees it changed, or after
/// it, and then releases what it held); inside it, the versions read are compared with what is stored, so a state
/// written by another instance since the snapshot is never overwritten (the batch is normalised again), and a
/// callback another instance normalised is never normalised twice. What a batch produced is written with a handful
/// of multi-row statements: events and states together, then notifications, then deliveries with the wake-up.
extension PostgresStore {
    public func snapshot(for keys: NormalisationKeys) async throws -> NormalisationSnapshot {
        guard !keys.isEmpty else { return NormalisationSnapshot() }
        return try await read { connection in
            var snapshot = NormalisationSnapshot()
            for key in keys.states { snapshot.states[key] = .absent }
            for key in keys.registrations { snapshot.registrations.updateValue(nil, forKey: key) }
            let stateKeys = Array(keys.states)
            if !stateKeys.isEmpty {
                let rows = try await connection.query(Self.snapshotStatesSQL, Self.keyArrays(stateKeys))
                for row in rows {
                    snapshot.states[try Self.shipmentKey(row)] = NormalisationRows.state(row, from: 3)
                }
            }
            let registrationKeys = Array(keys.registrations)
            if !registrationKeys.isEmpty {
                for (key, registration) in try await Self.registrations(registrationKeys, connection: connection) {
                    snapshot.registrations.updateValue(registration, forKey: key)
                }
            }
            return snapshot
        }
    }

    public func commit(_ results: [CommittedNormalisation], reads: NormalisationSnapshot) async throws
        -> NormalisationCommit
    {
        let lockKey = PostgresSchema.lockKey(PostgresSchema.normalisationLock, schema: schema)
        return try await NormalisationCommit.writing(results, reads: reads) { rows in
            try await transaction { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(?)", [.integer(lockKey)])
                return try await Self.commit(rows, connection: connection)
            }
        }
    }

    static func commit(_ rows: NormalisationRows, connection: PGConnection) async throws -> NormalisationSummary {
        let claimed = Set(try await connection.query(
            "DELETE FROM unnormalised WHERE seq = ANY(?) RETURNING seq", [.integers(rows.seqs)]) { $0.int(0) })
        // Under the lock no other commit runs, and each statement sees what earlier ones committed.
        var versions: [ShipmentKey: Int64] = [:]
        if !rows.stateReads.isEmpty {
            let found = try await connection.query(stateVersionsSQL, keyArrays(rows.stateReads.map(\.key)))
            for row in found { versions[try shipmentKey(row)] = row.int(3) }
        }
        var registrations: [ShipmentRegistrationKey: ShipmentRegistration] = [:]
        if !rows.registrationReads.isEmpty {
            registrations = try await Self.registrations(rows.registrationReads.map(\.key), connection: connection)
        }
        if let conflict = rows.conflict(claimed: claimed, versions: versions, registrations: registrations) {
            throw NormalisationConflictError(conflict: conflict)
        }
        var summary = NormalisationSummary()
        summary.callbacks = rows.seqs.count
        summary.outcomes = rows.outcomes
        let now = WallClock.now().epochMilliseconds
        let events = rows.callbacks.flatMap(\.events)
        let states = rows.stateWrites.map { NormalisationRows.stateRow($0) }
        if events.count <= chunk {
            // Events and states are independent of each other and of the notifications: one round trip for both.
            try await connection.query(Self.insertEventsUpsertStatesSQL,
                                       eventRows.values(events) + stateRows.values(states))
        } else {
            try await insertEvents(events, connection: connection)
            if !states.isEmpty { try await connection.query(Self.upsertStatesSQL, Self.stateRows.values(states)) }
        }
        let notifications = rows.callbacks.flatMap { callback in callback.notifications.map { ($0, callback.seq) } }
        try await insertNotifications(notifications, now: now, connection: connection, summary: &summary)
        for callback in rows.callbacks {
            if let mark = callback.mark { try await connection.query(NormalisationRows.markSQL, mark) }
        }
        return summary
    }

    static let chunk = 1000

    /// The rows' columns as arrays (`PGUnnest`): types, and names that are the table's columns.
    static let eventRows = PGUnnest(types: [
        "bigint", "text", "text", "text", "text", "text", "bigint", "text", "text", "text", "text", "text",
    ])
    static let eventNames = columnNames(NormalisationRows.eventColumns)
    static let notificationRows = PGUnnest(types: [
        "text", "text", "text", "text", "text", "text", "text", "bigint", "bigint", "bigint", "bytea", "boolean",
    ])
    static let notificationNames = columnNames(NormalisationRows.notificationColumns)
    static let stateRows = PGUnnest(types: ["text", "text", "text", "bigint", "text", "boolean", "text", "bigint"])
    static let stateNames = columnNames(NormalisationRows.stateColumns)

    /// The statements, made once (the arrays' `unnest` spelled out for the columns).
    static let insertEventsSQL = "INSERT INTO events (\(NormalisationRows.eventColumns)) \(eventRows.select(eventNames))"
    static let insertNotificationsSQL = """
        INSERT INTO notifications (\(NormalisationRows.notificationColumns))
        \(notificationRows.select(notificationNames)) ON CONFLICT (id) DO NOTHING RETURNING id, seq
        """
    static let insertEventsUpsertStatesSQL = "WITH inserted AS (\(insertEventsSQL)) \(upsertStatesSQL)"
    static let upsertStatesSQL = """
        INSERT INTO shipment_states (\(NormalisationRows.stateColumns)) \(stateRows.select(stateNames))
        \(NormalisationRows.stateUpsert)
        """

    static func columnNames(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.split(whereSeparator: \.isWhitespace).joined() }
    }

    static func insertEvents(_ events: [[SQLValue]], connection: PGConnection) async throws {
        var start = 0
        while start < events.count {
            let slice = events[start..<min(events.count, start + chunk)]
            start += slice.count
            try await connection.query(
                insertEventsSQL, eventRows.values(Array(slice)))
        }
    }

    static func insertNotifications(_ notifications: [(draft: NotificationDraft, callbackSeq: Int64)], now: Int64,
                                    connection: PGConnection, summary: inout NormalisationSummary) async throws {
        var start = 0
        var heldChains = Set<String>()
        while start < notifications.count {
            let slice = notifications[start..<min(notifications.count, start + chunk)]
            start += slice.count
            let inserted = try await connection.query(
                insertNotificationsSQL,
                notificationRows.values(slice.map {
                    NormalisationRows.notificationRow($0.draft, callbackSeq: $0.callbackSeq, now: now)
                }))
            var seqs: [String: Int64] = [:]
            for row in inserted { seqs[row.text(0) ?? ""] = row.int(1) }
            summary.notifications += seqs.count
            var rows: [[PGValue]] = []
            for (draft, _) in slice {
                // The first draft of an id carries its deliveries (a later one in the batch is a repeat).
                guard let notificationSeq = seqs.removeValue(forKey: draft.id) else { continue }
                for endpoint in draft.endpointIds {
                    // Rows of one statement do not see each other: a chain held earlier in the batch holds too.
                    let chain = "\(endpoint)\u{1F}\(NormalisationRows.orderingKey(draft))"
                    let held = draft.awaitingOrder || heldChains.contains(chain)
                    if held { heldChains.insert(chain) }
                    rows.append(NormalisationRows.deliveryRow(draft, notificationSeq: notificationSeq,
                                                              endpoint: endpoint, now: now, held: held))
                }
            }
            if !rows.isEmpty {
                try await PostgresDeliveries.insert(rows, connection: connection)
                summary.deliveries += rows.count
            }
        }
    }

    /// The shipment states of the keys of `keyArrays` as `s`, each looked up by the primary key (`LATERAL …
    /// OFFSET 0`, which PostgreSQL cannot flatten into a join): as `IN (SELECT * FROM unnest(…))`, or a plain
    /// `LATERAL`, the planner hashed the keys and read the whole table, a sequential scan per batch growing with
    /// every shipment ever seen (it costs random index reads at 4× a sequential one, so up to some 100,000 rows the
    /// scan looks cheaper than 128 probes).
    static let stateProbe = """
        FROM unnest(?::text[], ?::text[], ?::text[]) AS k (client, shipment, leg),
            LATERAL (SELECT * FROM shipment_states WHERE client = k.client AND shipment = k.shipment AND leg = k.leg
                OFFSET 0) s
        """
    /// The snapshot's states (a key without one is left out).
    static let snapshotStatesSQL = """
        SELECT s.client, s.shipment, s.leg, s.newest_relayed, s.terminal, s.rto_raised::int::bigint,
            s.notification_keys, s.version
        \(stateProbe)
        """
    /// The commit's check: the versions stored now.
    static let stateVersionsSQL = "SELECT s.client, s.shipment, s.leg, s.version \(stateProbe)"
    /// The registrations of `keys`, each looked up by the primary key like `stateProbe`.
    static let registrationsSQL = """
        SELECT r.client, r.awb, r.data FROM unnest(?::text[], ?::text[]) AS k (client, awb),
            LATERAL (SELECT * FROM shipment_registry WHERE client = k.client AND awb = k.awb OFFSET 0) r
        """

    static func keyArrays(_ keys: [ShipmentKey]) -> [PGValue] {
        [.texts(keys.map(\.client)), .texts(keys.map(\.shipment)), .texts(keys.map(\.leg.rawValue))]
    }

    static func shipmentKey(_ row: PGRow) throws -> ShipmentKey {
        guard let leg = ShipmentLeg(rawValue: row.text(2) ?? "") else {
            throw NormalisationReadError(detail: "a stored shipment state has an unknown leg")
        }
        return ShipmentKey(client: row.text(0) ?? "", shipment: row.text(1) ?? "", leg: leg)
    }

    /// The stored registrations of `keys` (a key without one is left out).
    static func registrations(_ keys: [ShipmentRegistrationKey], connection: PGConnection) async throws
        -> [ShipmentRegistrationKey: ShipmentRegistration]
    {
        let rows = try await connection.query(registrationsSQL, [.texts(keys.map(\.client)), .texts(keys.map(\.awb))])
        var found: [ShipmentRegistrationKey: ShipmentRegistration] = [:]
        for row in rows {
            let key = ShipmentRegistrationKey(client: row.text(0) ?? "", awb: row.text(1) ?? "")
            found[key] = try NormalisationRows.registration(data: row.text(2), awb: key.awb)
        }
        return found
    }
}

