import Logging
import RelayCore
import RelayDelivery
import RelayStore

extension OpsService {
    /// What became of renormalising a quarantined callback.
    enum RenormaliseOutcome: Sendable {
        /// No quarantined callback has that id.
        case notFound
        /// The parser still refuses the stored bytes.
        case stillRejected(CallbackParseError)
        /// Accepted again (or found to be a duplicate of an accepted one).
        case requeued(IngestOutcome)
    }

    /// Everything stored about an AWB, in time order (of one client when given).
    func trace(awb: String, client: String?) async throws -> [TraceEntry] {
        try await store.trace(client: client, awb: awb)
    }

    /// Deliveries held until their AWB is registered with an order code (`awaiting_order`).
    func awaitingOrderCount() async throws -> Int {
        try await store.awaitingOrderCount()
    }

    /// Quarantined (rejected or unmapped) callbacks, newest first, a page of at most `limit` (1–200): of `client`
    /// when given, below `cursor` (the previous page's `next`) when given. `next` is set when the page is full.
    func quarantined(client: String? = nil, cursor: QuarantineCursor? = nil, limit: Int = 200) async throws
        -> (items: [QuarantinedCallback], next: QuarantineCursor?)
    {
        let limit = min(max(limit, 1), 200)
        let items = try await store.quarantined(client: client, before: cursor?.seq, limit: limit)
        return (items, items.count == limit ? items.last.map { QuarantineCursor(seq: $0.seq) } : nil)
    }

    /// Parses a quarantined callback's stored bytes again (after a parser or mapping fix) and, when they parse and
    /// are not a duplicate, queues it for normalisation.
    func renormalise(_ id: String, by actor: Actor) async throws -> RenormaliseOutcome {
        guard let (callback, rejected) = try await store.quarantinedCallback(id: id) else { return .notFound }
        let parsed: ParsedCallback
        do {
            parsed = try CallbackParser.parse(aggregator: callback.aggregator, body: callback.body,
                                              contentType: callback.contentType)
        } catch {
            return .stillRejected(error)
        }
        let outcome = try await store.requeue(quarantined: callback, rejected: rejected, dedupKey: parsed.dedupKey)
        if !outcome.duplicate { queue.submit(NormalisationInput(callback: callback, parsed: parsed, requeued: true)) }
        try await audit(actor, "renormalise", target: id, detail: outcome.duplicate
                            ? "duplicate of \(outcome.callbackId)" : "accepted as \(outcome.callbackId)")
        logger.info("quarantined callback renormalised", metadata: Self.metadata(actor, [
            "relay.callback.id": "\(outcome.callbackId)", "relay.quarantined": "\(id)",
            "relay.duplicate": "\(outcome.duplicate)",
        ]))
        return .requeued(outcome)
    }

    /// Audit entries, newest first, older than entry `before` when given; `next` is the cursor of the next page
    /// when this one is full.
    func auditLog(before: Int64?, limit: Int) async throws -> (entries: [AuditEntry], next: Int64?) {
        let entries = try await store.auditLog(before: before, limit: limit)
        return (entries, entries.count == limit ? entries.last?.seq : nil)
    }
}
