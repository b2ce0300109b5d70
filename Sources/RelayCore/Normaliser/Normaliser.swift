/// Turns parsed courier events into notifications (docs/CONTRACT.md §4): mapping verdict, direction, stale and terminal rules,
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
        func save(_ state: ShipmentState, _ key: ShipmentKey) {
            localStates[key] = state
            result.states.removeAll { $0.key == key }
            result.states.append((key, state))
        }
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
            let isCustomerReturn = registration?.isReturn == true
            var mappedType = mapping.type
            var direction = mapping.direction
            var rule = mapping.rule
            if rule == .rtoUnlessCustomerReturn {
                // eShipz `Return`: the return of a customer-return shipment travelling back, else an RTO.
                if isCustomerReturn {
                    (mappedType, direction, rule) = (.inTransit, .customerReturn, .plain)
                } else {
                    rule = .firstRTOOnly
                }
            }
            if isCustomerReturn, direction == .forward { direction = .customerReturn }
            let leg = direction.leg
            let shipmentId = event.awb ?? (event.returnOrderId ?? event.orderId).map { "order:\($0)" } ?? "unknown"
            let key = ShipmentKey(client: client.id, shipment: shipmentId, leg: leg)
            var state = localStates[key] ?? context.state(for: key) ?? ShipmentState()
            // An implausible courier time (before 2000, or more than 24 h after receipt) orders nothing: the event
            // is placed at its receive time and neither is stale nor makes later events stale.
            let timeTrusted = event.eventTime.map { $0.isTrusted(receivedAt: receivedAt) } ?? true
            let orderingTime = (timeTrusted ? event.eventTime : nil) ?? receivedAt
            if rule == .followsRTO, state.rtoRaised, direction == .forward { direction = .rto }
            if direction.isReturn, state.returnOrderTime == nil {
                // The first return event seen for this shipment fixes its returnOrderTime; a return seen first
                // by its order (before the AWB existed) keeps the time it had then.
                let orderTime = event.awb == nil ? nil : (event.returnOrderId ?? event.orderId).flatMap { order in
                    let orderKey = ShipmentKey(client: client.id, shipment: "order:\(order)", leg: leg)
                    return (localStates[orderKey] ?? context.state(for: orderKey))?.returnOrderTime
                }
                state.returnOrderTime = registration?.returnOrderInfo?.returnOrderTime ?? orderTime
                    ?? orderingTime.epochSeconds
                save(state, key)
            }
            guard var type = mappedType else {
                record.direction = direction
                record.outcome = .noNotification
                continue
            }
            // Returns named as returns.
            if direction.isReturn, type == .pickedUp { type = .returnPickedUp }
            record.type = type
            record.direction = direction
            if rule == .firstRTOOnly, state.rtoRaised {
                record.outcome = .rtoProgress
                continue
            }
            if timeTrusted, let newest = state.newestRelayed, orderingTime < newest {
                record.outcome = .stale
                continue
            }
            if state.terminal != nil, !type.isAllowedAfterTerminal {
                record.outcome = .afterTerminal
                continue
            }
            let eventTime = event.eventTime ?? receivedAt
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
                registration: registration, returnOrderTime: state.returnOrderTime ?? orderingTime.epochSeconds
            )
            let draft = NotificationDraft(
                id: makeId(), client: client.id, type: type, direction: direction, shipmentKey: key,
                awb: event.awb, dedupKey: dedupKey, eventTime: orderingTime, payload: payload,
                endpointIds: client.endpoints(forNotification: type).map(\.id),
                awaitingOrder: AwaitingOrder.needsOrderCode(payload)
            )
            record.outcome = timeTrusted ? .relayed : .relayedUntrustedTime
            record.notificationId = draft.id
            localKeys.insert(dedupKey)
            result.notifications.append(draft)
            if timeTrusted { state.newestRelayed = max(state.newestRelayed ?? orderingTime, orderingTime) }
            if type.isTerminal { state.terminal = type }
            if direction == .rto { state.rtoRaised = true }
            state.remember(notificationKey: shortKey)
            save(state, key)
        }
        return result
    }
}
