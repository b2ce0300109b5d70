import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayCore

/// Magento admin tokens (docs/CONTRACT.md §6): fetched with the configured username/password from
/// `{store_url}/rest/V1/integration/admin/token`, cached, refreshed when the endpoint answers 401.
actor MagentoTokenProvider {
    private let client: HTTPClient
    private var tokens: [String: String] = [:]
    /// Fetches under way, so concurrent deliveries share one request (the actor is re-entrant across awaits).
    private var fetches: [String: Task<String, any Error>] = [:]

    init(client: HTTPClient) {
        self.client = client
    }

    struct TokenError: Error, CustomStringConvertible {
        let description: String
    }

    /// The cached token of an endpoint, fetching one when there is none, or when `stale` (a token the endpoint
    /// just refused with 401) is still the cached one.
    func token(for endpoint: Endpoint, credentials: Endpoint.MagentoAdminToken, stale: String?,
               timeout: TimeAmount) async throws -> String {
        if let token = tokens[endpoint.id], token != stale { return token }
        if let fetch = fetches[endpoint.id] { return try await fetch.value }
        let client = self.client
        let fetch = Task { try await Self.fetch(client: client, credentials: credentials, timeout: timeout) }
        fetches[endpoint.id] = fetch
        defer { fetches[endpoint.id] = nil }
        let token = try await fetch.value
        tokens[endpoint.id] = token
        return token
    }

    private static func fetch(client: HTTPClient, credentials: Endpoint.MagentoAdminToken,
                              timeout: TimeAmount) async throws -> String {
        var base = credentials.storeURL
        while base.hasSuffix("/") { base.removeLast() }
        var request = HTTPClientRequest(url: base + "/rest/V1/integration/admin/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: WebhookSender.userAgent)
        let body: JSONValue = ["username": .string(credentials.username), "password": .string(credentials.password)]
        request.body = .bytes(ByteBuffer(bytes: body.serializedBytes()))
        // One deadline for the whole exchange, body included (AsyncHTTPClient's own ends with the head): a token
        // endpoint that sends its head and stalls must not hold the endpoint's attempts, which wait for this fetch.
        let bytes: [UInt8]
        switch await WebhookSender.exchange(request, client: client, within: timeout) {
        case nil:
            throw TokenError(description: "the Magento token endpoint sent no complete answer within the timeout")
        case .failed(_, let description)?:
            throw TokenError(description: "the Magento token request failed: \(description.prefix(200))")
        case .complete(let status, _, let body, let truncated)?:
            guard (200..<300).contains(status) else {
                throw TokenError(description: "the Magento token endpoint answered \(status)")
            }
            guard !truncated else { throw TokenError(description: "the Magento token answer is over 64 KiB") }
            bytes = body
        }
        let text = String(decoding: bytes, as: UTF8.self)
        // Magento answers a JSON string: "abc123".
        let token = (try? JSONValue.parse(text))?.text ?? text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw TokenError(description: "the Magento token endpoint sent no token") }
        return token
    }
}
