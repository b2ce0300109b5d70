import Crypto
import HTTPTypes
import Hummingbird
import RelayCore

/// Checks an aggregator's credentials (docs/CONTRACT.md §3): every form the aggregator uses, both active secrets during
/// rotation, compared in constant time.
enum CallbackAuthenticator {
    /// What the request presented.
    struct Presented {
        var headers: HTTPFields
        var pathToken: String?
        /// The Shipway classic body's `hash`, when the body has one.
        var bodyHash: String?
    }

    static func header(_ headers: HTTPFields, _ name: String) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        return headers[field]
    }

    /// What the head of a request (headers, path, query) already decides, before any body byte is read.
    enum HeadDecision: Equatable {
        case authorized
        case unauthorized
        /// Only the body can tell (Shipway's classic `hash`).
        case needsBody
    }

    /// Checks every credential carried in a header or the path: all aggregators but Shipway's classic shape are
    /// decided here, so a request with wrong or missing credentials is answered 401 without its body being read.
    static func decideFromHead(client: Client, aggregator: Aggregator, presented: Presented) -> HeadDecision {
        switch aggregator {
        case .clickpost, .shiprocket, .eshipz:
            return isAuthorized(client: client, aggregator: aggregator, presented: presented) ? .authorized : .unauthorized
        case .shipway:
            guard let credentials = client.shipway else { return .unauthorized }
            if presented.pathToken != nil {
                return ConstantTime.matchesAny(presented.pathToken, credentials.pathTokens) ? .authorized : .unauthorized
            }
            // Without a path token only the classic body hash can authorise, and only when it is configured.
            return credentials.email != nil && !credentials.licenceKeys.isEmpty ? .needsBody : .unauthorized
        }
    }

    static func isAuthorized(client: Client, aggregator: Aggregator, presented: Presented) -> Bool {
        switch aggregator {
        case .clickpost:
            guard let credentials = client.clickpost else { return false }
            let byKey = ConstantTime.matchesAny(header(presented.headers, "webhook_key")
                                                ?? header(presented.headers, "webhook-key"), credentials.webhookKeys)
            let byToken = ConstantTime.matchesAny(header(presented.headers, "authorization"),
                                                  credentials.authorizations)
            return byKey || byToken
        case .shiprocket:
            guard let credentials = client.shiprocket else { return false }
            return ConstantTime.matchesAny(header(presented.headers, "x-api-key"), credentials.tokens)
        case .shipway:
            guard let credentials = client.shipway else { return false }
            if ConstantTime.matchesAny(presented.pathToken, credentials.pathTokens) { return true }
            guard let email = credentials.email, let hash = presented.bodyHash?.lowercased() else { return false }
            let expected = credentials.licenceKeys.map { key in
                Insecure.MD5.hash(data: Array("\(email):\(key)".utf8)).map { byte in
                    let digits = Array("0123456789abcdef".utf8)
                    return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
                }.joined()
            }
            return ConstantTime.matchesAny(hash, expected)
        case .eshipz:
            guard let credentials = client.eshipz else { return false }
            var matched = false
            if let name = credentials.header {
                matched = ConstantTime.matchesAny(header(presented.headers, name), credentials.tokens)
            }
            if let authorization = header(presented.headers, "authorization"),
                authorization.lowercased().hasPrefix("basic "),
                let decoded = Base64.decode(String(authorization.dropFirst(6)).trimmingCharacters(in: " ")),
                let text = String(validating: decoded, as: UTF8.self),
                let colon = text.firstIndex(of: ":")
            {
                let password = String(text[text.index(after: colon)...])
                if ConstantTime.matchesAny(password, credentials.basicPasswords) { matched = true }
            }
            return matched
        }
    }

    /// Header names never stored or logged (credentials of any aggregator).
    static func isSecretHeader(_ name: String, client: Client) -> Bool {
        let lower = name.lowercased()
        if ["authorization", "webhook_key", "webhook-key", "x-api-key", "cookie", "proxy-authorization"].contains(lower) {
            return true
        }
        return client.eshipz?.header?.lowercased() == lower
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var view = Substring(self)
        while view.first == set { view.removeFirst() }
        while view.last == set { view.removeLast() }
        return String(view)
    }
}
