public import RelayCore

extension PostgresStore {
    static func deadLetterRow(_ row: PGRow) -> DeadLetter {
        DeadLetter(id: "dlv_\(row.int(0))", seq: row.int(0), notificationId: row.text(1) ?? "", client: row.text(2) ?? "",
                   endpointId: row.text(3) ?? "", type: row.text(4) ?? "", awb: row.text(5),
                   failureClass: row.text(6), attempts: Int(row.int(7)),
                   deadAt: EventTime(epochMilliseconds: row.optionalInt(8) ?? 0), payload: row.blob(9))
    }

    public func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter] {
        var conditions = ["d.state = 'dead'"]
        var bindings: [PGValue] = []
        func add(_ condition: String, _ value: PGValue?) {
            guard let value else { return }
            conditions.append(condition)
            bindings.append(value)
        }
        add("d.client = ?", filter.client.map(PGValue.text))
        add("d.endpoint = ?", filter.endpoint.map(PGValue.text))
        add("n.type = ?", filter.type.map(PGValue.text))
        add("d.failure_class = ?", filter.failure.map(PGValue.text))
        if let awb = filter.awb {
            conditions.append("(n.awb = ? OR n.shipment = ?)")
            bindings += [.text(awb), .text(awb)]
        }
        add("d.dead_at >= ?", filter.since.map { .integer($0.epochMilliseconds) })
        add("d.dead_at < ?", filter.until.map { .integer($0.epochMilliseconds) })
        if let before = filter.before {
            conditions.append("(d.dead_at, d.seq) < (?, ?)")
            bindings += [.integer(before.deadAt.epochMilliseconds), .integer(before.seq)]
        }
        bindings.append(.integer(Int64(max(1, min(filter.limit, 10_000)))))
        let sql = """
            SELECT \(SQLiteStore.deadLetterColumns) FROM deliveries d JOIN notifications n ON n.seq = d.notification_seq
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY d.dead_at DESC, d.seq DESC LIMIT ?
            """
        let finalBindings = bindings
        return try await read { connection in
            try await connection.query(sql, finalBindings, Self.deadLetterRow)
        }
    }

    public func deadLetter(seq: Int64) async throws -> DeadLetter? {
        try await read { connection in
            try await connection.query(
                """
                SELECT \(SQLiteStore.deadLetterColumns) FROM deliveries d JOIN notifications n ON n.seq = d.notification_seq
                WHERE d.seq = ?
                """, [.integer(seq)], Self.deadLetterRow
            ).first
        }
    }

    public func replay(deadLetter seq: Int64, now: EventTime) async throws -> Bool {
        try await transaction { connection in
            let replayed = try await connection.count(
                """
                UPDATE deliveries SET state = 'pending', next_attempt_at = ?, updated_at = ?, trigger = 'manual',
                    dead_at = NULL WHERE seq = ? AND state = 'dead' RETURNING seq
                """, [.integer(now.epochMilliseconds), .integer(now.epochMilliseconds), .integer(seq)]) == 1
            if replayed { try await PostgresDeliveries.notify(connection) }
            return replayed
        }
    }

    public func discard(deadLetter seq: Int64, now: EventTime) async throws -> Bool {
        try await transaction { connection in
            try await connection.count(
                "UPDATE deliveries SET state = 'discarded', updated_at = ? WHERE seq = ? AND state = 'dead' RETURNING seq",
                [.integer(now.epochMilliseconds), .integer(seq)]) == 1
        }
    }
}
