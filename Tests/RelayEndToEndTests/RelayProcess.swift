import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayCore
import RelayStore
import RelayTestSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The real `relay` binary, started as a child process for end-to-end tests.
final class RelayProcess: @unchecked Sendable {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var binary: String {
        ProcessInfo.processInfo.environment["RELAY_BINARY"]
            ?? packageRoot.appendingPathComponent(".build/debug/relay").path
    }

    let process = Process()
    let port: Int
    let logPath: String

    /// Starts `relay serve` with a configuration file; waits until `/healthz` answers.
    init(configPath: String, port: Int, arguments: [String] = [], logPath: String) async throws {
        self.port = port
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--config", configPath, "--log-level", "warning"] + arguments
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try await waitUntilHealthy()
    }

    var pid: Int32 { process.processIdentifier }

    deinit {
        // Never leave a relay behind, even when a test failed half-way.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    func waitUntilHealthy(timeout: Double = 30) async throws {
        // A client of its own: a shared pool that just saw a killed relay backs off new connections for a while.
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let deadline = Date().addingTimeInterval(timeout)
        defer { Task { try? await client.shutdown() } }
        while Date() < deadline {
            guard process.isRunning else { break }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
            request.method = .GET
            if let response = try? await client.execute(request, timeout: .seconds(1)), response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        throw RelayTestError("relay did not become healthy on port \(port); log:\n\(log)")
    }

    /// `kill -9`: no chance to flush or finish anything.
    func kill9() {
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait for a graceful exit (off the cooperative pool: it can take seconds).
    func terminate() async -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGTERM)
        return await ChildProcess.exitStatus(of: process)
    }

    /// Ports this test process has handed out: never twice.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A free TCP port on 127.0.0.1, never handed out before in this test process, and below Linux's ephemeral range
    /// (32768–60999), so neither a parallel test's relay nor an outgoing connection takes it between here and the
    /// relay's bind. (With the kernel's choice, two fixtures once got the same port: one relay could not bind, and
    /// the other answered its health check and then its callbacks with 401.)
    static func freePort() -> Int {
        for _ in 0..<500 {
            let candidate = Int.random(in: 20000..<32000)
            guard handedOut.withLock({ $0.insert(candidate).inserted }) else { continue }
            if canBind(candidate) { return candidate }
        }
        return kernelPort()
    }

    /// Whether `port` on 127.0.0.1 can be bound now.
    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        } == 0
    }

    /// A port the kernel picks (the fallback).
    private static func kernelPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct RelayTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A scratch directory with a relay configuration whose secrets are generated now.
struct RelayFixture {
    /// One HTTP client per relay port and start: after a kill, a fresh pool (see `restartedClient`).
    static let clients = NIOLockedClients()

    static func client(for port: Int) -> HTTPClient { clients.client(for: port) }

    let directory: URL
    let configPath: String
    let databasePath: String
    let clickpostKey: String
    let shiprocketToken: String
    let shipwayPathToken: String
    let eshipzToken: String
    /// Signing secrets: the current one and the previous one (rotation).
    let signingSecrets: [String]
    let port: Int

    static func random() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    /// The OMS bearer token.
    let apiToken: String

    /// The admin API bearer token.
    let adminToken: String

