import RelayCore

/// The rows a normalisation commit writes and the checks it makes first, built once for both stores: only the
/// SQL text (and how values are bound) differs between SQLite and PostgreSQL.
struct NormalisationRows {
    /// A shipment state to write, with the version it gets.
    struct StateWrite {
        var key: ShipmentKey
        var state: ShipmentState
        var version: Int64
    }

    /// A notification to store, with the courier event that produced it (kept in its row, migration 13).
    struct NotificationWrite {
        var draft: NotificationDraft
        var event: EventRecord?
        /// The event's place among its callback's events.
        var position: Int
    }

    /// The callbacks, in batch order.
    let seqs: [Int64]
    /// Per callback of the batch (same order as `seqs`): the rows of its events that produced no stored notification
    /// (`eventColumns`), its notifications (the first draft of each id in the batch: a later one is a repeat, and
    /// its event is an `events` row), and the row of its `markSQL` update when it needs one.
    let callbacks: [(seq: Int64, receivedAt: Int64, events: [[SQLValue]], notifications: [NotificationWrite],
                     mark: [SQLValue]?)]
    /// The newest state of every key the batch changed, sorted by key (a stable lock order).
    let stateWrites: [StateWrite]
    /// The state versions the batch read (written keys included), sorted by key.
    let stateReads: [(key: ShipmentKey, version: Int64)]
    /// The registrations the batch read, as read.
    let registrationReads: [(key: ShipmentRegistrationKey, registration: ShipmentRegistration?)]
    var outcomes: [EventOutcome: Int] = [:]

    /// The quarantine detail of a callback there was nothing to normalise for.
    static let notNormalisedDetail =
        "not normalised: its client is not configured, its stored body no longer parses, or the store refused what it"
        + " normalises to (see the relay's log)"

    init(_ results: [CommittedNormalisation], reads: NormalisationSnapshot) {
        var callbacks: [(seq: Int64, receivedAt: Int64, events: [[SQLValue]], notifications: [NotificationWrite],
                         mark: [SQLValue]?)] = []
        var outcomes: [EventOutcome: Int] = [:]
        var newest: [ShipmentKey: ShipmentState] = [:]
        var ids = Set<String>()
        for committed in results {
            let callback = committed.callback
            guard let result = committed.result else {
                // Nothing to normalise (its client is no longer configured, its stored body no longer parses, or the
                // store refused what it normalises to): it leaves the queue, but marked, so that ops find it in
                // quarantine and can normalise it again once the cause is fixed. Unmarked, an answered callback
                // would vanish silently.
                callbacks.append((callback.seq, callback.receivedAt.epochMilliseconds, [], [],
                                  [.text("unmapped"), .text(Self.notNormalisedDetail), .integer(callback.seq)]))
                continue
            }
            // The first draft of an id is stored (a later one in the batch is a repeat) and carries its event.
            let stored = result.notifications.filter { ids.insert($0.id).inserted }
            let storedIds = Set(stored.map(\.id))
            var carried: [String: (record: EventRecord, position: Int)] = [:]
            var events: [[SQLValue]] = []
            for (position, record) in result.events.enumerated() {
                outcomes[record.outcome, default: 0] += 1
                if let id = record.notificationId, storedIds.contains(id) {
                    carried[id] = (record, position)
                } else {
                    events.append(Self.eventRow(record, callback: callback, position: position))
                }
            }
            let notifications = stored.map { draft in
                NotificationWrite(draft: draft, event: carried[draft.id]?.record,
                                  position: carried[draft.id]?.position ?? 0)
            }
            // A status the mapping tables do not know: ops see the callback in quarantine (rare, so the callback row
            // is rewritten only then).
            let unmapped = result.events.contains { $0.outcome == .unmapped }
            let mark: [SQLValue]? = unmapped || committed.requeued
                ? [unmapped ? .text("unmapped") : .null, unmapped ? .text("status not in the mapping table") : .null,
                   .integer(callback.seq)]
                : nil
            callbacks.append((callback.seq, callback.receivedAt.epochMilliseconds, events, notifications, mark))
            for (key, state) in result.states { newest[key] = state }
        }
        self.seqs = results.map(\.callback.seq)
        self.callbacks = callbacks
        self.outcomes = outcomes
        self.stateWrites = newest.map { key, state in
            StateWrite(key: key, state: state, version: (reads.states[key]?.version ?? 0) + 1)
        }.sorted { Self.precedes($0.key, $1.key) }
        self.stateReads = reads.states.map { ($0.key, $0.value.version) }.sorted { Self.precedes($0.key, $1.key) }
        self.registrationReads = reads.registrations.map { ($0.key, $0.value) }
    }

    static func precedes(_ a: ShipmentKey, _ b: ShipmentKey) -> Bool {
        (a.client, a.shipment, a.leg.rawValue) < (b.client, b.shipment, b.leg.rawValue)
    }

    /// What conflicts with the batch, given what is stored now; nil when it may be written.
    /// - Parameters:
    ///   - claimed: the batch's callbacks that were still unnormalised (and are now marked).
    ///   - versions: stored versions of the read states (a key without a row is left out).
    ///   - registrations: stored registrations of the read keys (a key without a row is left out).
    func conflict(claimed: Set<Int64>, versions: [ShipmentKey: Int64],
                  registrations: [ShipmentRegistrationKey: ShipmentRegistration]) -> NormalisationConflict? {
        var conflict = NormalisationConflict()
        conflict.alreadyNormalised = Set(seqs).subtracting(claimed)
        for (key, version) in stateReads where (versions[key] ?? 0) != version {
            conflict.changedStates.insert(key)
        }
        for (key, registration) in registrationReads where registrations[key] != registration {
            conflict.changedRegistrations.insert(key)
        }
        return conflict.isEmpty ? nil : conflict
    }

