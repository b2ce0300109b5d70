/// Turns parsed courier events into notifications (SPEC §4): mapping verdict, direction, stale and terminal rules,
/// dedup, registry enrichment and fan-out to endpoints. Pure: it reads the past through a `NormalisationContext`
/// and returns what to store.
public struct Normaliser: Sendable {
    public init() {}

    /// Normalises one callback's events.
    /// - Parameters:
    ///   - events: the events parsed from the callback.
    ///   - client: the client the callback is for.
    ///   - receivedAt: when the relay received the callback (`notificationUpdateTime`).
    ///   - context: shipment states, earlier notifications and registrations.
    ///   - makeId: produces notification ids (random ULIDs in production, fixed in tests).
    public func normalise(
        events: [CourierEvent], client: Client, receivedAt: EventTime, context: some NormalisationContext,
        makeId: () -> String = { Identifier.make(prefix: "ntf", epochMilliseconds: 0) }
    ) -> NormalisationResult {
        var result = NormalisationResult()
        var localStates: [ShipmentKey: ShipmentState] = [:]
        var localKeys = Set<String>()
        for event in events {
            var record = EventRecord(event: event, outcome: .noNotification)
            defer { result.events.append(record) }
            guard case .mapped(let mapping) = event.mapping else {
                record.outcome = .unmapped
                continue
            }
            guard event.role == .driving else {
                record.outcome = .history
                continue
            }
            let registration = event.awb.flatMap { context.registration(client: client.id, awb: $0) }
            var direction = mapping.direction
            if registration?.isReturn == true, direction == .forward { direction = .customerReturn }
            let leg = direction.leg
            let shipmentId = event.awb ?? (event.returnOrderId ?? event.orderId).map { "order:\($0)" } ?? "unknown"
            let key = ShipmentKey(client: client.id, shipment: shipmentId, leg: leg)
            var state = localStates[key] ?? context.state(for: key) ?? ShipmentState()
            guard let type = mapping.type else {
                record.direction = direction
                record.outcome = .noNotification
                continue
            }
            if mapping.rule == .followsRTO, state.rtoRaised, direction == .forward { direction = .rto }
            record.type = type
            record.direction = direction
            let eventTime = event.eventTime ?? receivedAt
            if mapping.rule == .firstRTOOnly, state.rtoRaised {
                record.outcome = .rtoProgress
                continue
            }
            if let newest = state.newestRelayed, eventTime < newest {
                record.outcome = .stale
                continue
            }
            if state.terminal != nil, !type.isAllowedAfterTerminal {
                record.outcome = .afterTerminal
                continue
            }
            let dedupKey = DedupKey.make([
                client.id, shipmentId, type.name, direction.rawValue, String(eventTime.epochMilliseconds),
            ])
            let shortKey = String(dedupKey.prefix(16))
            if localKeys.contains(dedupKey) || state.notificationKeys.contains(shortKey) {
                record.outcome = .duplicate
                continue
            }
            let payload = NotificationPayload.shipment(
                event: event, type: type, direction: direction, client: client, receivedAt: receivedAt,
                registration: registration
            )
            let draft = NotificationDraft(
                id: makeId(), client: client.id, type: type, direction: direction, shipmentKey: key,
                awb: event.awb, dedupKey: dedupKey, eventTime: eventTime, payload: payload,
                endpointIds: client.endpoints(forNotification: type).map(\.id),
                awaitingOrder: AwaitingOrder.needsOrderCode(payload)
            )
            record.outcome = .relayed
            record.notificationId = draft.id
            localKeys.insert(dedupKey)
            result.notifications.append(draft)
            state.newestRelayed = max(state.newestRelayed ?? eventTime, eventTime)
            if type.isTerminal { state.terminal = type }
            if direction == .rto { state.rtoRaised = true }
            state.remember(notificationKey: shortKey)
            localStates[key] = state
            result.states.removeAll { $0.key == key }
            result.states.append((key, state))
        }
        return result
    }
}
