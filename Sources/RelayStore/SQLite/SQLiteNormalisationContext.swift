import RelayCore

/// The normaliser's view of the past, read through the writer's connection inside its transaction.
struct SQLiteNormalisationContext: NormalisationContext {
    let connection: SQLiteConnection

    func state(for key: ShipmentKey) -> ShipmentState? {
        let rows = try? connection.query(
            """
            SELECT newest_relayed, terminal, rto_raised, notification_keys FROM shipment_states
            WHERE client = ? AND shipment = ? AND leg = ?
            """,
            [.text(key.client), .text(key.shipment), .text(key.leg.rawValue)]
        ) { row in
            ShipmentState(newestRelayed: row.optionalInt(0).map(EventTime.init(epochMilliseconds:)),
                          terminal: row.text(1).map(NotificationType.init(name:)), rtoRaised: row.int(2) != 0,
                          notificationKeys: (row.text(3) ?? "").split(separator: " ").map(String.init))
        }
        return rows?.first
    }

    func registration(client: String, awb: String) -> ShipmentRegistration? {
        let rows = try? connection.query("SELECT data FROM shipment_registry WHERE client = ? AND awb = ?",
                                         [.text(client), .text(awb)]) { $0.text(0) }
        guard let text = rows?.first ?? nil, let json = try? JSONValue.parse(text) else { return nil }
        return ShipmentRegistration(json: json, awb: awb)
    }
}
