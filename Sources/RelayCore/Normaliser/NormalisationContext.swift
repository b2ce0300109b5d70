/// What the normaliser reads about the past: shipment state (with the notifications already produced) and
/// registrations.
/// A batch reads a snapshot of the store through one (`Normaliser.normalise(batch:snapshot:)`);
/// `InMemoryNormalisationContext` serves the CLI and tests.
public protocol NormalisationContext {
    /// The remembered state of a shipment timeline.
    func state(for key: ShipmentKey) -> ShipmentState?
    /// The OMS registration of an AWB.
    func registration(client: String, awb: String) -> ShipmentRegistration?
}

/// A context held in memory that applies results as they are produced.
public struct InMemoryNormalisationContext: NormalisationContext, Sendable {
    public var states: [ShipmentKey: ShipmentState] = [:]
    public var registrations: [String: ShipmentRegistration] = [:]

    public init() {}

    public func state(for key: ShipmentKey) -> ShipmentState? { states[key] }
    public func registration(client: String, awb: String) -> ShipmentRegistration? {
        registrations["\(client)\u{1F}\(awb)"]
    }

    /// Registers a shipment.
    public mutating func register(client: String, _ registration: ShipmentRegistration) {
        registrations["\(client)\u{1F}\(registration.awb)"] = registration
    }

    /// Records what a normalisation produced, as the store would.
    public mutating func apply(_ result: NormalisationResult) {
        for (key, state) in result.states { states[key] = state }
    }
}
