import Crypto
/// The relay's whole configuration (docs/CONTRACT.md §9), decoded from YAML by `RelayConfiguration(json:environment:)`.
public struct RelayConfiguration: Sendable {
    /// How long a claimed delivery stays leased: `delivery.lease_seconds`, or twice the longest attempt timeout
    /// (a send may take two: a Magento token fetch, a retry after 401) plus 30 s.
    public var deliveryLeaseSeconds: Double {
        let longest = clients.flatMap(\.endpoints).map { $0.timeoutSeconds ?? delivery.timeoutSeconds }.max()
            ?? delivery.timeoutSeconds
        return delivery.leaseSeconds ?? max(delivery.timeoutSeconds, longest) * 2 + 30
    }

    public var server: Server
    public var storage: Storage
    public var admin: Admin
    public var delivery: Delivery
    /// Days raw callbacks and attempts are kept.
    public var retentionDays: Int
    public var clients: [Client]
    /// How the relay logs (`log:`); `relay serve --log-format/--log-level` override it.
    public var log: Log = .init()
    /// Where operational events (an endpoint disabled, deliveries dead-lettered) are sent, signed (`ops_webhook:`).
    public var opsWebhook: OpsWebhook?

    public init(server: Server = .init(), storage: Storage = .sqlite(.init()), admin: Admin = .init(),
                delivery: Delivery = .init(), retentionDays: Int = 30, clients: [Client] = []) {
        self.server = server
        self.storage = storage
        self.admin = admin
        self.delivery = delivery
        self.retentionDays = retentionDays
        self.clients = clients
    }

    /// The client with this id.
    public func client(id: String) -> Client? {
        clients.first { $0.id == id }
    }

    /// Log output: one JSON object per line, or human-readable text; both on standard error.
    public struct Log: Sendable {
        public enum Format: String, Sendable, CaseIterable {
            case text, json
        }
        public var format: Format
        /// `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`; nil keeps the command's default.
        public var level: String?

        public static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

        public init(format: Format = .text, level: String? = nil) {
            self.format = format
            self.level = level
        }
    }

    /// Operational webhooks: the relay tells ops about trouble instead of waiting to be asked.
    public struct OpsWebhook: Sendable {
        /// The events there are.
        public enum Event: String, Sendable, CaseIterable {
            /// An endpoint was disabled (a 410 Gone answer, or ops).
            case endpointDisabled = "endpoint.disabled"
            /// An endpoint was enabled again by ops.
            case endpointEnabled = "endpoint.enabled"
            /// Deliveries ran out of retries (or their endpoint was disabled) and became dead letters.
            case deliveryDeadLettered = "delivery.dead_lettered"
        }

        public var url: String
        /// `whsec_…` secrets, current first.
        public var signingSecrets: [String]
        public var events: Set<Event>
        public var timeoutSeconds: Double

        public init(url: String, signingSecrets: [String], events: Set<Event> = Set(Event.allCases),
                    timeoutSeconds: Double = 10) {
            self.url = url
            self.signingSecrets = signingSecrets
            self.events = events
            self.timeoutSeconds = timeoutSeconds
        }
    }

    /// The HTTP listener.
    public struct Server: Sendable {
        public var host: String
        public var port: Int
        /// The public base URL aggregators reach the relay at, used to print callback URLs.
        public var publicURL: String?
        /// URL segment per aggregator (`/v1/callbacks/{segment}/{clientId}`).
        public var callbackSegments: [Aggregator: String]
        /// Largest accepted callback body.
        public var maxBodyBytes: Int
        /// A second listener for `/admin`, `/ops` and `/metrics` (`server.admin_listen`). When set, the public
        /// listener serves only the callback and OMS routes and the health checks.
        public var adminListen: (host: String, port: Int)?
        /// Connection limits (the HTTP listener's protection against idle, slow and too many connections).
        public var limits: Limits = .init()

        public init(host: String = "0.0.0.0", port: Int = 8080, publicURL: String? = nil,
                    callbackSegments: [Aggregator: String] = [:], maxBodyBytes: Int = 1 << 20) {
            self.host = host
            self.port = port
            self.publicURL = publicURL
            self.callbackSegments = callbackSegments
            self.maxBodyBytes = maxBodyBytes
        }

        /// Deadlines and caps of the HTTP listener (`server.*_seconds`, `server.max_connections`).
        public struct Limits: Sendable, Equatable {
            /// A connection with no request in progress is closed after this long.
            public var idleTimeoutSeconds: Double
            /// From the first byte of a request until its head (request line and headers) is complete.
            public var requestHeadTimeoutSeconds: Double
            /// From the end of the head until the body is complete.
            public var requestBodyTimeoutSeconds: Double
            /// Open connections; past it new ones wait in the listen backlog until one closes.
            public var maxConnections: Int
            /// SIGTERM/SIGINT: how long in-flight work may take before the process exits anyway.
            public var shutdownGraceSeconds: Double

