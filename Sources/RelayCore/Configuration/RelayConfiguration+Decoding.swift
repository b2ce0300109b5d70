extension RelayConfiguration {
    /// Words Shiprocket's dashboard refuses in a callback URL.
    public static let shiprocketForbiddenWords = ["shiprocket", "kartrocket", "sr", "kr"]

    /// Decodes and validates a configuration document.
    /// - Parameters:
    ///   - json: the parsed YAML (or JSON) document.
    ///   - environment: values for `${NAME}` references.
    /// - Throws: `ConfigurationError` listing every problem with its key path.
    public init(json: JSONValue, environment: [String: String]) throws(ConfigurationError) {
        var reader = ConfigReader(environment: environment)
        self.init()
        guard let root = reader.object(json, at: "", allowed: [
            "server", "storage", "admin", "delivery", "retention_days", "clients", "log", "ops_webhook",
        ]) else {
            throw ConfigurationError(issues: [.init(path: "", reason: "the configuration must be a mapping")])
        }
        server = Self.decodeServer(root["server"], &reader)
        storage = Self.decodeStorage(root["storage"], &reader)
        if let admin = reader.object(root["admin"], at: "admin", allowed: ["token", "tokens"]) {
            self.admin = Self.decodeAdmin(admin, &reader)
        }
        // The example configuration's token is public: fine on a laptop, not where others can reach /admin and /ops.
        let adminHost = server.adminListen?.host ?? server.host
        if self.admin.tokens.contains(where: { $0.token == Self.demoAdminToken }), !Self.isLoopback(adminHost) {
            reader.fail("admin.token", "is the example's demo value while /admin and /ops listen on \(adminHost): "
                        + "set RELAY_ADMIN_TOKEN (e.g. `openssl rand -hex 32`), or listen on 127.0.0.1")
        }
        delivery = Self.decodeDelivery(root["delivery"], at: "delivery", &reader)
        if let log = reader.object(root["log"], at: "log", allowed: ["format", "level"]) {
            if let format = reader.string(log["format"], at: "log.format") {
                if let known = Log.Format(rawValue: format) {
                    self.log.format = known
                } else {
                    reader.fail("log.format", "must be text or json")
                }
            }
            if let level = reader.string(log["level"], at: "log.level") {
                if Log.levels.contains(level) {
                    self.log.level = level
                } else {
                    reader.fail("log.level", "must be one of \(Log.levels.joined(separator: ", "))")
                }
            }
        }
        opsWebhook = Self.decodeOpsWebhook(root["ops_webhook"], &reader)
        if let days = reader.number(root["retention_days"], at: "retention_days", atMost: 36_500) {
            if days < 1 { reader.fail("retention_days", "must be at least 1") }
            retentionDays = Int(days)
        }
        if let list = root["clients"]?.array {
            var seen = Set<String>()
            for (index, item) in list.enumerated() {
                let path = "clients[\(index)]"
                if item.isNull {
                    reader.fail(path, "must be a client mapping")
                    continue
                }
                guard let client = Self.decodeClient(item, at: path, &reader) else { continue }
                if !seen.insert(client.id).inserted { reader.fail("\(path).id", "duplicate client id \(client.id)") }
                clients.append(client)
            }
            if list.isEmpty { reader.fail("clients", "at least one client is required") }
        } else {
            reader.fail("clients", root["clients"] == nil ? "is required" : "must be a list")
        }
        for (index, client) in clients.enumerated() where client.shiprocket != nil {
            let url = callbackURL(client: client.id, aggregator: .shiprocket).lowercased()
            for word in Self.shiprocketForbiddenWords where url.contains(word) {
                let culprit = client.id.lowercased().contains(word) ? "clients[\(index)].id"
                    : (server.segment(for: .shiprocket).lowercased().contains(word) ? "server.callback_segments.shiprocket"
                        : "server.public_url")
                reader.fail(culprit, "the Shiprocket callback URL \(url) contains \"\(word)\"; Shiprocket's "
                    + "dashboard refuses URLs containing shiprocket, kartrocket, sr or kr")
            }
        }
        guard reader.issues.isEmpty else { throw ConfigurationError(issues: reader.issues) }
    }

    /// `admin.token` (named "admin") and `admin.tokens: [{name, token}]`: names are unique, `[a-z0-9._-]`, 1–64
    /// characters; tokens are unique.
    static func decodeAdmin(_ admin: JSONObject, _ reader: inout ConfigReader) -> Admin {
        var tokens: [Admin.Token] = []
        if let token = reader.string(admin["token"], at: "admin.token") {
            tokens.append(.init(name: "admin", token: token))
        }
        if let value = admin["tokens"], !value.isNull {
            if let list = value.array {
                for (index, item) in list.enumerated() {
                    let path = "admin.tokens[\(index)]"
                    guard let object = reader.object(item, at: path, allowed: ["name", "token"]) else {
                        if item.isNull { reader.fail(path, "must be a mapping {name, token}") }
                        continue
                    }
                    let name = reader.string(object["name"], at: "\(path).name", required: true)
                    let token = reader.string(object["token"], at: "\(path).token", required: true)
                    guard let name, let token else { continue }
                    let allowed = name.utf8.allSatisfy { byte in
                        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                    }
                    if !allowed || name.utf8.count > 64 {
                        reader.fail("\(path).name", "must be 1-64 characters of a-z, 0-9, '.', '_' or '-'")
                    }
                    tokens.append(.init(name: name, token: token))
                }
            } else {
                reader.fail("admin.tokens", "must be a list of {name, token}")
            }
        }
        var names = Set<String>()
        var secrets = Set<String>()
        for (index, token) in tokens.enumerated() where token.token.utf8.count < Self.minimumAdminTokenLength {
            let path = admin["token"] != nil && index == 0 ? "admin.token"
                : "admin.tokens[\(index - (admin["token"] == nil ? 0 : 1))].token"
            reader.fail(path, "must be at least \(Self.minimumAdminTokenLength) characters (e.g. `openssl rand -hex 32`)")
        }
        for (index, token) in tokens.enumerated() {
            if !names.insert(token.name).inserted {
                reader.fail("admin.tokens[\(max(0, index - (admin["token"] == nil ? 0 : 1)))].name",
                            "duplicate admin token name \(token.name)")
            }
            if !secrets.insert(token.token).inserted {
                reader.fail("admin.tokens[\(max(0, index - (admin["token"] == nil ? 0 : 1)))].token",
                            "the same token is configured twice")
            }
        }
        return Admin(tokens: tokens)
    }

    /// Admin tokens shorter than this are refused: the admin API answers a wrong token with 401 as often as asked.
    static let minimumAdminTokenLength = 16
    /// The token `Deploy/config.example.yaml` falls back to.
    static let demoAdminToken = "demo-admin-token"

    /// Whether `host` is a loopback address or name.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// The URL to paste into an aggregator's dashboard for a client.
    public func callbackURL(client: String, aggregator: Aggregator) -> String {
        var base = server.publicURL ?? "http://\(server.host == "0.0.0.0" ? "localhost" : server.host):\(server.port)"
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/v1/callbacks/\(server.segment(for: aggregator))/\(client)"
    }

    private static func decodeServer(_ value: JSONValue?, _ reader: inout ConfigReader) -> Server {
        var server = Server()
        guard let object = reader.object(value, at: "server", allowed: [
            "listen", "admin_listen", "public_url", "callback_segments", "max_body_bytes", "idle_timeout_seconds",
            "request_head_timeout_seconds", "request_body_timeout_seconds", "max_connections", "shutdown_grace_seconds",
        ]) else { return server }
        if let listen = reader.string(object["listen"], at: "server.listen") {
            if let address = Self.hostAndPort(listen) {
                (server.host, server.port) = address
            } else {
                reader.fail("server.listen", "must be HOST:PORT, e.g. 0.0.0.0:8080")
            }
        }
        if let listen = reader.string(object["admin_listen"], at: "server.admin_listen") {
            if let address = Self.hostAndPort(listen) {
                server.adminListen = address
                if address.port == server.port, address.port != 0 {
                    reader.fail("server.admin_listen", "must use another port than server.listen")
                }
            } else {
                reader.fail("server.admin_listen", "must be HOST:PORT, e.g. 127.0.0.1:9090")
            }
        }
        if let url = reader.httpURL(object["public_url"], at: "server.public_url") {
            server.publicURL = url
        }
        if let segments = reader.object(object["callback_segments"], at: "server.callback_segments",
                                        allowed: Set(Aggregator.allCases.map(\.rawValue))) {
            for member in segments {
                let path = "server.callback_segments.\(member.key)"
                guard let aggregator = Aggregator(rawValue: member.key),
                    let segment = reader.string(member.value, at: path)
                else { continue }
                if segment.contains("/") || segment.isEmpty { reader.fail(path, "must be one URL segment") }
                server.callbackSegments[aggregator] = segment
            }
            let values = Aggregator.allCases.map(server.segment(for:))
            if Set(values).count != values.count {
                reader.fail("server.callback_segments", "two aggregators share a segment")
            }
        }
        if let bytes = reader.number(object["max_body_bytes"], at: "server.max_body_bytes", atMost: 64 * 1024 * 1024) {
            if bytes < 1024 { reader.fail("server.max_body_bytes", "must be at least 1024") }
            server.maxBodyBytes = max(1024, Int(bytes))
        }
        let seconds: [(String, WritableKeyPath<Server.Limits, Double>)] = [
            ("idle_timeout_seconds", \.idleTimeoutSeconds),
            ("request_head_timeout_seconds", \.requestHeadTimeoutSeconds),
            ("request_body_timeout_seconds", \.requestBodyTimeoutSeconds),
            ("shutdown_grace_seconds", \.shutdownGraceSeconds),
        ]
        for (key, field) in seconds {
            guard let value = reader.number(object[key], at: "server.\(key)") else { continue }
            if !(value > 0 && value <= 3600) {
                reader.fail("server.\(key)", "must be greater than 0 and at most 3600")
                continue
            }
            server.limits[keyPath: field] = value
        }
        if let connections = reader.number(object["max_connections"], at: "server.max_connections", atMost: 1_000_000) {
            if connections < 16 { reader.fail("server.max_connections", "must be at least 16") }
            server.limits.maxConnections = max(16, Int(connections))
        }
        return server
    }

    private static func decodeOpsWebhook(_ value: JSONValue?, _ reader: inout ConfigReader) -> OpsWebhook? {
        guard let object = reader.object(value, at: "ops_webhook", allowed: [
            "url", "signing_secret", "previous_signing_secret", "events", "timeout_seconds",
        ]) else { return nil }
        guard let url = reader.httpURL(object["url"], at: "ops_webhook.url", required: true) else { return nil }
        let secrets = reader.secrets(object, "signing_secret", previous: "previous_signing_secret", at: "ops_webhook")
        if secrets.isEmpty { reader.fail("ops_webhook.signing_secret", "is required (whsec_ followed by base64)") }
        for secret in secrets where WebhookSigner.key(fromSecret: secret) == nil {
            reader.fail("ops_webhook.signing_secret", "must be whsec_ followed by base64 of at least 16 bytes")
        }
        var webhook = OpsWebhook(url: url, signingSecrets: secrets)
        if let events = object["events"] {
            var chosen = Set<OpsWebhook.Event>()
            for (index, item) in (events.array ?? []).enumerated() {
                guard let name = reader.string(item, at: "ops_webhook.events[\(index)]") else { continue }
                if let event = OpsWebhook.Event(rawValue: name) {
                    chosen.insert(event)
                } else {
                    reader.fail("ops_webhook.events[\(index)]", "unknown event \(name) (known: "
                        + OpsWebhook.Event.allCases.map(\.rawValue).joined(separator: ", ") + ")")
                }
            }
            if events.array == nil { reader.fail("ops_webhook.events", "must be a list of event names") }
            webhook.events = chosen
        }
        if let timeout = reader.number(object["timeout_seconds"], at: "ops_webhook.timeout_seconds") {
            if timeout <= 0 || timeout > 60 { reader.fail("ops_webhook.timeout_seconds", "must be in (0, 60]") }
            webhook.timeoutSeconds = timeout
        }
        return webhook
    }

    /// `HOST:PORT`, `[::]:PORT` or `:PORT` (all interfaces).
    public static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    private static func decodeStorage(_ value: JSONValue?, _ reader: inout ConfigReader) -> Storage {
        guard let object = reader.object(value, at: "storage", allowed: ["sqlite", "postgres"]) else {
            return .sqlite(.init())
        }
        if object["sqlite"] != nil, object["postgres"] != nil {
            reader.fail("storage", "choose one of sqlite or postgres, not both")
        }
        if let postgres = reader.object(object["postgres"], at: "storage.postgres",
                                        allowed: ["url", "max_connections", "max_batch"]) {
            let url = reader.string(postgres["url"], at: "storage.postgres.url", required: true) ?? ""
            if !url.isEmpty, !(url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")) {
                reader.fail("storage.postgres.url", "must start with postgres://")
            }
            var settings = Storage.Postgres(url: url)
            if let connections = reader.number(postgres["max_connections"], at: "storage.postgres.max_connections",
                                                   atMost: 1_000) {
                if connections < 4 { reader.fail("storage.postgres.max_connections", "must be at least 4") }
                settings.maxConnections = max(4, Int(connections))
            }
            if let batch = reader.number(postgres["max_batch"], at: "storage.postgres.max_batch", atMost: 10_000) {
                if batch < 1 { reader.fail("storage.postgres.max_batch", "must be at least 1") }
                settings.maxBatch = max(1, Int(batch))
            }
            return .postgres(settings)
        }
        var sqlite = Storage.SQLite()
        if let object = reader.object(object["sqlite"], at: "storage.sqlite",
                                      allowed: ["path", "group_commit", "max_batch"]) {
            if let path = reader.string(object["path"], at: "storage.sqlite.path") { sqlite.path = path }
            if let flag = reader.bool(object["group_commit"], at: "storage.sqlite.group_commit") {
                sqlite.groupCommit = flag
            }
            if let batch = reader.number(object["max_batch"], at: "storage.sqlite.max_batch", atMost: 10_000) {
                if batch < 1 { reader.fail("storage.sqlite.max_batch", "must be at least 1") }
                sqlite.maxBatch = max(1, Int(batch))
            }
        }
        return .sqlite(sqlite)
    }

    private static func decodeDelivery(_ value: JSONValue?, at path: String,
                                       _ reader: inout ConfigReader) -> Delivery {
        var delivery = Delivery()
        guard let object = reader.object(value, at: path, allowed: [
            "timeout_seconds", "retry_schedule_seconds", "jitter", "max_in_flight", "lease_seconds",
            "hold_unregistered_hours",
        ]) else { return delivery }
        if let timeout = reader.number(object["timeout_seconds"], at: "\(path).timeout_seconds", atMost: 3_600) {
            if timeout <= 0 { reader.fail("\(path).timeout_seconds", "must be greater than 0") }
            delivery.timeoutSeconds = timeout
        }
        if let schedule = decodeSchedule(object["retry_schedule_seconds"], at: "\(path).retry_schedule_seconds",
                                         &reader) {
            delivery.retryScheduleSeconds = schedule
        }
        if let jitter = reader.number(object["jitter"], at: "\(path).jitter") {
            if !(0...0.5).contains(jitter) { reader.fail("\(path).jitter", "must be between 0 and 0.5") }
            delivery.jitter = jitter
        }
        if let cap = reader.number(object["max_in_flight"], at: "\(path).max_in_flight", atMost: 10_000) {
            if cap < 1 { reader.fail("\(path).max_in_flight", "must be at least 1") }
            delivery.maxInFlightPerEndpoint = max(1, Int(cap))
        }
        if let lease = reader.number(object["lease_seconds"], at: "\(path).lease_seconds", atMost: 86_400) {
            if lease <= delivery.timeoutSeconds {
                reader.fail("\(path).lease_seconds", "must be longer than delivery.timeout_seconds")
            }
            delivery.leaseSeconds = lease
        }
        if let hours = reader.number(object["hold_unregistered_hours"], at: "\(path).hold_unregistered_hours",
                                           atMost: 8_760) {
            if hours <= 0 { reader.fail("\(path).hold_unregistered_hours", "must be greater than 0") }
            delivery.holdUnregisteredHours = hours
        }
        return delivery
    }

    static func decodeSchedule(_ value: JSONValue?, at path: String,
                                       _ reader: inout ConfigReader) -> [Double]? {
        guard let value, !value.isNull else { return nil }
        guard let list = value.array else {
            reader.fail(path, "must be a list of seconds")
            return nil
        }
        var schedule: [Double] = []
        for (index, item) in list.enumerated() {
            guard let seconds = reader.number(item, at: "\(path)[\(index)]", atMost: 30 * 86_400) else { continue }
            if seconds <= 0 { reader.fail("\(path)[\(index)]", "must be greater than 0") }
            schedule.append(seconds)
        }
        return schedule
    }
}
