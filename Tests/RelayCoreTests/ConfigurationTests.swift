import RelayCore
import Testing

@Suite("Configuration decoding and validation")
struct ConfigurationTests {
    static func config(_ client: JSONValue, server: JSONValue = [:]) -> JSONValue {
        ["server": server, "clients": [client]]
    }

    static let goodClient: JSONValue = [
        "id": "acme",
        "aggregators": ["clickpost": ["webhook_key": "${CP_KEY}", "previous_webhook_key": "old"],
                        "shiprocket": ["token": "t"]],
        "endpoints": ["notification": ["url": "https://shop.example/n",
                                       "signing_secret": "whsec_cmVsYXktZGVtby1zaWduaW5nLXNlY3JldC0zMmJ5dGU="]],
    ]

    @Test("a valid file decodes with ${ENV} secrets and rotation lists")
    func valid() throws {
        let configuration = try RelayConfiguration(json: Self.config(Self.goodClient), environment: ["CP_KEY": "k1"])
        #expect(configuration.clients.first?.clickpost?.webhookKeys == ["k1", "old"])
        #expect(configuration.callbackURL(client: "acme", aggregator: .shiprocket) == "http://localhost:8080/v1/callbacks/st/acme")
    }

    @Test("errors name the key path and the reason")
    func keyPaths() {
        var client = Self.goodClient.object!
        client["endpoints"] = ["notification": ["url": "ftp://x", "signing_secret": "nope"]]
        client["colour"] = "blue"
        #expect {
            try RelayConfiguration(json: Self.config(.object(client), server: ["listen": "nowhere"]), environment: [:])
        } throws: { error in
            let issues = (error as? ConfigurationError)?.issues.map(\.description) ?? []
            return issues.contains { $0.hasPrefix("clients[0].aggregators.clickpost.webhook_key: environment variable CP_KEY") }
                && issues.contains { $0.hasPrefix("clients[0].endpoints.notification.url: must start with http") }
                && issues.contains { $0.hasPrefix("clients[0].endpoints.notification.signing_secret: must be whsec_") }
                && issues.contains { $0.hasPrefix("clients[0].colour: unknown key") }
                && issues.contains { $0.hasPrefix("server.listen: must be HOST:PORT") }
        }
    }

    @Test("a client id or segment that puts sr/kr/shiprocket/kartrocket into the Shiprocket URL is refused",
          arguments: [("srv", [:] as JSONValue), ("acme", ["callback_segments": ["shiprocket": "kr-hooks"]] as JSONValue),
                      ("acme", ["public_url": "https://shiprocket-relay.example"] as JSONValue)])
    func shiprocketForbidden(_ example: (String, JSONValue)) {
        var client = Self.goodClient.object!
        client["id"] = .string(example.0)
        #expect {
            try RelayConfiguration(json: Self.config(.object(client), server: example.1), environment: ["CP_KEY": "k"])
        } throws: { error in
            (error as? ConfigurationError)?.issues.contains { $0.reason.contains("Shiprocket") } == true
        }
    }

    @Test("server limits: defaults of at most 60 s, overridable, out-of-range values named")
    func serverLimits() throws {
        let defaults = try RelayConfiguration(json: Self.config(Self.goodClient), environment: ["CP_KEY": "k"])
        let limits = defaults.server.limits
        #expect([limits.idleTimeoutSeconds, limits.requestHeadTimeoutSeconds, limits.requestBodyTimeoutSeconds,
                  limits.shutdownGraceSeconds].allSatisfy { $0 > 0 && $0 <= 60 })
        #expect(limits.maxConnections == 1000)
        let custom = try RelayConfiguration(
            json: Self.config(Self.goodClient, server: [
                "idle_timeout_seconds": 3, "request_head_timeout_seconds": "2.5", "request_body_timeout_seconds": 5,
                "max_connections": 64, "shutdown_grace_seconds": 12,
            ]), environment: ["CP_KEY": "k"])
        #expect(custom.server.limits == .init(idleTimeoutSeconds: 3, requestHeadTimeoutSeconds: 2.5,
                                              requestBodyTimeoutSeconds: 5, maxConnections: 64, shutdownGraceSeconds: 12))
        #expect {
            try RelayConfiguration(json: Self.config(Self.goodClient, server: [
                "idle_timeout_seconds": 0, "max_connections": 2,
            ]), environment: ["CP_KEY": "k"])
        } throws: { error in
            let issues = (error as? ConfigurationError)?.issues.map(\.description) ?? []
            return issues.contains { $0.hasPrefix("server.idle_timeout_seconds: must be greater than 0") }
                && issues.contains { $0.hasPrefix("server.max_connections: must be at least 16") }
        }
    }

    @Test("${NAME:-default} supplies a default")
    func defaults() throws {
        var client = Self.goodClient.object!
        client["aggregators"] = ["clickpost": ["webhook_key": "${MISSING:-fallback}"]]
        let configuration = try RelayConfiguration(json: Self.config(.object(client)), environment: [:])
        #expect(configuration.clients.first?.clickpost?.webhookKeys == ["fallback"])
    }
}
