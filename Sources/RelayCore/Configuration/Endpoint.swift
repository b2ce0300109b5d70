/// A destination of a client: URL, method, credentials, signing secrets and type filter.
public struct Endpoint: Sendable {
    /// What the endpoint receives.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Shipment and invoice notifications (POST).
        case notification
        /// Return-order acknowledgements (PUT).
        case returnAck = "return_ack"
        /// Outward order postings (POST).
        case orderPosting = "order_posting"
        /// An additional subscriber with an optional type filter.
        case extra
    }

    /// Magento admin-token credentials (docs/CONTRACT.md §6).
    public struct MagentoAdminToken: Sendable {
        public var storeURL: String
        public var username: String
        public var password: String
        public init(storeURL: String, username: String, password: String) {
            self.storeURL = storeURL
            self.username = username
            self.password = password
        }
    }

    /// Stable id: `<client>/<kind>` or `<client>/extra/<name>`.
    public var id: String
    public var kind: Kind
    public var url: String
    /// Signing secrets (`whsec_…`): the current one first, then the previous one during rotation.
    public var signingSecrets: [String]
    /// Static headers sent with every request.
    public var headers: [(name: String, value: String)]
    public var magentoAdminToken: MagentoAdminToken?
    /// Notification types this endpoint wants (`extra` endpoints); nil = all.
    public var types: [NotificationType]?
    public var timeoutSeconds: Double?
    public var retryScheduleSeconds: [Double]?
    public var maxInFlight: Int?

    public init(id: String, kind: Kind, url: String, signingSecrets: [String] = [],
                headers: [(name: String, value: String)] = [], magentoAdminToken: MagentoAdminToken? = nil,
                types: [NotificationType]? = nil, timeoutSeconds: Double? = nil,
                retryScheduleSeconds: [Double]? = nil, maxInFlight: Int? = nil) {
        self.id = id
        self.kind = kind
        self.url = url
        self.signingSecrets = signingSecrets
        self.headers = headers
        self.magentoAdminToken = magentoAdminToken
        self.types = types
        self.timeoutSeconds = timeoutSeconds
        self.retryScheduleSeconds = retryScheduleSeconds
        self.maxInFlight = maxInFlight
    }

    /// The HTTP method: PUT for return acknowledgements, POST otherwise.
    public var method: String { kind == .returnAck ? "PUT" : "POST" }
}

extension Endpoint {
    /// The endpoint's URL without credentials or query (either can carry a token): what pages, the admin API and
    /// `relay config check` show.
    public var displayURL: String { Self.redact(url) }

    /// `url` without `user:password@` and without its query.
    public static func redact(_ url: String) -> String {
        var text = Substring(url)
        if let query = text.firstIndex(of: "?") { text = text[..<query] }
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { return String(text) }
        let authority = text.index(colon, offsetBy: 3)
        let hostEnd = text[authority...].firstIndex(of: "/") ?? text.endIndex
        guard let at = text[authority..<hostEnd].lastIndex(of: "@") else { return String(text) }
        return String(text[..<authority] + text[text.index(after: at)...])
    }
}