    /// - Parameters:
    ///   - storage: the `storage:` value (default: a SQLite file in the scratch directory).
    ///   - delivery: the `delivery:` value (default: 5 s timeout and `retrySchedule`).
    ///   - serverOptions: more `server:` members, e.g. `idle_timeout_seconds: 3`.
    init(notificationURL: String = "http://127.0.0.1:9/n", omsBaseURL: String? = nil,
         retrySchedule: String = "[0.5, 1, 2, 5, 10]", extraConfig: String = "", storage: String? = nil,
         delivery: String? = nil, serverOptions: String = "") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configPath = directory.appendingPathComponent("relay.yaml").path
        databasePath = directory.appendingPathComponent("relay.sqlite").path
        clickpostKey = Self.random()
        shiprocketToken = Self.random()
        shipwayPathToken = Self.random()
        eshipzToken = Self.random()
        apiToken = Self.random()
        adminToken = Self.random()
        signingSecrets = (0..<2).map { _ in
            "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        }
        port = RelayProcess.freePort()
        let yaml = """
            server: { listen: "127.0.0.1:\(port)"\(serverOptions.isEmpty ? "" : ", " + serverOptions) }
            storage: \(storage ?? "{ sqlite: { path: \"\(databasePath)\" } }")
            admin: { token: "\(adminToken)" }
            delivery: \(delivery ?? "{ timeout_seconds: 5, retry_schedule_seconds: \(retrySchedule) }")
            clients:
              - id: e2e
                api_token: "\(apiToken)"
                metadata: { "Account Code": "ACME01" }
                aggregators:
                  clickpost: { webhook_key: "\(clickpostKey)" }
                  shiprocket: { token: "\(shiprocketToken)" }
                  shipway: { path_token: "\(shipwayPathToken)" }
                  eshipz: { header: "X-Webhook-Token", token: "\(eshipzToken)" }
                endpoints:
                  notification: { url: "\(notificationURL)", signing_secret: "\(signingSecrets[0])",
                                  previous_signing_secret: "\(signingSecrets[1])" }
            \(omsBaseURL.map { base in """
                  return_ack: { url: "\(base)/ack", signing_secret: "\(signingSecrets[0])" }
                  order_posting: { url: "\(base)/op", signing_secret: "\(signingSecrets[0])" }
            """ } ?? "")
            \(extraConfig)
            """
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Sends an OMS request with the bearer token; returns the status and the JSON answer.
    func oms(_ method: HTTPMethod, _ path: String, body: String?) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/clients/e2e/\(path)")
        request.method = method
        request.headers.add(name: "authorization", value: "Bearer \(apiToken)")
        request.headers.add(name: "content-type", value: "application/json")
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await RelayFixture.client(for: port).execute(request, timeout: .seconds(5))
        let bytes = try await response.body.collect(upTo: 1 << 16)
        return (Int(response.status.code), String(buffer: bytes))
    }