            public init(idleTimeoutSeconds: Double = 30, requestHeadTimeoutSeconds: Double = 10,
                        requestBodyTimeoutSeconds: Double = 30, maxConnections: Int = 1000,
                        shutdownGraceSeconds: Double = 25) {
                self.idleTimeoutSeconds = idleTimeoutSeconds
                self.requestHeadTimeoutSeconds = requestHeadTimeoutSeconds
                self.requestBodyTimeoutSeconds = requestBodyTimeoutSeconds
                self.maxConnections = maxConnections
                self.shutdownGraceSeconds = shutdownGraceSeconds
            }
        }

        /// The segment routing `aggregator`'s callbacks.
        public func segment(for aggregator: Aggregator) -> String {
            callbackSegments[aggregator] ?? aggregator.defaultSegment
        }
    }

    /// Where callbacks, notifications and deliveries are kept.
    public enum Storage: Sendable {
        case sqlite(SQLite)
        case postgres(Postgres)

        public struct SQLite: Sendable {
            public var path: String
            /// Commit concurrent writes together (one fsync per batch). Off = one commit per request, for comparison.
            public var groupCommit: Bool
            /// Largest number of writes in one group commit.
            public var maxBatch: Int

            public init(path: String = "./data/relay.sqlite", groupCommit: Bool = true, maxBatch: Int = 512) {
                self.path = path
                self.groupCommit = groupCommit
                self.maxBatch = maxBatch
            }
        }

        public struct Postgres: Sendable {
            /// `postgres://user:password@host:port/database[?sslmode=disable|prefer|require]`.
            public var url: String
            /// Pooled connections per instance (one is kept for LISTEN).
            public var maxConnections: Int
            /// Largest number of callbacks in one group commit.
            public var maxBatch: Int

            public init(url: String, maxConnections: Int = 20, maxBatch: Int = 512) {
                self.url = url
                self.maxConnections = maxConnections
                self.maxBatch = maxBatch
            }
        }
    }

    /// The admin API's bearer tokens, each with a name the audit log records (`admin.tokens: [{name, token}]`; the
    /// single `admin.token` is the token named "admin").
    public struct Admin: Sendable {
        /// One named admin token.
        public struct Token: Sendable {
            public var name: String
            public var token: String
            public init(name: String, token: String) {
                self.name = name
                self.token = token
            }
        }

        public var tokens: [Token]

        public init(tokens: [Token] = []) { self.tokens = tokens }

        /// A single token named "admin".
        public init(token: String?) { self.tokens = token.map { [Token(name: "admin", token: $0)] } ?? [] }

        /// Whether any admin token is configured (the admin API and /ops are off without one).
        public var isEnabled: Bool { !tokens.isEmpty }

        /// The name of the token `presented` equals, compared in constant time against every token.
        public func name(of presented: String?) -> String? {
            guard let presented else { return nil }
            var found: String?
            for token in tokens where ConstantTime.matchesAny(presented, [token.token]) { found = token.name }
            return found
        }

        /// A digest that identifies `token` without holding it: an /ops session remembers which token signed in,
        /// so that removing or replacing that token (a reload) ends the session.
        public static func fingerprint(_ token: String) -> [UInt8] {
            Array(SHA256.hash(data: Array(token.utf8)))
        }

        /// Whether a token with this fingerprint is configured now.
        public func holds(fingerprint: [UInt8]) -> Bool {
            var held = false
            for token in tokens where ConstantTime.equals(Self.fingerprint(token.token), fingerprint) { held = true }
            return held
        }
    }

    /// Delivery defaults (per-endpoint values override them).
    public struct Delivery: Sendable {
        public var timeoutSeconds: Double
        public var retryScheduleSeconds: [Double]
        /// ± fraction of jitter applied to each retry delay.
        public var jitter: Double
        /// Requests in flight per endpoint.
        public var maxInFlightPerEndpoint: Int
        /// How long a claimed delivery stays leased to the instance sending it (nil: twice the longest endpoint
        /// timeout plus 30 s). On a shared store another instance takes a delivery over when its lease expires.
        public var leaseSeconds: Double?
        /// How long a notification without an order code waits (`awaiting_order`) for its AWB to be registered
        /// before its deliveries become dead letters of class `unroutable` (issue #13, decision 9).
        public var holdUnregisteredHours: Double = 24

        public static let defaultSchedule: [Double] = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]

        public init(timeoutSeconds: Double = 15, retryScheduleSeconds: [Double] = Delivery.defaultSchedule,
                    jitter: Double = 0.2, maxInFlightPerEndpoint: Int = 64) {
            self.timeoutSeconds = timeoutSeconds
            self.retryScheduleSeconds = retryScheduleSeconds
            self.jitter = jitter
            self.maxInFlightPerEndpoint = maxInFlightPerEndpoint
        }
    }
}
