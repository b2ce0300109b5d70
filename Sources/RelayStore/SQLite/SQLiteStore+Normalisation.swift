public import RelayCore

extension SQLiteStore {
    /// Reads on the calling thread (a few indexed reads: no hand-off to another thread), off the writer: a state
    /// written meanwhile is caught by `commit`.
    public func snapshot(for keys: NormalisationKeys) async throws -> NormalisationSnapshot {
        guard !keys.isEmpty else { return NormalisationSnapshot() }
        return try reader.readNow(snapshot: true) { connection in try Self.snapshot(for: keys, connection: connection) }
    }

    static func snapshot(for keys: NormalisationKeys, connection: SQLiteConnection) throws -> NormalisationSnapshot {
        var snapshot = NormalisationSnapshot()
        for key in keys.states {
            snapshot.states[key] = try connection.query(Self.stateSQL, Self.bindings(key)) {
                NormalisationRows.state($0, from: 0)
            }.first ?? .absent
        }
        for key in keys.registrations {
            let data = try connection.query(Self.registrationSQL, [.text(key.client), .text(key.awb)]) { $0.text(0) }
            let registration = try data.first.map { try NormalisationRows.registration(data: $0, awb: key.awb) }
            snapshot.registrations.updateValue(registration, forKey: key)
        }
        return snapshot
    }

    /// One process delivers from an SQLite file, and its engine claims what is due right after the commit
    /// announces it: `leases` are not taken here (a claim on SQLite is one local statement).
    public func commit(_ results: [CommittedNormalisation], reads: NormalisationSnapshot, leases: FreshLeases?)
        async throws -> NormalisationCommit
    {
        try await NormalisationCommit.writing(results, reads: reads) { rows in
            // Isolated: a conflict throws, and only this batch's writes are undone.
            let summary = try await writer.perform(isolated: true) { connection in
                try Self.commit(rows, connection: connection)
            }
            // Durable now: the delivery loop may take the new deliveries.
            if summary.deliveries > 0 { announcer.announce() }
            return summary
        }
    }

    static func commit(_ rows: NormalisationRows, connection: SQLiteConnection) throws -> NormalisationSummary {
        // Marked normalised in one statement per chunk; what is not returned was normalised before.
        var claimed = Set<Int64>()
        var start = 0
        while start < rows.seqs.count {
            let chunk = rows.seqs[start..<min(rows.seqs.count, start + markChunk)]
            claimed.formUnion(try connection.query(markNormalisedSQL[chunk.count], chunk.map { .integer($0) }) {
                $0.int(0)
            })
            start += chunk.count
        }
        // The writer thread is the only writer: what it reads now stays so until this transaction commits.
        var versions: [ShipmentKey: Int64] = [:]
        for (key, _) in rows.stateReads {
            if let version = try connection.query(versionSQL, bindings(key), { $0.int(0) }).first {
                versions[key] = version
            }
        }
        var registrations: [ShipmentRegistrationKey: ShipmentRegistration] = [:]
        for (key, _) in rows.registrationReads {
            let data = try connection.query(registrationSQL, [.text(key.client), .text(key.awb)]) { $0.text(0) }
            if let data = data.first {
                registrations[key] = try NormalisationRows.registration(data: data, awb: key.awb)
            }
        }
        if let conflict = rows.conflict(claimed: claimed, versions: versions, registrations: registrations) {
            throw NormalisationConflictError(conflict: conflict)
        }
        var summary = NormalisationSummary()
        summary.callbacks = rows.seqs.count
        summary.outcomes = rows.outcomes
        let now = WallClock.now().epochMilliseconds
        for callback in rows.callbacks {
            for event in callback.events {
                try connection.run(insertEventSQL, event)
            }
            for write in callback.notifications {
                let draft = write.draft
                let row = NormalisationRows.notificationRow(write, callbackSeq: callback.seq, now: now)
                guard try connection.run(insertNotificationSQL, row) == 1 else { continue }
                let notificationSeq = connection.lastInsertRowID
                summary.notifications += 1
                for endpoint in draft.endpointIds {
                    let row = NormalisationRows.deliveryRow(draft, notificationSeq: notificationSeq, endpoint: endpoint,
                                                            now: now, held: draft.awaitingOrder)
                    try connection.run(insertDeliverySQL, row)
                    summary.deliveries += 1
                }
            }
            if let mark = callback.mark { try connection.run(NormalisationRows.markSQL, mark) }
        }
        for write in rows.stateWrites {
            try connection.run(upsertStateSQL, NormalisationRows.stateRow(write))
        }
        return summary
    }

    static func bindings(_ key: ShipmentKey) -> [SQLiteValue] {
        [.text(key.client), .text(key.shipment), .text(key.leg.rawValue)]
    }

    static let stateSQL = """
        SELECT newest_relayed, terminal, rto_raised, notification_keys, version FROM shipment_states
        WHERE client = ? AND shipment = ? AND leg = ?
        """
    static let versionSQL = "SELECT version FROM shipment_states WHERE client = ? AND shipment = ? AND leg = ?"
    static let registrationSQL = "SELECT data FROM shipment_registry WHERE client = ? AND awb = ?"
    static let insertEventSQL = """
        INSERT INTO events (\(NormalisationRows.eventColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let insertNotificationSQL = """
        INSERT OR IGNORE INTO notifications (\(NormalisationRows.notificationColumns))
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let upsertStateSQL = """
        INSERT INTO shipment_states (\(NormalisationRows.stateColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        \(NormalisationRows.stateUpsert)
        """

    static let markChunk = 128
    /// `DELETE FROM unnormalised WHERE seq IN (?, …) RETURNING seq` for 0…markChunk placeholders, made once so that
    /// each text keeps one address in the connection's statement cache.
    static let markNormalisedSQL: [String] = (0...markChunk).map { count in
        "DELETE FROM unnormalised WHERE seq IN (\(Array(repeating: "?", count: max(count, 1)).joined(separator: ", "))) RETURNING seq"
    }

    /// Inserts a delivery (bind: notification seq, notification id, client, endpoint, ordering key, event time, now,
    /// awaiting order 0/1). It is held (`awaiting_order`) when its notification has no order code yet, or when an
    /// earlier delivery of its chain is held: a later notification never overtakes a held one.
    static let insertDeliverySQL = """
        INSERT INTO deliveries (notification_seq, notification_id, client, endpoint, ordering_key, event_time,
            state, next_attempt_at, created_at, updated_at, held_at)
        SELECT ?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN h.held THEN 'awaiting_order' ELSE 'pending' END, ?7, ?7, ?7,
            CASE WHEN h.held THEN ?7 END
        FROM (SELECT ?8 = 1 OR EXISTS (SELECT 1 FROM deliveries WHERE state = 'awaiting_order' AND ordering_key = ?5
            AND endpoint = ?4) AS held) h
        """
}

