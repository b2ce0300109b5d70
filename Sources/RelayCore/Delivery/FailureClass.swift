/// Why a delivery attempt failed.
public enum FailureClass: String, Sendable, Hashable, Codable, CaseIterable {
    case dns
    case connect
    case tls
    case timeout
    /// A redirect: 3xx is a failure and is never followed.
    case http3xx = "http_3xx"
    case http4xx = "http_4xx"
    case http5xx = "http_5xx"
    /// A 2xx whose body says the client rejected the message (`"hasError": true`).
    case rejected
    /// The endpoint answered 410 Gone, or ops disabled it.
    case endpointDisabled = "endpoint_disabled"
    /// The endpoint is no longer in the configuration.
    case endpointRemoved = "endpoint_removed"
    /// No order code could be determined and the AWB was not registered within `delivery.hold_unregistered_hours`
    /// (the delivery was held as `awaiting_order`, never sent).
    case unroutable

    /// Classifies a transport error by its description (AsyncHTTPClient and NIO report DNS, connect, TLS and
    /// timeout failures as different error types whose names say which).
    public static func classify(errorDescription text: String) -> FailureClass {
        let lower = text.lowercased()
        if lower.contains("deadline") || lower.contains("timeout") || lower.contains("timedout") { return .timeout }
        if lower.contains("ssl") || lower.contains("tls") || lower.contains("certificate") || lower.contains("handshake") {
            return .tls
        }
        if lower.contains("dns") || lower.contains("resolve") || lower.contains("getaddrinfo")
            || lower.contains("unknown host") || lower.contains("nodename")
        {
            return .dns
        }
        return .connect
    }
}
