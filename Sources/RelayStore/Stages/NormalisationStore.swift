public import RelayCore

/// The normaliser's store: turns inbox callbacks into events, notifications, deliveries and shipment states in one
/// transaction (inbox → **normaliser** → queue).
public protocol NormalisationStore: Sendable {
    /// Normalises callbacks in one transaction: each callback is marked normalised together with the events,
    /// notifications, deliveries and shipment states it produced, so a crash never loses or doubles one.
    /// - Parameter normalise: the pure step, run inside the transaction with a context reading committed state.
    func normalise(
        _ batch: [NormalisationInput],
        using normalise: @escaping @Sendable (NormalisationInput, any NormalisationContext) -> NormalisationResult?
    ) async throws -> NormalisationSummary
}
