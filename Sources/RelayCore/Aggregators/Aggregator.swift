/// A logistics aggregator that posts status callbacks to the relay.
public enum Aggregator: String, Sendable, Hashable, CaseIterable, Codable {
    case clickpost
    case shiprocket
    case shipway
    case eshipz

    /// The name used in `logisticAggregatorInfo.logisticAggregatorName`.
    public var notificationName: String {
        switch self {
        case .clickpost: "CLICKPOST"
        case .shiprocket: "SHIPROCKET"
        case .shipway: "SHIPWAY"
        case .eshipz: "ESHIPZ"
        }
    }

    /// The default URL segment of the callback route. Shiprocket's dashboard refuses URLs that contain
    /// `shiprocket`, `kartrocket`, `sr` or `kr`, hence `st`.
    public var defaultSegment: String {
        switch self {
        case .clickpost: "clickpost"
        case .shiprocket: "st"
        case .shipway: "shipway"
        case .eshipz: "eshipz"
        }
    }
}