    /// Calls the admin API; returns the status and the parsed JSON answer.
    func admin(_ method: HTTPMethod, _ path: String) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/admin/v1/\(path)")
        request.method = method
        request.headers.add(name: "authorization", value: "Bearer \(adminToken)")
        let response = try await RelayFixture.client(for: port).execute(request, timeout: .seconds(5))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), (try? JSONValue.parse(Array(bytes.readableBytesView))) ?? .null)
    }

    /// POSTs a raw payload as `aggregator` with the right credentials; returns the HTTP status.
    func post(aggregator: String, body: [UInt8]) async throws -> Int {
        var path = "/v1/callbacks/\(aggregator == "shiprocket" ? "st" : aggregator)/e2e"
        var request = HTTPClientRequest(url: "")
        switch aggregator {
        case "clickpost": request.headers.add(name: "webhook_key", value: clickpostKey)
        case "shiprocket": request.headers.add(name: "x-api-key", value: shiprocketToken)
        case "shipway": path += "/\(shipwayPathToken)"
        default: request.headers.add(name: "X-Webhook-Token", value: eshipzToken)
        }
        request.url = "http://127.0.0.1:\(port)\(path)"
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await RelayFixture.client(for: port).execute(request, timeout: .seconds(3))
        _ = try await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    /// Signs in to `/ops` with the admin token through `client` (which must not follow redirects, to keep the
    /// answer's cookie); returns the `cookie` header value of the session.
    func signInToOps(using client: HTTPClient) async throws -> String {
        var signIn = HTTPClientRequest(url: "http://127.0.0.1:\(port)/ops/signin")
        signIn.method = .POST
        signIn.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        signIn.body = .bytes(ByteBuffer(string: "token=\(adminToken)"))
        let signedIn = try await client.execute(signIn, timeout: .seconds(10))
        _ = try await signedIn.body.collect(upTo: 1 << 16)
        return String((signedIn.headers.first(name: "set-cookie") ?? "").prefix { $0 != ";" })
    }

    func start(arguments: [String] = ["--no-delivery"]) async throws -> RelayProcess {
        try await RelayProcess(configPath: configPath, port: port, arguments: arguments,
                               logPath: directory.appendingPathComponent("relay.log").path)
    }

    /// Starts another instance of the same configuration on `port` (instances sharing a PostgreSQL store).
    func startInstance(port: Int, name: String) async throws -> RelayProcess {
        try await RelayProcess(configPath: configPath, port: port, arguments: ["--listen", "127.0.0.1:\(port)"],
                               logPath: directory.appendingPathComponent("relay-\(name).log").path)
    }

    func count(_ sql: String) throws -> Int {
        let connection = try SQLiteConnection(path: databasePath)
        return Int(try connection.query(sql, []) { $0.int(0) }.first ?? 0)
    }

    /// The first column of a query's rows as text (for what a failing test prints).
    func texts(_ sql: String) throws -> [String] {
        let connection = try SQLiteConnection(path: databasePath)
        return try connection.query(sql, []) { $0.text(0) ?? "" }
    }

    /// Dead letters per failure class, with one error of each: what a test prints when a filter finds fewer.
    func deadLettersByClass() -> [String] {
        (try? texts("""
            SELECT d.failure_class || ' x' || count(*) || ' (' || coalesce(max(a.error), max(a.status_code), '') || ')'
            FROM deliveries d LEFT JOIN attempts a ON a.delivery_seq = d.seq AND a.number = d.attempts
            WHERE d.state = 'dead' GROUP BY d.failure_class
            """)) ?? []
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    /// POSTs a Clickpost callback for `awb`; returns the callback id when accepted (200).
    func postClickpost(awb: String, code: Int = 6) async throws -> String? {
        let (status, id) = try await postClickpostAnswer(awb: awb, code: code)
        return status == 200 ? id : nil
    }

    /// POSTs a Clickpost callback for `awb` to the instance on `port` (default: the configured one); returns the
    /// HTTP status and the callback id of a 200.
    func postClickpostAnswer(awb: String, code: Int = 6, time: String = "2024-03-07T04:00:00Z", port: Int? = nil)
        async throws -> (status: Int, id: String?)
    {
        let port = port ?? self.port
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/callbacks/clickpost/e2e")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "webhook_key", value: clickpostKey)
        let body = #"{"waybill":"\#(awb)","cp_id":4,"account_code":"DELHIVERY","status":"OFD","remark":"Out for delivery","location":"Bengaluru_Koramangala_DC (Karnataka)","timestamp":"\#(time)","clickpost_status_code":\#(code),"clickpost_status_description":"OutForDelivery","additional":{"is_rvp":false,"order_id":"ORD-\#(awb)","latest_status":{"clickpost_status_code":\#(code),"timestamp":"\#(time)","status":"OFD","location":"Bengaluru_Koramangala_DC (Karnataka)","reference_number":"ORD-\#(awb)"}}}"#
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await RelayFixture.client(for: port).execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 16)
        let text = String(buffer: bytes)
        guard response.status == .ok, let range = text.range(of: #""callbackId":""#) else {
            return (Int(response.status.code), nil)
        }
        return (200, String(text[range.upperBound...].prefix { $0 != "\"" }))
    }
}

/// HTTP clients per port, replaced when a test restarts a killed relay.
final class NIOLockedClients: @unchecked Sendable {
    private let lock = NSLock()
    private var clients: [Int: HTTPClient] = [:]

    func client(for port: Int) -> HTTPClient {
        lock.lock()
        defer { lock.unlock() }
        if let client = clients[port] { return client }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        clients[port] = client
        return client
    }

    /// Drops the client of `port` (its pool remembers the dead relay); the next call makes a new one.
    func reset(port: Int) {
        lock.lock()
        let client = clients.removeValue(forKey: port)
        lock.unlock()
        if let client { Task { try? await client.shutdown() } }
    }
}
