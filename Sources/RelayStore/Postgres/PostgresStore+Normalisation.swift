import PostgresNIO
public import RelayCore

/// Normalisation on the shared store.
///
/// A snapshot is one plain read (the states and the registrations together), taken without locks. A commit runs
/// under the normalisation advisory lock, so commits of all instances, registrations and the expiry of held
/// deliveries take turns (a registration commits either before a commit, which then sees it changed, or after it,
/// and then releases what it held). Inside it, two statements: the check claims the batch's callbacks and reads the
/// versions and registrations stored now, compared in Swift with what the snapshot read (`NormalisationRows.conflict`),
/// so a state written by another instance since the snapshot is never overwritten (the batch is normalised again)
/// and a callback another instance normalised is never normalised twice; then one statement writes everything the
/// batch produced (events, states, marks, notifications, deliveries and the wake-up). With BEGIN, the lock and
/// COMMIT that is five round trips a batch, whatever its size (docs/BENCHMARKS.md, "Eighth pass").
extension PostgresStore {
    public func snapshot(for keys: NormalisationKeys) async throws -> NormalisationSnapshot {
        guard !keys.isEmpty else { return NormalisationSnapshot() }
        return try await read { connection in
            var snapshot = NormalisationSnapshot()
            for key in keys.states { snapshot.states[key] = .absent }
            for key in keys.registrations { snapshot.registrations.updateValue(nil, forKey: key) }
            let rows = try await connection.query(
                Self.snapshotSQL, Self.keyArrays(Array(keys.states)) + Self.registrationArrays(Array(keys.registrations)))
            for row in rows {
                if row.isNull(2) {
                    let key = ShipmentRegistrationKey(client: row.text(0) ?? "", awb: row.text(1) ?? "")
                    snapshot.registrations.updateValue(
                        try NormalisationRows.registration(data: row.text(8), awb: key.awb), forKey: key)
                } else {
                    snapshot.states[try Self.shipmentKey(row)] = NormalisationRows.state(row, from: 3)
                }
            }
            return snapshot
        }
    }

    public func commit(_ results: [CommittedNormalisation], reads: NormalisationSnapshot, leases: FreshLeases?)
        async throws -> NormalisationCommit
    {
        let lockKey = PostgresSchema.lockKey(PostgresSchema.normalisationLock, schema: schema)
        return try await NormalisationCommit.writing(results, reads: reads) { rows in
            try await transaction { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(?)", [.integer(lockKey)])
                return try await Self.commit(rows, leases: leases, connection: connection)
            }
        }
    }

