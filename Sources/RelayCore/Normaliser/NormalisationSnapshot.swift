/// Identifies one OMS registration: a client's AWB.
public struct ShipmentRegistrationKey: Sendable, Hashable {
    public var client: String
    public var awb: String

    public init(client: String, awb: String) {
        self.client = client
        self.awb = awb
    }
}

/// The shipment states and registrations a batch of callbacks reads: what the normaliser asks the store for.
public struct NormalisationKeys: Sendable, Hashable {
    public var states: Set<ShipmentKey>
    public var registrations: Set<ShipmentRegistrationKey>

    public init(states: Set<ShipmentKey> = [], registrations: Set<ShipmentRegistrationKey> = []) {
        self.states = states
        self.registrations = registrations
    }

    public var isEmpty: Bool { states.isEmpty && registrations.isEmpty }
}

/// A shipment state as the store holds it, with the version the store gives each write of it (0: no row), so that
/// a commit can tell whether the state changed since it was read (optimistic concurrency).
public struct VersionedShipmentState: Sendable, Hashable {
    /// The state; nil when the store has none for the key.
    public var state: ShipmentState?
    /// 0 when there is no row; every write of the row increases it.
    public var version: Int64

    public init(state: ShipmentState?, version: Int64) {
        self.state = state
        self.version = version
    }

    /// No row for the key.
    public static let absent = VersionedShipmentState(state: nil, version: 0)
}

/// What the store answered for some `NormalisationKeys`: every key asked for is present, with nil (or
/// `.absent`) when the store has nothing for it, so "not read" and "read, nothing there" are told apart.
public struct NormalisationSnapshot: Sendable {
    public var states: [ShipmentKey: VersionedShipmentState]
    public var registrations: [ShipmentRegistrationKey: ShipmentRegistration?]

    public init(states: [ShipmentKey: VersionedShipmentState] = [:],
                registrations: [ShipmentRegistrationKey: ShipmentRegistration?] = [:]) {
        self.states = states
        self.registrations = registrations
    }

    /// The keys this snapshot answers.
    public var keys: NormalisationKeys {
        NormalisationKeys(states: Set(states.keys), registrations: Set(registrations.keys))
    }

    /// Adds what `other` answered (a later read of more keys).
    public mutating func merge(_ other: NormalisationSnapshot) {
        states.merge(other.states) { _, new in new }
        for (key, registration) in other.registrations { registrations.updateValue(registration, forKey: key) }
    }
}
