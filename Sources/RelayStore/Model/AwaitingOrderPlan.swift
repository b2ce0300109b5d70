import RelayCore

/// Decides what happens to the held (`awaiting_order`) deliveries of some chains (issue #13, decision 9). Both
/// stores read the held deliveries of the chains concerned, in chain order, and apply the plan.
///
/// Per chain (endpoint, shipment), in event order: a delivery whose notification has its order code by now is
/// released (pending); one still without an order code is dead (`unroutable`) once its hold expired, else it stays
/// held and so does everything after it — a later notification never overtakes a held one.
struct AwaitingOrderPlan {
    struct Row {
        var seq: Int64
        var chain: String
        var needsOrderCode: Bool
        var expired: Bool
    }

    private(set) var release: [Int64] = []
    private(set) var expire: [Int64] = []

    /// - Parameter rows: held deliveries, grouped by chain and in (event time, seq) order within a chain.
    init(_ rows: [Row]) {
        var stopped = Set<String>()
        for row in rows where !stopped.contains(row.chain) {
            if !row.needsOrderCode {
                release.append(row.seq)
            } else if row.expired {
                expire.append(row.seq)
            } else {
                stopped.insert(row.chain)
            }
        }
    }

    /// The chain of a delivery row.
    static func chain(endpoint: String, orderingKey: String) -> String { "\(endpoint)\u{1F}\(orderingKey)" }
}
