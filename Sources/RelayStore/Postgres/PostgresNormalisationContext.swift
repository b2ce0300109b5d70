import RelayCore

/// The normaliser's view of the past during a PostgreSQL batch: what was loaded or produced so far, plus the
/// keys it asked for that are not loaded yet.
final class PostgresNormalisationContext: NormalisationContext {
    /// Loaded (nil: no row) or produced states.
    var states: [ShipmentKey: ShipmentState?] = [:]
    var loadedStates: [ShipmentKey: ShipmentState?] = [:]
    var registrations: [String: ShipmentRegistration?] = [:]
    var missingStates: Set<ShipmentKey> = []
    var missingRegistrations: Set<[String]> = []

    func state(for key: ShipmentKey) -> ShipmentState? {
        guard let state = states[key] else {
            missingStates.insert(key)
            return nil
        }
        return state
    }

    func registration(client: String, awb: String) -> ShipmentRegistration? {
        guard let registration = registrations["\(client)\u{1F}\(awb)"] else {
            missingRegistrations.insert([client, awb])
            return nil
        }
        return registration
    }

    /// Reads what the last runs missed (one statement for the states, one for the registrations).
    func load(_ connection: PGConnection) async throws {
        let keys = missingStates.filter { states[$0] == nil }
            .sorted { ($0.client, $0.shipment, $0.leg.rawValue) < ($1.client, $1.shipment, $1.leg.rawValue) }
        missingStates.removeAll()
        if !keys.isEmpty {
            for key in keys {
                states.updateValue(nil, forKey: key)
                loadedStates.updateValue(nil, forKey: key)
            }
            let rows = try await connection.query(
                """
                SELECT client, shipment, leg, newest_relayed, terminal, rto_raised, notification_keys
                FROM shipment_states WHERE (client, shipment, leg) IN (SELECT * FROM unnest(?::text[], ?::text[], ?::text[]))
                ORDER BY client, shipment, leg FOR UPDATE
                """, [.texts(keys.map(\.client)), .texts(keys.map(\.shipment)), .texts(keys.map(\.leg.rawValue))])
            for row in rows {
                guard let leg = ShipmentLeg(rawValue: row.text(2) ?? "") else { continue }
                let key = ShipmentKey(client: row.text(0) ?? "", shipment: row.text(1) ?? "", leg: leg)
                let state = ShipmentState(
                    newestRelayed: row.optionalInt(3).map(EventTime.init(epochMilliseconds:)),
                    terminal: row.text(4).map(NotificationType.init(name:)), rtoRaised: row.bool(5),
                    notificationKeys: (row.text(6) ?? "").split(separator: " ").map(String.init))
                states.updateValue(state, forKey: key)
                loadedStates.updateValue(state, forKey: key)
            }
        }
        let pairs = missingRegistrations.filter { registrations["\($0[0])\u{1F}\($0[1])"] == nil }
        missingRegistrations.removeAll()
        if !pairs.isEmpty {
            for pair in pairs { registrations.updateValue(nil, forKey: "\(pair[0])\u{1F}\(pair[1])") }
            let rows = try await connection.query(
                """
                SELECT client, awb, data FROM shipment_registry
                WHERE (client, awb) IN (SELECT * FROM unnest(?::text[], ?::text[]))
                """, [.texts(pairs.map { $0[0] }), .texts(pairs.map { $0[1] })])
            for row in rows {
                let awb = row.text(1) ?? ""
                guard let text = row.text(2), let json = try? JSONValue.parse(text),
                    let registration = ShipmentRegistration(json: json, awb: awb)
                else { continue }
                registrations.updateValue(registration, forKey: "\(row.text(0) ?? "")\u{1F}\(awb)")
            }
        }
    }

    /// States that differ from what was loaded.
    func changedStates() -> [(ShipmentKey, ShipmentState)] {
        states.compactMap { key, state in
            guard let state, (loadedStates[key] ?? nil) != state else { return nil }
            return (key, state)
        }
    }
}