    // MARK: Columns and rows

    static let eventColumns = """
        callback_seq, client, aggregator, awb, status_code, status_text, event_time, role, outcome, notification_type,
            direction, notification_id, position
        """

    static func eventRow(_ record: EventRecord, callback: StoredCallback, position: Int) -> [SQLValue] {
        [.integer(callback.seq), .text(callback.client), .text(callback.aggregator.rawValue),
         .text(orNull: record.event.awb), .text(record.event.statusCode), .text(orNull: record.event.statusText),
         .integer(orNull: record.event.eventTime?.epochMilliseconds), .text(record.event.role.rawValue),
         .text(record.outcome.rawValue), .text(orNull: record.type?.name), .text(orNull: record.direction?.rawValue),
         .text(orNull: record.notificationId), .integer(Int64(position))]
    }

    /// A notification's columns, then those of the event that produced it (migration 13: the rest of the event is
    /// the notification's own client, AWB, type, direction and callback).
    static let notificationColumns = """
        id, client, awb, shipment, type, direction, dedup_key, event_time, created_at, callback_seq, payload,
            awaiting_order, event_status_code, event_status_text, event_role, event_outcome, event_time_sent,
            event_position
        """

    /// Where `notificationRow` puts the serialised payload (a commit that leases a delivery reuses those bytes).
    static let notificationPayloadIndex = 10

    static func notificationRow(_ write: NotificationWrite, callbackSeq: Int64, now: Int64) -> [SQLValue] {
        let draft = write.draft
        let event = write.event
        return [.text(draft.id), .text(draft.client), .text(orNull: draft.awb), .text(draft.shipmentKey.shipment),
                .text(draft.type.name), .text(draft.direction.rawValue), .text(draft.dedupKey),
                .integer(draft.eventTime.epochMilliseconds), .integer(now), .integer(callbackSeq),
                .blob(draft.payload.serializedBytes()), .bool(draft.awaitingOrder),
                .text(orNull: event?.event.statusCode), .text(orNull: event?.event.statusText),
                .text(orNull: event?.event.role.rawValue), .text(orNull: event?.outcome.rawValue),
                .integer(orNull: event?.event.eventTime?.epochMilliseconds),
                event == nil ? .null : .integer(Int64(write.position))]
    }

    /// The deliveries' ordering key: one chain per shipment of a client (both legs).
    static func orderingKey(_ draft: NotificationDraft) -> String {
        "\(draft.shipmentKey.client)\u{1F}\(draft.shipmentKey.shipment)"
    }

    /// A delivery's row: notification seq, notification id, client, endpoint, ordering key, event time, now, held.
    static func deliveryRow(_ draft: NotificationDraft, notificationSeq: Int64, endpoint: String, now: Int64,
                            held: Bool) -> [SQLValue] {
        [.integer(notificationSeq), .text(draft.id), .text(draft.client), .text(endpoint), .text(orderingKey(draft)),
         .integer(draft.eventTime.epochMilliseconds), .integer(now), .bool(held)]
    }

    /// Sets a callback's unmapped mark (bind: error, detail, seq).
    static let markSQL = "UPDATE callbacks SET error = ?, detail = ? WHERE seq = ? AND status = 'accepted'"

    static let stateColumns = "client, shipment, leg, newest_relayed, terminal, rto_raised, notification_keys, version"

    static func stateRow(_ write: StateWrite) -> [SQLValue] {
        [.text(write.key.client), .text(write.key.shipment), .text(write.key.leg.rawValue),
         .integer(orNull: write.state.newestRelayed?.epochMilliseconds), .text(orNull: write.state.terminal?.name),
         .bool(write.state.rtoRaised), .text(write.state.notificationKeys.joined(separator: " ")),
         .integer(write.version)]
    }

    /// `… ON CONFLICT` clause of the state upsert (the same text in both dialects).
    static let stateUpsert = """
        ON CONFLICT (client, shipment, leg) DO UPDATE SET newest_relayed = excluded.newest_relayed,
            terminal = excluded.terminal, rto_raised = excluded.rto_raised, notification_keys = excluded.notification_keys,
            version = excluded.version
        """

    /// Reads a state: columns newest_relayed, terminal, rto_raised (as an integer 0/1: PostgreSQL casts its boolean),
    /// notification_keys, version from `first`.
    static func state(_ row: some SQLRow, from first: Int) -> VersionedShipmentState {
        VersionedShipmentState(
            state: ShipmentState(newestRelayed: row.optionalInt(first).map(EventTime.init(epochMilliseconds:)),
                                 terminal: row.text(first + 1).map(NotificationType.init(name:)),
                                 rtoRaised: row.int(first + 2) != 0,
                                 notificationKeys: (row.text(first + 3) ?? "").split(separator: " ").map(String.init)),
            version: row.int(first + 4))
    }

    /// Reads a stored registration's JSON; a row that does not parse fails the read (it is not taken for "none").
    static func registration(data: String?, awb: String) throws -> ShipmentRegistration {
        guard let data, let registration = ShipmentRegistration(json: try JSONValue.parse(data), awb: awb) else {
            throw NormalisationReadError(detail: "the stored registration of an AWB is not a JSON object")
        }
        return registration
    }
}

/// A snapshot read found data it cannot use: the batch fails (and is retried) rather than being normalised as if
/// nothing were stored.
struct NormalisationReadError: Error, CustomStringConvertible {
    var detail: String
    var description: String { "normalisation snapshot: \(detail)" }
}
