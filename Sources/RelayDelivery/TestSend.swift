import AsyncHTTPClient
import Foundation
import NIOCore
public import RelayCore
import RelayStore

/// What one test send got back (nothing of it is stored).
public struct TestSendResult: Sendable {
    /// 2xx (and, for an order posting, not `"hasError": true`).
    public var delivered: Bool
    public var statusCode: Int?
    /// Why it failed, as a delivery attempt would be classed; nil when delivered.
    public var failure: FailureClass?
    public var durationMilliseconds: Int64
    /// At most 4 KB of the answer.
    public var excerpt: [UInt8]
    /// The transport error, or the order posting's `errorMessage`.
    public var error: String?
}

/// Sends one signed sample to an endpoint exactly as a delivery attempt would (same headers, signature, token, no
/// redirects, timeout), with `webhook-attempt-trigger: test`. Not stored: no delivery, no attempt, no metrics.
public enum TestSend {
    public static let trigger = "test"

    /// - Parameters:
    ///   - payload: the exact body.
    ///   - webhookId: the `webhook-id` to sign with.
    ///   - timeout: seconds for the request.
    public static func send(
        _ payload: [UInt8], webhookId: String, client: String, to endpoint: Endpoint,
        timeout: Double
    ) async -> TestSendResult {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(5))
        // A refused connection is the answer (class `connect`), not something to retry until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let sender = WebhookSender(client: http, tokens: MagentoTokenProvider(client: http))
        let delivery = DueDelivery(
            unstoredNotificationId: webhookId, client: client, endpointId: endpoint.id,
            payload: payload, trigger: trigger, now: WallClock.now())
        let result = await sender.send(delivery, to: endpoint, timeout: timeout, trigger: trigger)
        try? await http.shutdown()
        var rejection: String?
        if endpoint.kind == .orderPosting, let status = result.statusCode, (200..<300).contains(status),
            let answer = try? JSONValue.parse(result.excerpt), answer["hasError"]?.boolean == true
        {
            rejection = answer["errorMessage"]?.text ?? "hasError: true"
        }
        let failure: FailureClass?
        switch AttemptVerdict.of(status: result.statusCode, failure: result.failure, rejected: rejection != nil) {
        case .delivered: failure = nil
        case .disableEndpoint: failure = .http4xx  // a 410 to a test send disables nothing
        case .retry(let failureClass, _): failure = failureClass
        }
        let milliseconds =
            result.duration.components.seconds * 1000
            + result.duration.components.attoseconds / 1_000_000_000_000_000
        return TestSendResult(
            delivered: failure == nil, statusCode: result.statusCode, failure: failure,
            durationMilliseconds: milliseconds, excerpt: result.excerpt,
            error: rejection ?? result.error)
    }
}
