import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayCore
import RelayStore

/// Sends one attempt of a delivery: Standard Webhooks signature, the endpoint's static headers or Magento admin
/// token, no redirects, a per-request timeout; keeps at most 64 KiB of the answer (4 KB of it are stored).
struct WebhookSender: Sendable {
    static let userAgent = "shipment-relay/\(RelayVersion.current)"
    static let excerptLimit = 4096
    /// How much of an answer is kept for reading it (an order posting's `hasError`); the stored excerpt is shorter.
    static let bodyLimit = 64 * 1024

    let client: HTTPClient
    let tokens: MagentoTokenProvider

    /// What one attempt got back.
    struct Result: Sendable {
        var statusCode: Int?
        var failure: FailureClass?
        var retryAfter: String?
        var excerpt: [UInt8]
        /// The answer's first `bodyLimit` bytes (the excerpt is its first `excerptLimit`).
        var body: [UInt8] = []
        /// Whether the answer was longer than `body`.
        var bodyTruncated = false
        var error: String?
        var duration: Duration
        /// The admin token the attempt used, if any.
        var token: String? = nil
    }

    func send(_ delivery: DueDelivery, to endpoint: Endpoint, timeout: Double, trigger: String = "scheduled") async -> Result {
        let clock = ContinuousClock()
        let started = clock.now
        var result = await attempt(delivery, endpoint: endpoint, timeout: timeout, staleToken: nil, trigger: trigger)
        if result.statusCode == 401, endpoint.magentoAdminToken != nil {
            // The cached token expired or was revoked: fetch a new one once and try again.
            result = await attempt(delivery, endpoint: endpoint, timeout: timeout, staleToken: result.token,
                                   trigger: trigger)
        }
        result.duration = clock.now - started
        return result
    }

    private func attempt(_ delivery: DueDelivery, endpoint: Endpoint, timeout: Double, staleToken: String?,
                         trigger: String) async -> Result {
        let timeAmount = TimeAmount.milliseconds(Int64(timeout * 1000))
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = endpoint.method == "PUT" ? .PUT : .POST
        for header in endpoint.headers { request.headers.add(name: header.name, value: header.value) }
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        request.headers.replaceOrAdd(name: "User-Agent", value: Self.userAgent)
        let timestamp = Int64(Date().timeIntervalSince1970)
        request.headers.replaceOrAdd(name: "webhook-id", value: delivery.notificationId)
        request.headers.replaceOrAdd(name: "webhook-timestamp", value: String(timestamp))
        request.headers.replaceOrAdd(
            name: "webhook-signature",
            value: WebhookSigner(secrets: endpoint.signingSecrets).signature(
                id: delivery.notificationId, timestamp: timestamp, body: delivery.payload))
        if trigger != "scheduled" { request.headers.replaceOrAdd(name: "webhook-attempt-trigger", value: trigger) }
        var usedToken: String?
        if let credentials = endpoint.magentoAdminToken {
            do {
                let token = try await tokens.token(for: endpoint, credentials: credentials, stale: staleToken,
                                                   timeout: timeAmount)
                usedToken = token
                request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
            } catch {
                return Result(statusCode: nil, failure: FailureClass.classify(errorDescription: "\(error)"),
                              retryAfter: nil, excerpt: [], error: "admin token: \(error)", duration: .zero)
            }
        }
        request.body = .bytes(ByteBuffer(bytes: delivery.payload))
        do {
            let response = try await client.execute(request, timeout: timeAmount)
            var body: [UInt8] = []
            var read = 0
            for try await chunk in response.body {
                read += chunk.readableBytes
                if body.count < Self.bodyLimit {
                    body.append(contentsOf: chunk.readableBytesView.prefix(Self.bodyLimit - body.count))
                }
                if read > 1 << 20 { break }  // an endless answer is cut; the connection is then closed
            }
            return Result(statusCode: Int(response.status.code), failure: nil,
                          retryAfter: response.headers.first(name: "Retry-After"),
                          excerpt: Array(body.prefix(Self.excerptLimit)), body: body,
                          bodyTruncated: read > body.count, error: nil, duration: .zero, token: usedToken)
        } catch {
            let description = "\(error)"
            return Result(statusCode: nil, failure: FailureClass.classify(errorDescription: description),
                          retryAfter: nil, excerpt: [], error: String(description.prefix(500)), duration: .zero)
        }
    }
}
