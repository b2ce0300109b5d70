public import RelayCore

/// The inbox's quarantine and reads, written once over the SQL seam. Ingest and requeue stay with each backend:
/// they go through its group-commit writer and its dedup index.
extension CallbackInbox where Self: SQLBackedStore {
    public func quarantine(_ callback: InboundCallback, error: String, detail: String) async throws -> String {
        let id = Identifier.make(prefix: "cb", epochMilliseconds: callback.receivedAt.epochMilliseconds)
        try await seam.database.execute(
            """
            INSERT INTO callbacks (id, client, aggregator, received_at, content_type, headers, body, status, error, detail)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'rejected', ?, ?)
            """,
            [.text(id), .text(callback.client), .text(callback.aggregator.rawValue),
             .integer(callback.receivedAt.epochMilliseconds), .text(orNull: callback.contentType),
             .text(InboundCallback.headersJSON(callback.headers)), .blob(callback.body), .text(error), .text(detail)])
        return id
    }

    public func unnormalisedCallbacks(afterSeq: Int64, receivedBefore: EventTime?, limit: Int) async throws
        -> [StoredCallback]
    {
        let before = receivedBefore?.epochMilliseconds ?? Int64.max
        return try await seam.database.read { session in
            try await session.query(
                """
                SELECT \(StoreRows.callbackColumns)
                FROM unnormalised u JOIN callbacks c ON c.seq = u.seq
                WHERE u.seq > ? AND c.received_at < ? ORDER BY u.seq LIMIT ?
                """, [.integer(afterSeq), .integer(before), .integer(Int64(limit))]) { StoreRows.callback($0) }
        }
    }

    public func quarantined(client: String?, before: Int64?, limit: Int) async throws -> [QuarantinedCallback] {
        // Newest first, a page at a time: below the seq the last page ended at (both partial indexes are on seq).
        let below = SQLValue.integer(before ?? Int64.max)
        let count = SQLValue.integer(Int64(max(1, limit)))
        return try await seam.database.read { session in
            if let client {
                return try await session.query(QuarantineSQL.ofClient, [below, .text(client), count]) {
                    StoreRows.quarantined($0)
                }
            }
            return try await session.query(QuarantineSQL.all, [below, count]) { StoreRows.quarantined($0) }
        }
    }

    public func quarantinedCallback(id: String) async throws -> (callback: StoredCallback, rejected: Bool)? {
        try await seam.database.read { session in
            try await session.query(StoreRows.quarantinedByIdSQL, [.text(id)]) { row in
                (StoreRows.callback(row), row.text(7) == "rejected")
            }.first
        }
    }
}

/// The quarantine listing's statements (literals: each keeps its place in the statement caches).
private enum QuarantineSQL {
    static let select = """
        SELECT id, client, aggregator, received_at, error, detail,
            substr(body, 1, \(QuarantinedCallback.bodyPrefixBytes)), length(body), seq
        FROM callbacks WHERE (status = 'rejected' OR error = 'unmapped') AND seq < ?
        """
    static let all = select + " ORDER BY seq DESC LIMIT ?"
    static let ofClient = select + " AND client = ? ORDER BY seq DESC LIMIT ?"
}
