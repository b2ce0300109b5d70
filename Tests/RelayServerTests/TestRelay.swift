import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import RelayCore
import RelayServer
import RelayStore

/// A relay configured for tests: a temp SQLite file and secrets generated at test time.
struct TestRelay {
    let directory: URL
    let databasePath: String
    let secrets: [String: String]
    let configuration: RelayConfiguration

    static func randomSecret() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    static func md5Hex(_ text: String) -> String {
        Insecure.MD5.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    init(maxBodyBytes: Int = 1 << 20) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        databasePath = directory.appendingPathComponent("relay.sqlite").path
        var secrets: [String: String] = [:]
        for name in ["CP_KEY", "CP_KEY_OLD", "CP_AUTH", "SR_TOKEN", "SR_TOKEN_OLD", "SW_LICENCE", "SW_LICENCE_OLD",
                     "SW_PATH", "EZ_TOKEN", "EZ_TOKEN_OLD", "EZ_BASIC", "ADMIN", "API"] {
            secrets[name] = Self.randomSecret()
        }
        secrets["WHSEC"] = "whsec_" + Base64.encode((0..<32).map { _ in UInt8.random(in: 0...255) })
        self.secrets = secrets
        let yaml = """
            server: { listen: "127.0.0.1:0", max_body_bytes: \(maxBodyBytes) }
            storage: { sqlite: { path: "\(databasePath)" } }
            admin: { token: "${ADMIN}" }
            clients:
              - id: acme
                api_token: "${API}"
                metadata: { "Account Code": "ACME01" }
                aggregators:
                  clickpost: { webhook_key: "${CP_KEY}", previous_webhook_key: "${CP_KEY_OLD}", authorization: "${CP_AUTH}" }
                  shiprocket: { token: "${SR_TOKEN}", previous_token: "${SR_TOKEN_OLD}" }
                  shipway: { email: "ops@acme.example", licence_key: "${SW_LICENCE}", previous_licence_key: "${SW_LICENCE_OLD}", path_token: "${SW_PATH}" }
                  eshipz: { header: "X-Webhook-Token", token: "${EZ_TOKEN}", previous_token: "${EZ_TOKEN_OLD}", basic_password: "${EZ_BASIC}" }
                endpoints:
                  notification: { url: "http://127.0.0.1:9/n", signing_secret: "${WHSEC}" }
                  return_ack: { url: "http://127.0.0.1:9/ack", signing_secret: "${WHSEC}" }
                  order_posting: { url: "http://127.0.0.1:9/op", signing_secret: "${WHSEC}" }
            """
        configuration = try RelayConfiguration.parse(yaml: yaml, environment: secrets)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: directory)
    }

    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        var logger = Logger(label: "relay-test")
        logger.logLevel = .warning
        let app = try await buildApplication(configuration: configuration, options: .init(delivery: false), logger: logger)
        try await app.test(.router) { client in try await body(client) }
    }

    /// Reads the test database directly (WAL readers see committed rows).
    func query<T>(_ sql: String, _ map: (SQLiteStatement) throws -> T) throws -> [T] {
        let connection = try SQLiteConnection(path: databasePath)
        return try connection.query(sql, [], map)
    }

    func count(_ sql: String) throws -> Int {
        Int(try query(sql) { $0.int(0) }.first ?? 0)
    }

    /// Waits until `condition` holds (normalisation runs after the answer), at most `timeout` seconds.
    func eventually(timeout: Double = 60, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }
}

extension ByteBuffer {
    init(text: String) { self.init(string: text) }
}

extension TestResponse {
    var json: JSONValue? { try? JSONValue.parse(Array(body.readableBytesView)) }
}
