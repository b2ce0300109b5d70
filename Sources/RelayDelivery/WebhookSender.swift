import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayCore
import RelayStore
import Synchronization

/// Sends one attempt of a delivery: Standard Webhooks signature, the endpoint's static headers or Magento admin
/// token, no redirects, one deadline for the whole exchange (connect, head and body); keeps at most 64 KiB of the
/// answer (4 KB of it are stored).
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
        // No request starts, and none is still open, two timeouts after the send began, whatever the admin-token
        // fetches and the one retry after a 401 took: well inside the delivery's lease (twice the longest timeout
        // plus 30 s), so no other instance can take the delivery over while this one may still be sending it.
        let budgetEnd = started + .milliseconds(Int64(timeout * 2000))
        var result = await attempt(delivery, endpoint: endpoint, timeout: timeout, until: budgetEnd, staleToken: nil,
                                   trigger: trigger)
        if result.statusCode == 401, endpoint.magentoAdminToken != nil, clock.now < budgetEnd {
            // The cached token expired or was revoked: fetch a new one once and try again.
            result = await attempt(delivery, endpoint: endpoint, timeout: timeout, until: budgetEnd,
                                   staleToken: result.token, trigger: trigger)
        }
        result.duration = clock.now - started
        return result
    }

    private func attempt(_ delivery: DueDelivery, endpoint: Endpoint, timeout: Double,
                         until budgetEnd: ContinuousClock.Instant, staleToken: String?, trigger: String) async -> Result {
        let timeAmount = TimeAmount.milliseconds(Int64(timeout * 1000))
        /// The timeout, or what is left of the send's budget if that is less (zero or below: no time left).
        func left() -> TimeAmount {
            let remaining = (budgetEnd - ContinuousClock.now).components
            let nanoseconds = remaining.seconds * 1_000_000_000 + remaining.attoseconds / 1_000_000_000
            return min(timeAmount, .nanoseconds(nanoseconds))
        }
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
                                                   timeout: left())
                usedToken = token
                request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
            } catch {
                return Result(statusCode: nil, failure: FailureClass.classify(errorDescription: "\(error)"),
                              retryAfter: nil, excerpt: [], error: "admin token: \(error)", duration: .zero)
            }
        }
        request.body = .bytes(ByteBuffer(bytes: delivery.payload))
        let within = left()
        guard within > .zero else {
            return Result(statusCode: nil, failure: .timeout, retryAfter: nil, excerpt: [],
                          error: "no time left to send within \(2 * timeout) s after the admin token", duration: .zero)
        }
        // One deadline covers the whole exchange: connect, request, response head and body. AsyncHTTPClient's own
        // deadline ends when the head arrives, so the body is read in a task that the deadline cancels.
        let outcome = await Self.exchange(request, client: client, within: within)
        switch outcome {
        case .complete(let status, let retryAfter, let body, let truncated):
            return Result(statusCode: status, failure: nil, retryAfter: retryAfter,
                          excerpt: Array(body.prefix(Self.excerptLimit)), body: body, bodyTruncated: truncated,
                          error: nil, duration: .zero, token: usedToken)
        case .failed(let afterHead, let description):
            // A body cut off after the head is a failed attempt of its own kind: the receiver did not finish.
            let failure = afterHead.map { _ in FailureClass.timeout }
                ?? FailureClass.classify(errorDescription: description)
            let detail = afterHead.map { "response body cut off after status \($0): \(description)" } ?? description
            return Result(statusCode: nil, failure: failure, retryAfter: nil, excerpt: [],
                          error: String(detail.prefix(500)), duration: .zero)
        case nil:
            return Result(statusCode: nil, failure: .timeout, retryAfter: nil, excerpt: [],
                          error: "no complete answer within \(timeout) s (connect, head and body)", duration: .zero)
        }
    }

    /// How one HTTP exchange ended (nil from the task group: the deadline came first).
    enum Exchange: Sendable {
        /// `body`: the answer's first `bodyLimit` bytes; `truncated`: it was longer.
        case complete(status: Int, retryAfter: String?, body: [UInt8], truncated: Bool)
        /// `afterHead`: the status received before the failure, if the head had arrived.
        case failed(afterHead: Int?, description: String)
    }

    /// Runs the exchange in a task that the shared deadline wheel cancels at `timeout` (at most a tick later); nil
    /// when the deadline came first and the exchange did not complete. (The wheel costs no timer, and no event-loop
    /// wake-up, per attempt.)
    static func exchange(_ request: HTTPClientRequest, client: HTTPClient, within timeout: TimeAmount) async
        -> Exchange?
    {
        let work = Task { await exchange(request, client: client, deadline: .now() + timeout) }
        let expired = ExpiryFlag()
        let wheel = DeadlineWheel.shared
        let token = wheel.schedule(at: .now() + timeout) {
            expired.fired.store(true, ordering: .relaxed)
            work.cancel()
        }
        let outcome = await withTaskCancellationHandler { await work.value } onCancel: { work.cancel() }
        wheel.cancel(token)
        if case .complete = outcome { return outcome }
        return expired.fired.load(ordering: .relaxed) ? nil : outcome
    }

    private final class ExpiryFlag: Sendable {
        let fired = Atomic<Bool>(false)
    }

    static func exchange(_ request: HTTPClientRequest, client: HTTPClient, deadline: NIODeadline) async -> Exchange {
        var status: Int?
        do {
            let response = try await client.execute(request, deadline: deadline)
            status = Int(response.status.code)
            var body: [UInt8] = []
            var read = 0
            for try await chunk in response.body {
                read += chunk.readableBytes
                if body.count < Self.bodyLimit {
                    body.append(contentsOf: chunk.readableBytesView.prefix(Self.bodyLimit - body.count))
                }
                if read > 1 << 20 { break }  // an endless answer is cut; the connection is then closed
            }
            try Task.checkCancellation()
            return .complete(status: Int(response.status.code),
                             retryAfter: response.headers.first(name: "Retry-After"), body: body,
                             truncated: read > body.count)
        } catch {
            return .failed(afterHead: status, description: "\(error)")
        }
    }
}