    static func commit(_ rows: NormalisationRows, leases: FreshLeases? = nil, connection: PGConnection) async throws
        -> NormalisationSummary
    {
        // Under the lock no other commit runs, and this statement sees what earlier ones committed.
        var claimed = Set<Int64>()
        var versions: [ShipmentKey: Int64] = [:]
        var registrations: [ShipmentRegistrationKey: ShipmentRegistration] = [:]
        let notificationCount = rows.callbacks.reduce(0) { $0 + $1.notifications.count }
        var notificationSeqs: [Int64] = []
        let found = try await connection.query(
            checkSQL, [.integers(rows.seqs)] + keyArrays(rows.stateReads.map(\.key))
                + registrationArrays(rows.registrationReads.map(\.key)) + [.integer(Int64(notificationCount))])
        for row in found {
            if row.isNull(0), !row.isNull(2) {
                notificationSeqs.append(row.int(3))
            } else if row.isNull(0) {
                claimed.insert(row.int(3))
            } else if row.isNull(2) {
                let key = ShipmentRegistrationKey(client: row.text(0) ?? "", awb: row.text(1) ?? "")
                registrations[key] = try NormalisationRows.registration(data: row.text(4), awb: key.awb)
            } else {
                versions[try shipmentKey(row)] = row.int(3)
            }
        }
        if let conflict = rows.conflict(claimed: claimed, versions: versions, registrations: registrations) {
            throw NormalisationConflictError(conflict: conflict)
        }
        guard notificationSeqs.count == notificationCount else {
            throw PostgresStoreError.unavailable("\(notificationSeqs.count) notification seqs for \(notificationCount)")
        }
        // In the order they were taken: the batch's notifications get them in batch order, as an insert would.
        notificationSeqs.sort()
        var nextSeq = notificationSeqs.makeIterator()
        var summary = NormalisationSummary()
        summary.callbacks = rows.seqs.count
        summary.outcomes = rows.outcomes
        let now = WallClock.now().epochMilliseconds
        var notifications: [[SQLValue]] = []
        var deliveries: [[SQLValue]] = []
        // Chains (endpoint, ordering key) with a held delivery earlier in this batch: a later one is held too.
        var heldChains = Set<String>()
        // A delivery may be leased by this commit only when it is its chain's one delivery in the batch (and, in
        // SQL, when no delivery of its chain is stored pending or in flight): then it heads its chain.
        var chainCounts: [String: Int] = [:]
        if leases != nil {
            for callback in rows.callbacks {
                for write in callback.notifications {
                    let orderingKey = NormalisationRows.orderingKey(write.draft)
                    for endpoint in write.draft.endpointIds {
                        chainCounts["\(endpoint)\u{1F}\(orderingKey)", default: 0] += 1
                    }
                }
            }
        }
        var slots = leases?.slots ?? [:]
        // What a delivery leased here is sent with, by (notification id, endpoint).
        var fresh: [FreshKey: DueDelivery] = [:]
        // Every delivery written, and its chain (those not leased are the summary's queued chains).
        var written: [(key: FreshKey, chain: String)] = []
        for callback in rows.callbacks {
            for write in callback.notifications {
                let draft = write.draft
                let row = NormalisationRows.notificationRow(write, callbackSeq: callback.seq, now: now)
                guard let notificationSeq = nextSeq.next() else { preconditionFailure("counted above") }
                notifications.append([.integer(notificationSeq)] + row)
                let orderingKey = NormalisationRows.orderingKey(draft)
                for endpoint in draft.endpointIds {
                    let chain = "\(endpoint)\u{1F}\(orderingKey)"
                    if draft.awaitingOrder { heldChains.insert(chain) }
                    let held = heldChains.contains(chain)
                    var lease = false
                    if !held, chainCounts[chain] == 1, let free = slots[endpoint], free > 0 {
                        slots[endpoint] = free - 1
                        lease = true
                        guard case .blob(let payload) = row[NormalisationRows.notificationPayloadIndex] else {
                            preconditionFailure("a notification row's payload is a blob")
                        }
                        fresh[FreshKey(notification: draft.id, endpoint: endpoint)] = DueDelivery(
                            seq: 0, notificationId: draft.id, client: draft.client, endpointId: endpoint,
                            orderingKey: orderingKey, eventTime: draft.eventTime,
                            nextAttemptAt: EventTime(epochMilliseconds: now), attempts: 0, payload: payload,
                            receivedAt: EventTime(epochMilliseconds: callback.receivedAt))
                    }
                    written.append((FreshKey(notification: draft.id, endpoint: endpoint), chain))
                    deliveries.append([.integer(notificationSeq), .text(draft.id), .text(draft.client),
                                       .text(endpoint), .text(orderingKey), .integer(draft.eventTime.epochMilliseconds),
                                       .integer(now), .bool(held), .integer(callback.receivedAt), .bool(lease)])
                }
            }
        }
        let binds = try eventRows.values(rows.callbacks.flatMap(\.events))
            + stateRows.values(rows.stateWrites.filter { $0.version == 1 }.map { NormalisationRows.stateRow($0) })
            + stateRows.values(rows.stateWrites.filter { $0.version > 1 }.map { NormalisationRows.stateRow($0) })
            + markRows.values(rows.callbacks.compactMap(\.mark))
            + notificationRows.values(notifications)
            // The lease's owner and end are named in the deliveries' select list, before their rows.
            + [.text(orNull: leases?.owner), .integer(orNull: leases?.until.epochMilliseconds)]
            + deliveryRows.values(deliveries)
        // A row of the counts (no seq), and one per delivery leased here (seq, notification id, endpoint).
        let stored = try await connection.query(deliveries.isEmpty ? writeSQL : writeAndNotifySQL, binds)
        var leasedKeys = Set<FreshKey>()
        for row in stored {
            if row.isNull(2) {
                summary.notifications = Int(row.int(0))
                summary.deliveries = Int(row.int(1))
            } else if var delivery = fresh[FreshKey(notification: row.text(3) ?? "", endpoint: row.text(4) ?? "")] {
                delivery.seq = row.int(2)
                summary.leased.append(delivery)
                leasedKeys.insert(FreshKey(notification: delivery.notificationId, endpoint: delivery.endpointId))
            }
        }
        for delivery in written where !leasedKeys.contains(delivery.key) { summary.queuedChains.insert(delivery.chain) }
        return summary
    }

    /// A delivery of the batch: its notification and endpoint.
    struct FreshKey: Hashable {
        var notification: String
        var endpoint: String
    }

