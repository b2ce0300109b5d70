/// Durable storage of callbacks, events, notifications and deliveries, as one value: every stage store at once.
/// Implemented by `SQLiteStore` (embedded) and, for scale-out, `PostgresStore`.
///
/// A part of the relay that needs one stage holds that stage's protocol (`any RetentionStore`, `any CallbackInbox`);
/// docs/ARCHITECTURE.md shows which stage owns which store.
public typealias RelayStore = CallbackInbox & NormalisationStore & DeliveryQueue & ShipmentRegistry & DeadLetterStore
    & EndpointStore & QueueGauges & TraceStore & AuditStore & RetentionStore & ClosableStore
