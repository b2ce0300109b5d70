import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Foundation
import HTTPTypes
import RelayCore
import RelayTestSupport
import Testing

/// What the team running the relay relies on (issue #15): shipped deploy configs that check clean and print the
/// https callback URLs to paste into dashboards, and JSON log lines that a collector can parse.
@Suite("Operability end to end (real binary)")
struct OperabilityEndToEndTests {
    /// The relay configs shipped under Deploy/, as (name, YAML text); the Kubernetes one is embedded in a ConfigMap.
    static func shippedConfigs() throws -> [(String, String)] {
        let root = RelayProcess.packageRoot
        let compose = try String(contentsOf: root.appendingPathComponent("Deploy/compose/relay.yaml"), encoding: .utf8)
        let configMap = try String(contentsOf: root.appendingPathComponent("Deploy/kubernetes/configmap.yaml"),
                                   encoding: .utf8)
        var embedded: [String] = []
        var inside = false
        for line in configMap.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  config.yaml: |") {
                inside = true
            } else if inside {
                if line.hasPrefix("    ") {
                    embedded.append(String(line.dropFirst(4)))
                } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                    break
                } else {
                    embedded.append("")
                }
            }
        }
        #expect(!embedded.isEmpty, "no config.yaml in Deploy/kubernetes/configmap.yaml")
        return [("compose/relay.yaml", compose), ("kubernetes/configmap.yaml", embedded.joined(separator: "\n"))]
    }

    /// Placeholder values for every `${NAME}` a config references, so `config check` can resolve them.
    static func environment(for yaml: String) throws -> [String] {
        let regex = try NSRegularExpression(pattern: #"\$\{([A-Za-z_][A-Za-z0-9_]*)"#)
        let range = NSRange(yaml.startIndex..., in: yaml)
        let names = Set(regex.matches(in: yaml, range: range).compactMap { match in
            Range(match.range(at: 1), in: yaml).map { String(yaml[$0]) }
        })
        return names.sorted().map { name in
            if name.contains("WHSEC") { return "\(name)=whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() }
            if name == "DATABASE_URL" { return "\(name)=postgres://relay@db.internal:5432/relay?sslmode=require" }
            if name.hasSuffix("_URL") { return "\(name)=https://shop.example.com/hooks/\(name.lowercased())" }
            return "\(name)=test-\(UUID().uuidString)"
        }
    }

    @Test("config check on every shipped deploy config passes and prints https callback URLs")
    func deployConfigsPrintHTTPSURLs() async throws {
        for (name, yaml) in try Self.shippedConfigs() {
            #expect(yaml.hasPrefix("# yaml-language-server: $schema="), "\(name) has no schema line for editors")
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-ops-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("config.yaml").path
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let (status, output) = try await ChildProcess.run(
                "/usr/bin/env", try Self.environment(for: yaml) + [RelayProcess.binary, "config", "check", "--config", path],
                withStandardError: true)
            #expect(status == 0, "config check \(name) failed:\n\(output)")
            let urls = output.split(separator: "\n").filter { $0.contains("/v1/callbacks/") }
            #expect(urls.count >= 4, "\(name): expected the callback URLs of four aggregators:\n\(output)")
            for line in urls {
                #expect(line.contains("https://") && !line.contains("http://localhost"), "\(name): \(line)")
            }
        }
    }

    @Test("config check on malformed YAML names the line and column but never echoes the line (it may hold a secret)")
    func malformedYAMLKeepsSecrets() async throws {
        let secret = Self.secret()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-yaml-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("config.yaml").path
        // A colon after the inline secret: the scanner fails on that very line ("mapping values are not allowed").
        try "server:\n  listen: \"127.0.0.1:0\"\nclients:\n  - id: acme\n    signing_secret: \(secret): oops\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try await ChildProcess.run(RelayProcess.binary, ["config", "check", "--config", path],
                                                          withStandardError: true)
        #expect(status != 0)
        #expect(output.contains("is not valid YAML: line "), "\(output)")
        #expect(!output.contains(secret), "the secret was echoed:\n\(output)")
        #expect(!output.contains(String(secret.dropFirst(6).prefix(12))), "part of the secret was echoed:\n\(output)")
    }

    @Test("config check on a number out of range exits 1 naming the key (it used to trap)")
    func hugeNumberIsAProblem() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-num-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("config.yaml").path
        try "server:\n  max_connections: 1e20\nretention_days: .nan\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try await ChildProcess.run(RelayProcess.binary, ["config", "check", "--config", path],
                                                          withStandardError: true)
        #expect(status == 1, "\(output)")
        #expect(output.contains("server.max_connections: must be at most 1000000"), "\(output)")
        #expect(output.contains("retention_days: must be a finite number"), "\(output)")
    }

    @Test("relay dlq: a refused request exits 1 with the reason on stderr (wrong port, wrong token, not a dead letter)")
    func adminCommandFailuresExitNonZero() async throws {
        let adminPort = RelayProcess.freePort()
        let fixture = try RelayFixture(serverOptions: "admin_listen: \"127.0.0.1:\(adminPort)\"")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: ["--no-delivery"])
        defer { Task { _ = await relay.terminate() } }
        func dlq(_ port: Int, token: String, _ arguments: [String]) async throws -> (Int32, String) {
            try await ChildProcess.run(RelayProcess.binary, ["dlq"] + arguments + [
                "--url", "http://127.0.0.1:\(port)", "--token", token,
            ], withStandardError: true)
        }
        let (publicStatus, publicOutput) = try await dlq(fixture.port, token: fixture.adminToken, ["list"])
        #expect(publicStatus == 1)
        #expect(publicOutput.contains("404") && publicOutput.contains("admin listener"), "\(publicOutput)")
        let (wrongStatus, wrongOutput) = try await dlq(adminPort, token: "wrong", ["replay", "dlv_1", "dlv_2"])
        #expect(wrongStatus == 1)
        #expect(wrongOutput.contains("dlv_1: relay answered 401"), "\(wrongOutput)")
        #expect(!wrongOutput.contains("dlv_2"), "a 401 holds for every id: stop at the first\n\(wrongOutput)")
        let (goneStatus, goneOutput) = try await dlq(adminPort, token: fixture.adminToken, ["replay", "dlv_998", "dlv_999"])
        #expect(goneStatus == 1)
        #expect(goneOutput.contains("dlv_998: relay answered 409") && goneOutput.contains("dlv_999: relay answered 409"),
                "\(goneOutput)")
        let (listStatus, _) = try await dlq(adminPort, token: fixture.adminToken, ["list"])
        #expect(listStatus == 0)
    }

    @Test("config check prints endpoint URLs without credentials or query")
    func configCheckRedactsURLs() async throws {
        let fixture = try RelayFixture(notificationURL: "https://relay-user:hunter2-\(UUID())@shop.example/hooks?api_key=k-\(UUID())")
        defer { fixture.cleanUp() }
        let (status, output) = try await ChildProcess.run(RelayProcess.binary, ["config", "check", "--config",
                                                                                fixture.configPath],
                                                          withStandardError: true)
        #expect(status == 0, "\(output)")
        #expect(output.contains("https://shop.example/hooks"), "\(output)")
        #expect(!output.contains("hunter2") && !output.contains("api_key"), "\(output)")
    }

    @Test("a second relay process on the same SQLite file exits 1 at start, saying why; the first one keeps serving")
    func oneProcessPerSQLiteFile() async throws {
        let fixture = try RelayFixture()
        defer { fixture.cleanUp() }
        let first = try await fixture.start(arguments: ["--no-delivery"])
        let (status, _, log) = try await Fault.runToExit(
            arguments: ["serve", "--config", fixture.configPath, "--listen", "127.0.0.1:\(RelayProcess.freePort())"],
            timeout: 20)
        #expect(status == 1, "\(log)")
        #expect(log.contains("another relay process is using"), "\(log)")
        #expect(try await fixture.postClickpost(awb: "LOCK1") != nil)
        #expect(await first.terminate() == 0)
        // Once the first has stopped, the file is free again.
        let second = try await fixture.start(arguments: ["--no-delivery"])
        #expect(try await fixture.postClickpost(awb: "LOCK2") != nil)
        _ = await second.terminate()
    }

    @Test("--log-format json: every line is one JSON object with time, level, message and logger")
    func jsonLogLines() async throws {
        let fixture = try RelayFixture(notificationURL: "http://127.0.0.1:9/n")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: ["--no-delivery", "--log-format", "json", "--log-level", "info"])
        _ = await relay.terminate()
        let log = try String(contentsOfFile: relay.logPath, encoding: .utf8)
        let lines = log.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.count >= 2, "expected at least the start and stop lines:\n\(log)")
        for line in lines {
            let object = try JSONValue.parse(Array(line.utf8))
            #expect(object["time"]?.text?.hasSuffix("Z") == true, "\(line)")
            #expect(object["level"]?.text != nil && object["message"]?.text != nil && object["logger"]?.text != nil,
                    "\(line)")
        }
        let start = try #require(lines.first { $0.contains("starting relay") })
        let object = try JSONValue.parse(Array(start.utf8))
        #expect(object["level"]?.text == "info")
        #expect(object["version"]?.text == RelayVersion.current)
    }

    @Test("server.admin_listen: /admin, /ops and /metrics answer 404 on the public port and work on the admin port")
    func adminListener() async throws {
        let adminPort = RelayProcess.freePort()
        let fixture = try RelayFixture(serverOptions: "admin_listen: \"127.0.0.1:\(adminPort)\"")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start()
        defer { Task { _ = await relay.terminate() } }
        func status(_ port: Int, _ path: String, token: Bool = true) async throws -> Int {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            if token { request.headers.add(name: "authorization", value: "Bearer \(fixture.adminToken)") }
            let response = try await RelayFixture.client(for: port).execute(request, timeout: .seconds(5))
            _ = try await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        }
        for path in ["/admin/v1/dead-letters", "/ops", "/metrics"] {
            #expect(try await status(fixture.port, path) == 404, "public port serves \(path)")
        }
        #expect(try await status(adminPort, "/admin/v1/dead-letters") == 200)
        #expect(try await status(adminPort, "/metrics") == 200)
        #expect(try await status(adminPort, "/healthz") == 200)
        #expect(try await status(fixture.port, "/healthz") == 200)
        // The callback routes stay on the public port only.
        #expect(try await fixture.postClickpost(awb: "ADM1") != nil)
        #expect(try await status(adminPort, "/v1/callbacks/clickpost/e2e", token: false) == 404)
    }

    static func secret() -> String {
        "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    static func get(_ url: String) async throws -> String {
        let response = try await RelayFixture.client(for: 0).execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        return String(buffer: try await response.body.collect(upTo: 8 << 20))
    }

    @Test("/metrics: deliveries to two endpoints carry client and endpoint labels; every family has # HELP")
    func labelledMetrics() async throws {
        let receiver = TestReceiver()
        try await receiver.start()
        let fixture = try RelayFixture(
            notificationURL: receiver.url + "/n",
            extraConfig: """
                      extra: [{ name: erp, url: "\(receiver.url)/erp", signing_secret: "\(Self.secret())" }]
                """)
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        #expect(try await fixture.postClickpost(awb: "MET0001") != nil)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, receiver.requests.count < 2 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(receiver.requests.count >= 2)
        // An attempt is counted once its outcome is committed, a moment after the receiver has answered: read the
        // metrics again until both endpoints' attempts are in (bounded).
        var text = try await Self.get("http://127.0.0.1:\(fixture.port)/metrics")
        let metricsDeadline = Date().addingTimeInterval(10)
        while Date() < metricsDeadline,
            !["notification", "extra/erp"].allSatisfy({ endpoint in
                text.split(separator: "\n").contains {
                    $0.hasPrefix("relay_delivery_latency_seconds_count{") && $0.contains("endpoint=\"\(endpoint)\"")
                }
            })
        {
            try await Task.sleep(for: .milliseconds(100))
            text = try await Self.get("http://127.0.0.1:\(fixture.port)/metrics")
        }
        let lines = text.split(separator: "\n")
        for endpoint in ["notification", "extra/erp"] {
            let line = lines.first { $0.hasPrefix("relay_delivery_attempts_total{")
                && $0.contains("client=\"e2e\"") && $0.contains("endpoint=\"\(endpoint)\"")
                && $0.contains("outcome=\"delivered\"") && $0.contains("failure_class=\"none\"") }
            #expect(line != nil, "no relay_delivery_attempts_total for \(endpoint):\n\(text)")
            #expect(lines.contains { $0.hasPrefix("relay_delivery_attempt_seconds_count{")
                && $0.contains("endpoint=\"\(endpoint)\"") })
            // Received → delivered, measured from the callback's receive time.
            #expect(lines.contains { $0.hasPrefix("relay_delivery_latency_seconds_count{")
                && $0.contains("endpoint=\"\(endpoint)\"") && !$0.hasSuffix(" 0") })
        }
        #expect(lines.contains { $0.hasPrefix("hb_requests{") && $0.contains("/v1/callbacks/clickpost/") })
        let families = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(!families.isEmpty)
        for family in families {
            #expect(lines.contains { $0.hasPrefix("# HELP \(family) ") }, "no # HELP for \(family)")
        }
        _ = await relay.terminate()
        await receiver.stop()
    }

    @Test("a failing endpoint: one warning line per endpoint and failure class per 10 s, JSON with its fields")
    func failedAttemptLogLines() async throws {
        let receiver = TestReceiver { _, _ in .init(status: .internalServerError) }
        try await receiver.start()
        let fixture = try RelayFixture(notificationURL: receiver.url + "/n",
                                       retrySchedule: "[" + Array(repeating: "0.2", count: 30).joined(separator: ", ") + "]")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: ["--log-format", "json"])
        #expect(try await fixture.postClickpost(awb: "LOG0001") != nil)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, receiver.requests.count < 6 { try await Task.sleep(for: .milliseconds(100)) }
        let attempts = receiver.requests.count
        #expect(attempts >= 6)
        _ = await relay.terminate()
        let log = try String(contentsOfFile: relay.logPath, encoding: .utf8)
        let failures = log.split(separator: "\n").compactMap { try? JSONValue.parse(Array($0.utf8)) }
            .filter { $0["message"]?.text == "delivery attempt failed" }
        print("failed-attempt log: \(attempts) failed attempts, \(failures.count) warning line(s)")
        #expect(failures.count == 1, "\(log)")
        let line = try #require(failures.first)
        #expect(line["level"]?.text == "warning")
        #expect(line["client"]?.text == "e2e" && line["endpoint"]?.text == "e2e/notification")
        #expect(line["failure_class"]?.text == "http_5xx" && line["status"]?.text == "500")
        #expect(line["delivery_seq"] != nil && line["notification"]?.text?.hasPrefix("ntf_") == true)
        #expect(!log.contains(fixture.signingSecrets[0]) && !log.contains(fixture.clickpostKey))
        await receiver.stop()
    }

    @Test("ops webhook: an endpoint disabled by 410 is reported, signed, with its dead letter")
    func opsWebhookOnDisable() async throws {
        let receiver = TestReceiver { _, _ in .init(status: .gone) }
        try await receiver.start()
        let ops = TestReceiver()
        try await ops.start()
        let opsSecret = Self.secret()
        let fixture = try RelayFixture(
            notificationURL: receiver.url + "/n",
            extraConfig: """
                ops_webhook: { url: "\(ops.url)/ops", signing_secret: "\(opsSecret)" }
                """)
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        #expect(try await fixture.postClickpost(awb: "GONE0001") != nil)
        let deadline = Date().addingTimeInterval(30)
        func types() -> [String] {
            ops.requests.compactMap { try? JSONValue.parse($0.body) }.compactMap { $0["type"]?.text }
        }
        while Date() < deadline, !(types().contains("endpoint.disabled") && types().contains("delivery.dead_lettered")) {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(types().contains("endpoint.disabled") && types().contains("delivery.dead_lettered"), "\(types())")
        for request in ops.requests {
            let id = try #require(request.headers["webhook-id"])
            let timestamp = try #require(request.headers["webhook-timestamp"].flatMap { Int64($0) })
            let expected = WebhookSigner(secrets: [opsSecret]).signature(id: id, timestamp: timestamp, body: request.body)
            #expect(request.headers["webhook-signature"] == expected, "ops webhook \(id) is not signed with the secret")
        }
        let disabled = try #require(ops.requests.compactMap { try? JSONValue.parse($0.body) }
            .first { $0["type"]?.text == "endpoint.disabled" })
        let event = try #require(disabled["data"]?["events"]?.array?.first)
        #expect(event["endpoint"]?.text == "e2e/notification" && event["reason"]?.text == "410 Gone")
        _ = await relay.terminate()
        await receiver.stop()
        await ops.stop()
    }

    @Test("SIGHUP with a new signing secret: the next attempt is signed with it; an invalid file keeps the running one")
    func reloadOnSighup() async throws {
        let receiver = TestReceiver()
        try await receiver.start()
        let fixture = try RelayFixture(notificationURL: receiver.url + "/n")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        func signatures(_ index: Int) async throws -> [String] {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, receiver.requests.count <= index { try await Task.sleep(for: .milliseconds(50)) }
            let request = try #require(receiver.requests.count > index ? receiver.requests[index] : nil)
            return (request.headers["webhook-signature"] ?? "").split(separator: " ").map(String.init)
        }
        func signed(_ index: Int, with secret: String) async throws -> Bool {
            let request = receiver.requests[index]
            let expected = WebhookSigner(secrets: [secret]).signature(
                id: request.headers["webhook-id"] ?? "", timestamp: Int64(request.headers["webhook-timestamp"] ?? "") ?? 0,
                body: request.body)
            return try await signatures(index).contains(expected)
        }
        func generation() async throws -> (Int, String?) {
            let (_, status) = try await fixture.admin(.GET, "config")
            return (Int(status["generation"]?.integer ?? 0), status["lastReload"]?["status"]?.text)
        }
        let oldSecret = fixture.signingSecrets[0]
        #expect(try await fixture.postClickpost(awb: "RLD0001") != nil)
        _ = try await signatures(0)
        #expect(try await signed(0, with: oldSecret))

        // a new current secret, then SIGHUP
        let newSecret = Self.secret()
        let yaml = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
        try yaml.replacingOccurrences(of: oldSecret, with: newSecret)
            .write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        kill(relay.pid, SIGHUP)
        var deadline = Date().addingTimeInterval(15)
        while Date() < deadline, try await generation().0 < 2 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try await generation() == (2, "reloaded"))
        #expect(try await fixture.postClickpost(awb: "RLD0002") != nil)
        _ = try await signatures(1)
        #expect(try await signed(1, with: newSecret))
        #expect(!(try await signed(1, with: oldSecret)))

        // an invalid file is refused, with its reasons; the running configuration stays
        try "clients: [ { id: broken".write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        kill(relay.pid, SIGHUP)
        deadline = Date().addingTimeInterval(15)
        while Date() < deadline, try await generation().1 != "refused" { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try await generation() == (2, "refused"))
        let (status, answer) = try await fixture.admin(.POST, "config/reload")
        #expect(status == 422 && answer["status"]?.text == "refused" && answer["issues"]?.array?.isEmpty == false)
        // a number that would trap when converted (it once crashed the running relay on reload) is refused too
        let valid = yaml.replacingOccurrences(of: oldSecret, with: newSecret)
        try (valid + "\nretention_days: 1e300\n").write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        let (hugeStatus, hugeAnswer) = try await fixture.admin(.POST, "config/reload")
        #expect(hugeStatus == 422)
        #expect(hugeAnswer["issues"]?.array?.contains { $0.text?.hasPrefix("retention_days: must be at most") == true }
                == true, "\(hugeAnswer)")
        #expect(try await fixture.postClickpost(awb: "RLD0003") != nil)
        _ = try await signatures(2)
        #expect(try await signed(2, with: newSecret))
        let log = try String(contentsOfFile: relay.logPath, encoding: .utf8)
        #expect(log.contains("configuration reload refused"))
        #expect(!log.contains(newSecret) && !log.contains(oldSecret))
        _ = await relay.terminate()
        await receiver.stop()
    }
}
