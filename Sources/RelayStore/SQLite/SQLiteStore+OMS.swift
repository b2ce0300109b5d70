public import RelayCore

extension SQLiteStore {
    public func storeMessage(_ message: OMSMessage, client: String, endpointIds: [String], receivedAt: EventTime)
        async throws -> (notificationId: String, duplicate: Bool)
    {
        let payload = message.payload.serializedBytes()
        return try await writer.perform { connection in
            let id = Identifier.make(prefix: "ntf", epochMilliseconds: receivedAt.epochMilliseconds)
            if let key = message.idempotencyKey {
                let scoped = "\(client)\u{1F}\(message.kind.rawValue)\u{1F}\(key)"
                let inserted = try connection.run(
                    "INSERT OR IGNORE INTO message_keys (key, notification_id) VALUES (?, ?)", [.text(scoped), .text(id)])
                if inserted == 0 {
                    let existing = try connection.query(
                        "SELECT notification_id FROM message_keys WHERE key = ?", [.text(scoped)]) { $0.text(0) ?? "" }
                    return (existing.first ?? "", true)
                }
            }
            let now = receivedAt.epochMilliseconds
            try connection.run(
                """
                INSERT INTO notifications (id, client, awb, shipment, type, direction, dedup_key, event_time, created_at,
                    callback_seq, payload)
                VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, NULL, ?)
                """,
                [.text(id), .text(client), .text(message.orderCode), .text(message.kind.rawValue),
                 .text(message.kind == .returnAck ? "return" : "forward"), .text(message.idempotencyKey ?? id),
                 .integer(now), .integer(now), .blob(payload)])
            let notificationSeq = connection.lastInsertRowID
            for endpoint in endpointIds {
                try connection.run(
                    """
                    INSERT INTO deliveries (notification_seq, notification_id, client, endpoint, ordering_key, event_time,
                        state, next_attempt_at, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
                    """,
                    [.integer(notificationSeq), .text(id), .text(client), .text(endpoint),
                     .text("\(client)\u{1F}order:\(message.orderCode)"), .integer(now), .integer(now), .integer(now),
                     .integer(now)])
            }
            return (id, false)
        }
    }

    @discardableResult
    public func register(_ registration: ShipmentRegistration, client: String, now: EventTime) async throws -> Int {
        let data = registration.json.serialized()
        return try await writer.perform { connection in
            try connection.run(
                """
                INSERT INTO shipment_registry (client, awb, data, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (client, awb) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
                """, [.text(client), .text(registration.awb), .text(data), .integer(now.epochMilliseconds)])
            return try Self.releaseAwaitingOrder(registration, client: client, now: now.epochMilliseconds,
                                                 connection: connection)
        }
    }

    public func registration(client: String, awb: String) async throws -> ShipmentRegistration? {
        try await reader.read { connection in
            let rows = try connection.query(Self.registrationSQL, [.text(client), .text(awb)]) { $0.text(0) }
            guard let text = rows.first ?? nil, let json = try? JSONValue.parse(text) else { return nil }
            return ShipmentRegistration(json: json, awb: awb)
        }
    }

    public func unregister(client: String, awb: String) async throws -> Bool {
        try await writer.perform { connection in
            try connection.run("DELETE FROM shipment_registry WHERE client = ? AND awb = ?", [.text(client), .text(awb)]) > 0
        }
    }
}
