/// What one attempt's result means for the delivery (docs/CONTRACT.md §6 outcome rules). Pure.
public enum AttemptVerdict: Sendable, Hashable {
    /// 2xx: done.
    case delivered
    /// A failure to retry per the schedule (honouring `Retry-After` for 429/502/503/504 and timeouts).
    case retry(FailureClass, honourRetryAfter: Bool)
    /// 410 Gone: disable the endpoint; its pending deliveries become dead letters.
    case disableEndpoint

    /// The verdict for an HTTP status, or for a transport failure when `status` is nil.
    /// - Parameter rejected: a 2xx whose body says `"hasError": true` (order postings): a failed attempt.
    public static func of(status: Int?, failure: FailureClass? = nil, rejected: Bool = false) -> AttemptVerdict {
        guard let status else { return .retry(failure ?? .connect, honourRetryAfter: failure == .timeout) }
        switch status {
        case 200..<300: return rejected ? .retry(.rejected, honourRetryAfter: false) : .delivered
        case 410: return .disableEndpoint
        case 300..<400: return .retry(.http3xx, honourRetryAfter: false)
        case 429: return .retry(.http4xx, honourRetryAfter: true)
        case 400..<500: return .retry(.http4xx, honourRetryAfter: false)
        case 502, 503, 504: return .retry(.http5xx, honourRetryAfter: true)
        default: return .retry(.http5xx, honourRetryAfter: false)
        }
    }
}
