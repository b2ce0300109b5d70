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

    @Test("numbers that are not finite or too large are problems named by key, never a crash (a reload refuses them)")
    func outOfRangeNumbers() {
        var client = Self.goodClient.object!
        client["endpoints"] = ["notification": [
            "url": "https://shop.example/n", "signing_secret": "whsec_cmVsYXktZGVtby1zaWduaW5nLXNlY3JldC0zMmJ5dGU=",
            "timeout_seconds": 1e17, "max_in_flight": 1e12,
        ]]
        let json: JSONValue = [
            "server": ["max_connections": 1e20, "max_body_bytes": "${HUGE}"],
            "retention_days": "${NAN}",
            "delivery": ["retry_schedule_seconds": [5, 1e300], "lease_seconds": 1e10],
            "clients": [.object(client)],
        ]
        #expect {
            try RelayConfiguration(json: json, environment: ["CP_KEY": "k", "NAN": "nan", "HUGE": "1e400"])
        } throws: { error in
            let issues = (error as? ConfigurationError)?.issues.map(\.description) ?? []
            return issues.contains { $0.hasPrefix("server.max_connections: must be at most 1000000") }
                && issues.contains { $0.hasPrefix("server.max_body_bytes: must be a finite number") }
                && issues.contains { $0.hasPrefix("retention_days: must be a finite number") }
                && issues.contains { $0.hasPrefix("delivery.retry_schedule_seconds[1]: must be at most 2592000") }
                && issues.contains { $0.hasPrefix("delivery.lease_seconds: must be at most 86400") }
                && issues.contains { $0.hasPrefix("clients[0].endpoints.notification.timeout_seconds: must be at most 3600") }
                && issues.contains { $0.hasPrefix("clients[0].endpoints.notification.max_in_flight: must be at most 10000") }
        }
    }

    @Test("control characters in resolved values (a secret file's trailing newline) and bad header names are refused")
    func controlCharacters() {
        var client = Self.goodClient.object!
        client["aggregators"] = ["shiprocket": ["token": "${SR_TOKEN}"],
                                 "eshipz": ["header": "X Webhook Token", "token": "t"]]
        client["endpoints"] = ["notification": [
            "url": "https://shop.example/n", "signing_secret": "whsec_cmVsYXktZGVtby1zaWduaW5nLXNlY3JldC0zMmJ5dGU=",
            "headers": ["Authorization": "Bearer ${MAGENTO_TOKEN}", "Bad Name": "x"],
        ]]
        #expect {
            try RelayConfiguration(json: Self.config(.object(client)),
                                   environment: ["SR_TOKEN": "abc\n", "MAGENTO_TOKEN": "s3cr3t\n"])
        } throws: { error in
            let issues = (error as? ConfigurationError)?.issues ?? []
            let text = issues.map(\.description)
            return text.contains { $0.hasPrefix("clients[0].aggregators.shiprocket.token: must not contain control") }
                && text.contains { $0.hasPrefix("clients[0].endpoints.notification.headers.Authorization: must not contain control") }
                && text.contains { $0.hasPrefix("clients[0].endpoints.notification.headers.Bad Name: is not an HTTP header name") }
                && text.contains { $0.hasPrefix("clients[0].aggregators.eshipz.header: is not an HTTP header name") }
                && !text.contains { $0.contains("s3cr3t") || $0.contains("abc") }
        }
    }

    @Test("URLs must name a host", arguments: ["http://", "https://:8080/hooks", "https://user:pw@/hooks", "https:// x/"])
    func urlsNameAHost(_ url: String) {
        var client = Self.goodClient.object!
        client["endpoints"] = ["notification": [
            "url": .string(url), "signing_secret": "whsec_cmVsYXktZGVtby1zaWduaW5nLXNlY3JldC0zMmJ5dGU=",
        ]]
        #expect {
            try RelayConfiguration(json: Self.config(.object(client)), environment: ["CP_KEY": "k"])
        } throws: { error in
            (error as? ConfigurationError)?.issues.contains {
                $0.description.hasPrefix("clients[0].endpoints.notification.url: must name a host")
            } == true
        }
    }
}