    /// The rows' columns as arrays (`PGUnnest`): types (`?`: may be NULL, as the row builders of
    /// `NormalisationRows` make them), and names that are the table's columns.
    static let eventRows = PGUnnest(types: [
        "bigint", "text", "text", "text?", "text", "text?", "bigint?", "text", "text", "text?", "text?", "text?",
        "bigint",
    ])
    /// A notification: its seq (taken by the check, `checkSQL`), then `NormalisationRows.notificationColumns`.
    static let notificationRows = PGUnnest(types: [
        "bigint", "text", "text", "text?", "text", "text", "text", "text", "bigint", "bigint", "bigint", "bytea",
        "boolean",
        "text?", "text?", "text?", "text?", "bigint?", "bigint?",
    ])
    static let stateRows = PGUnnest(types: ["text", "text", "text", "bigint?", "text?", "boolean", "text", "bigint"])
    /// A callback's unmapped mark: error, detail, seq.
    static let markRows = PGUnnest(types: ["text?", "text?", "bigint"])
    /// A delivery to queue, in batch order: its notification's seq and id, client, endpoint, ordering key, event
    /// time, now, held (its notification awaits its order, or an earlier delivery of its chain in the batch does),
    /// and when its callback was received (kept on the delivery so that a claim need not read the callback, migration 11).
    /// Last, whether this commit may lease it (`FreshLeases`: its chain's one delivery in the batch, a slot free).
    static let deliveryRows = PGUnnest(types: [
        "bigint", "text", "text", "text", "text", "bigint", "bigint", "boolean", "bigint", "boolean",
    ])

    /// Everything a batch produced, in one statement (its parts see the same snapshot, taken under the lock).
    ///
    /// A state the batch read as absent (it gets version 1) is inserted, one it read is updated: the check just
    /// before, under the same lock, found the stored versions equal to those read, so an insert cannot meet a row
    /// and an update always finds one. A plain insert spares the speculative insertion of `ON CONFLICT` (an index
    /// probe before the insert and a confirmation record after it), and the update of a state, whose key columns
    /// are its only indexed ones, can be HOT.
    ///
    /// Notifications are inserted without `ON CONFLICT`: their ids are new (ULIDs made by this normalisation run;
    /// a repeat within the batch is left out by `NormalisationRows`), and a commit that cannot claim its callbacks
    /// stops at the check, before this statement. So no insert meets a stored id, and none pays the speculative insertion (an
    /// index probe first, a confirmation record after). Were one ever to, the statement fails and the batch is
    /// normalised again, with new ids.
    ///
    /// A delivery is held (`awaiting_order`) when its notification awaits its order, when an earlier delivery of
    /// its chain (endpoint and shipment) in this batch is held (both worked out in Swift, above), or when one stored
    /// is: a later notification never overtakes a held one. Each `LATERAL` ends in `OFFSET 0`, so its probe runs once
    /// per delivery: pulled up, it was copied into every expression that reads its column (the chain probe ran three
    /// times a delivery). Returns the notifications and deliveries written.
    static func writeStatement(wake: String) -> String {
        """
        WITH logged AS (
            INSERT INTO events (\(NormalisationRows.eventColumns)) \(eventRows.select(columnNames(NormalisationRows.eventColumns)))
        ), created AS (
            INSERT INTO shipment_states (\(NormalisationRows.stateColumns))
            \(stateRows.select(columnNames(NormalisationRows.stateColumns)))
        ), restated AS (
            UPDATE shipment_states s SET newest_relayed = u.newest_relayed, terminal = u.terminal,
                rto_raised = u.rto_raised, notification_keys = u.notification_keys, version = u.version
            FROM (\(stateRows.select(columnNames(NormalisationRows.stateColumns)))) AS u
            WHERE s.client = u.client AND s.shipment = u.shipment AND s.leg = u.leg
        ), marked AS (
            UPDATE callbacks c SET error = m.error, detail = m.detail
            FROM (\(markRows.select(["error", "detail", "seq"]))) AS m
            WHERE c.seq = m.seq AND c.status = 'accepted'
        ), stored AS (
            INSERT INTO notifications (seq, \(NormalisationRows.notificationColumns)) OVERRIDING SYSTEM VALUE
            \(notificationRows.select(["seq"] + columnNames(NormalisationRows.notificationColumns)))
            RETURNING seq
        ), queued AS (
            INSERT INTO deliveries (notification_seq, notification_id, client, endpoint, ordering_key, event_time,
                state, next_attempt_at, created_at, updated_at, held_at, received_at, lease_owner, lease_until)
            SELECT w.nseq, w.nid, w.client, w.endpoint, w.okey, w.etime,
                CASE WHEN h.held THEN 'awaiting_order' WHEN l.leased THEN 'in_flight' ELSE 'pending' END,
                w.now, w.now, w.now, CASE WHEN h.held THEN w.now END, w.received,
                CASE WHEN l.leased THEN ?::text END, CASE WHEN l.leased THEN ?::bigint END
            FROM (\(deliveryRows.select(["nseq", "nid", "client", "endpoint", "okey", "etime", "now", "held",
                                         "received", "lease"]))) AS w,
                LATERAL (SELECT w.held OR EXISTS (SELECT 1 FROM deliveries e WHERE e.state = 'awaiting_order'
                    AND e.ordering_key = w.okey AND e.endpoint = w.endpoint) AS held OFFSET 0) h,
                LATERAL (SELECT w.lease AND NOT h.held AND NOT EXISTS (SELECT 1 FROM deliveries e
                    WHERE e.endpoint = w.endpoint AND e.ordering_key = w.okey AND e.state IN ('pending', 'in_flight')
                    OFFSET 0) AS leased OFFSET 0) l
            RETURNING seq, notification_id, endpoint, state
        )
        SELECT (SELECT count(*) FROM stored), (SELECT count(*) FROM queued), NULL::bigint, NULL::text, NULL::text\(wake)
        UNION ALL
        SELECT NULL, NULL, seq, notification_id, endpoint\(wake.isEmpty ? "" : ", NULL") FROM queued
        WHERE state = 'in_flight'
        """
    }
    static let writeSQL = writeStatement(wake: "")
    /// `writeSQL` that also wakes every instance's delivery loop when the transaction commits, unless every
    /// delivery it queued was leased by the commit itself (its engine sends those without a claim).
    static let writeAndNotifySQL = writeStatement(
        wake: ", CASE WHEN EXISTS (SELECT 1 FROM queued WHERE state <> 'in_flight')"
            + " THEN pg_notify('\(deliveriesChannel)', '')::text END")

