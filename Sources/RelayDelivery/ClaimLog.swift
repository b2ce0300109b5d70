import RelayStore
import Synchronization

/// The deliveries one claim entered in the delivery book, so that a claim whose store transaction failed can take
/// them out again.
final class ClaimLog: Sendable {
    let deliveries = Mutex<[DueDelivery]>([])
}
