/// A tenant: one storefront with its aggregator accounts and endpoints.
public struct Client: Sendable {
    public var id: String
    /// Bearer token for the OMS routes (docs/CONTRACT.md §5).
    public var apiToken: String?
    /// Static metadata copied into `logisticAggregatorMetaData` (e.g. `Account Code`), in order.
    public var metadata: [(key: String, value: String)]
    public var clickpost: ClickpostCredentials?
    public var shiprocket: ShiprocketCredentials?
    public var shipway: ShipwayCredentials?
    public var eshipz: EshipzCredentials?
    /// Destinations, in configuration order.
    public var endpoints: [Endpoint]

    public init(id: String, apiToken: String? = nil, metadata: [(key: String, value: String)] = [],
                clickpost: ClickpostCredentials? = nil, shiprocket: ShiprocketCredentials? = nil,
                shipway: ShipwayCredentials? = nil, eshipz: EshipzCredentials? = nil, endpoints: [Endpoint] = []) {
        self.id = id
        self.apiToken = apiToken
        self.metadata = metadata
        self.clickpost = clickpost
        self.shiprocket = shiprocket
        self.shipway = shipway
        self.eshipz = eshipz
        self.endpoints = endpoints
    }

    /// Whether the client has an account with `aggregator`.
    public func accepts(_ aggregator: Aggregator) -> Bool {
        switch aggregator {
        case .clickpost: clickpost != nil
        case .shiprocket: shiprocket != nil
        case .shipway: shipway != nil
        case .eshipz: eshipz != nil
        }
    }

    /// The endpoints a shipment notification of `type` goes to: the notification URL and the `extra` endpoints
    /// whose type filter lets it through.
    public func endpoints(forNotification type: NotificationType) -> [Endpoint] {
        endpoints.filter { endpoint in
            switch endpoint.kind {
            case .notification: true
            case .extra: endpoint.types.map { $0.contains(type) } ?? true
            case .returnAck, .orderPosting: false
            }
        }
    }
}

/// Clickpost credentials: header `webhook_key`, or header `Authorization`. Each list holds the current secret and,
/// during rotation, the previous one.
public struct ClickpostCredentials: Sendable {
    public var webhookKeys: [String]
    public var authorizations: [String]
    public init(webhookKeys: [String] = [], authorizations: [String] = []) {
        self.webhookKeys = webhookKeys
        self.authorizations = authorizations
    }
}

/// Shiprocket credentials: header `x-api-key`.
public struct ShiprocketCredentials: Sendable {
    public var tokens: [String]
    public init(tokens: [String]) { self.tokens = tokens }
}

/// Shipway credentials: classic body `hash` = md5("email:licence_key"), or a secret path token for the panel shape.
public struct ShipwayCredentials: Sendable {
    public var email: String?
    public var licenceKeys: [String]
    public var pathTokens: [String]
    public init(email: String? = nil, licenceKeys: [String] = [], pathTokens: [String] = []) {
        self.email = email
        self.licenceKeys = licenceKeys
        self.pathTokens = pathTokens
    }
}

/// eShipz credentials: a header of the client's choosing, or HTTP Basic with the configured password.
public struct EshipzCredentials: Sendable {
    public var header: String?
    public var tokens: [String]
    public var basicPasswords: [String]
    public init(header: String? = nil, tokens: [String] = [], basicPasswords: [String] = []) {
        self.header = header
        self.tokens = tokens
        self.basicPasswords = basicPasswords
    }
}