    static func columnNames(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.split(whereSeparator: \.isWhitespace).joined() }
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
    /// The snapshot: the states (client, shipment, leg, then `NormalisationRows.state`'s columns) and the
    /// registrations (client, awb, a NULL leg, …, data at 8) of the keys (a key without one is left out).
    static let snapshotSQL = """
        SELECT s.client, s.shipment, s.leg, s.newest_relayed, s.terminal, s.rto_raised::int::bigint,
            s.notification_keys, s.version, NULL::text
        \(stateProbe)
        UNION ALL
        SELECT r.client, r.awb, NULL, NULL, NULL, NULL, NULL, NULL, r.data \(registrationProbe)
        """
    /// The commit's check, rows of client, shipment or awb, leg, number, data: the batch's callbacks it claims
    /// (NULL client, seq), the versions of the read states stored now (client, shipment, leg, version), the
    /// registrations of the read keys stored now (client, awb, NULL leg, data) and a seq for each notification the
    /// batch will insert (NULL client, `notification`, seq). With its seq known in advance, a delivery names its
    /// notification directly: joined to the notifications' `RETURNING` by id instead, each delivery compared its id
    /// with every notification of the batch (hash joins are off), the batch's size squared, 16 µs of PostgreSQL's
    /// CPU per notification at 2,000/s (docs/BENCHMARKS.md, "Thirteenth pass").
    static let checkSQL = """
        WITH claimed AS (DELETE FROM unnormalised WHERE seq = ANY(?) RETURNING seq)
        SELECT NULL::text, NULL::text, NULL::text, seq, NULL::text FROM claimed
        UNION ALL
        SELECT s.client, s.shipment, s.leg, s.version, NULL \(stateProbe)
        UNION ALL
        SELECT r.client, r.awb, NULL, NULL, r.data \(registrationProbe)
        UNION ALL
        SELECT NULL, NULL, 'notification', nextval((SELECT pg_get_serial_sequence('notifications', 'seq'))::regclass),
            NULL FROM generate_series(1, ?::int)
        """
    /// The registrations of the keys of `registrationArrays` as `r`, each looked up by the primary key like
    /// `stateProbe`.
    static let registrationProbe = """
        FROM unnest(?::text[], ?::text[]) AS k (client, awb),
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

    static func registrationArrays(_ keys: [ShipmentRegistrationKey]) -> [PGValue] {
        [.texts(keys.map(\.client)), .texts(keys.map(\.awb))]
    }
}
