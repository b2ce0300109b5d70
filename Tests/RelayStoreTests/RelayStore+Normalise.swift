import RelayCore
import RelayDelivery
import RelayStore

extension NormalisationStore {
    /// Normalises a batch as the server does: snapshot → pure normalise → commit, through `NormalisationLoop`.
    func normalise(_ batch: [NormalisationInput], using request: (NormalisationInput) -> NormalisationRequest?)
        async throws -> NormalisationSummary
    {
        try await NormalisationLoop(store: self).run(batch, request: request)
    }
}
