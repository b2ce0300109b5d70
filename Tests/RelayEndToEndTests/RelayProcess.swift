import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayStore

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

    func waitUntilHealthy(timeout: Double = 30) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard process.isRunning else { break }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)), response.status == .ok {
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

    /// SIGTERM and wait for a graceful exit.
    func terminate() -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A free TCP port on 127.0.0.1.
    static func freePort() -> Int {
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
    let directory: URL
    let configPath: String
    let databasePath: String
    let clickpostKey: String
    let port: Int

    init(extraConfig: String = "") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configPath = directory.appendingPathComponent("relay.yaml").path
        databasePath = directory.appendingPathComponent("relay.sqlite").path
        clickpostKey = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let signing = "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        port = RelayProcess.freePort()
        let yaml = """
            server: { listen: "127.0.0.1:\(port)" }
            storage: { sqlite: { path: "\(databasePath)" } }
            clients:
              - id: e2e
                metadata: { "Account Code": "E2E" }
                aggregators: { clickpost: { webhook_key: "\(clickpostKey)" } }
                endpoints:
                  notification: { url: "http://127.0.0.1:9/n", signing_secret: "\(signing)" }
            \(extraConfig)
            """
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func start(arguments: [String] = ["--no-delivery"]) async throws -> RelayProcess {
        try await RelayProcess(configPath: configPath, port: port, arguments: arguments,
                               logPath: directory.appendingPathComponent("relay.log").path)
    }

    func count(_ sql: String) throws -> Int {
        let connection = try SQLiteConnection(path: databasePath)
        return Int(try connection.query(sql, []) { $0.int(0) }.first ?? 0)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    /// POSTs a Clickpost callback for `awb`; returns the callback id when accepted (200).
    func postClickpost(awb: String, code: Int = 6) async throws -> String? {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/callbacks/clickpost/e2e")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "webhook_key", value: clickpostKey)
        let body = #"{"waybill":"\#(awb)","cp_id":4,"account_code":"DELHIVERY","status":"OFD","remark":"Out for delivery","location":"Bengaluru_Koramangala_DC (Karnataka)","timestamp":"2024-03-07T04:00:00Z","clickpost_status_code":\#(code),"clickpost_status_description":"OutForDelivery","additional":{"is_rvp":false,"order_id":"ORD-\#(awb)","latest_status":{"clickpost_status_code":\#(code),"timestamp":"2024-03-07T04:00:00Z","status":"OFD","location":"Bengaluru_Koramangala_DC (Karnataka)","reference_number":"ORD-\#(awb)"}}}"#
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 16)
        guard response.status == .ok else { return nil }
        let text = String(buffer: bytes)
        guard let range = text.range(of: #""callbackId":""#) else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "\"" })
    }
}
