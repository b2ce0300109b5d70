public import RelayCore

extension PostgresStore {
    public func storeMessage(_ message: OMSMessage, client: String, endpointIds: [String], receivedAt: EventTime)
        async throws -> (notificationId: String, duplicate: Bool)
    {
        let payload = message.payload.serializedBytes()
        let id = Identifier.make(prefix: "ntf", epochMilliseconds: receivedAt.epochMilliseconds)
        return try await transaction { connection in
            if let key = message.idempotencyKey {
                let scoped = "\(client)\u{1F}\(message.kind.rawValue)\u{1F}\(key)"
                let inserted = try await connection.count(
                    "INSERT INTO message_keys (key, notification_id) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING key",
                    [.text(scoped), .text(id)])
                if inserted == 0 {
                    let existing = try await connection.query(
                        "SELECT notification_id FROM message_keys WHERE key = ?", [.text(scoped)]) { $0.text(0) ?? "" }
                    return (existing.first ?? "", true)
                }
            }
            let now = receivedAt.epochMilliseconds
            let notificationSeq = try await connection.query(
                """
                INSERT INTO notifications (id, client, awb, shipment, type, direction, dedup_key, event_time, created_at,
                    callback_seq, payload)
                VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, NULL, ?) RETURNING seq
                """,
                [.text(id), .text(client), .text(message.orderCode), .text(message.kind.rawValue),
                 .text(message.kind == .returnAck ? "return" : "forward"), .text(message.idempotencyKey ?? id),
                 .integer(now), .integer(now), .blob(payload)]
            ) { $0.int(0) }[0]
            if !endpointIds.isEmpty {
                var values: [PGValue] = []
                for endpoint in endpointIds {
                    values += [.integer(notificationSeq), .text(id), .text(client), .text(endpoint),
                               .text("\(client)\u{1F}order:\(message.orderCode)"), .integer(now), .integer(now),
                               .bool(false)]
                }
                try await PostgresDeliveries.insert(rows: endpointIds.count, values: values, connection: connection)
            }
            return (id, false)
        }
    }

    @discardableResult
    public func register(_ registration: ShipmentRegistration, client: String, now: EventTime) async throws -> Int {
        let data = registration.json.serialized()
        let lockKey = PostgresSchema.lockKey(PostgresSchema.normalisationLock, schema: schema)
        return try await transaction { connection in
            // Normalisation holds this lock while it decides whether new deliveries are held: a registration
            // commits either before (the normaliser sees it) or after (it sees, and releases, what was held).
            try await connection.query("SELECT pg_advisory_xact_lock(?)", [.integer(lockKey)])
            try await connection.query(
                """
                INSERT INTO shipment_registry (client, awb, data, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (client, awb) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
                """, [.text(client), .text(registration.awb), .text(data), .integer(now.epochMilliseconds)])
            return try await Self.releaseAwaitingOrder(registration, client: client, now: now.epochMilliseconds,
                                                       connection: connection)
        }
    }

    public func registration(client: String, awb: String) async throws -> ShipmentRegistration? {
        try await read { connection in
            let rows = try await connection.query(
                "SELECT data FROM shipment_registry WHERE client = ? AND awb = ?", [.text(client), .text(awb)]
            ) { $0.text(0) }
            guard let text = rows.first ?? nil, let json = try? JSONValue.parse(text) else { return nil }
            return ShipmentRegistration(json: json, awb: awb)
        }
    }

    public func unregister(client: String, awb: String) async throws -> Bool {
        try await transaction { connection in
            try await connection.count(
                "DELETE FROM shipment_registry WHERE client = ? AND awb = ? RETURNING awb", [.text(client), .text(awb)]) > 0
        }
    }
}
