import Crypto

/// Standard Webhooks signatures (docs/CONTRACT.md §6): `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
/// one entry per active secret, space-separated.
public struct WebhookSigner: Sendable {
    private let keys: [SymmetricKey]

    /// - Parameter secrets: `whsec_<base64>` secrets, current first; invalid ones are skipped (config validation
    ///   rejects them earlier).
    public init(secrets: [String]) {
        keys = secrets.compactMap(Self.key(fromSecret:)).map { SymmetricKey(data: $0) }
    }

    /// The raw key bytes of a `whsec_…` secret (the prefix is optional), or nil when it is not base64 of ≥16 bytes.
    public static func key(fromSecret secret: String) -> [UInt8]? {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let bytes = Base64.decode(encoded), bytes.count >= 16 else { return nil }
        return bytes
    }

    /// The `webhook-signature` header value for a message.
    /// - Parameters:
    ///   - id: `webhook-id` (the notification id).
    ///   - timestamp: `webhook-timestamp`, unix seconds.
    ///   - body: the exact bytes sent.
    public func signature(id: String, timestamp: Int64, body: some Sequence<UInt8>) -> String {
        var message = Array("\(id).\(timestamp).".utf8)
        message.append(contentsOf: body)
        return keys.map { key in
            "v1," + Base64.encode(HMAC<SHA256>.authenticationCode(for: message, using: key))
        }.joined(separator: " ")
    }
}
