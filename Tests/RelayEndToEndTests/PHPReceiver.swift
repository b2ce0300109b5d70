import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayCore
import RelayTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `php -S 127.0.0.1:PORT clients/testing/relay-receiver.php`: the PHP verifier library and the Magento module's
/// logic classes as a real receiving end. It records every request (requests.jsonl) and every event the store's
/// observers would get (events.jsonl) in its directory.
final class PHPReceiver: @unchecked Sendable {
    static var php: String { ProcessInfo.processInfo.environment["RELAY_TEST_PHP"] ?? "/usr/bin/php" }
    static let router = RelayProcess.packageRoot.appendingPathComponent("clients/testing/relay-receiver.php").path

    let process = Process()
    let port: Int
    let directory: URL
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts the receiver on `port` with the secrets it accepts; waits until it answers.
    init(port: Int, directory: URL, secrets: [String]) async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.php) else {
            throw RelayTestError("no php at \(Self.php): install php-cli (scripts/test.sh does) or set RELAY_TEST_PHP")
        }
        self.port = port
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: Self.php)
        process.arguments = ["-S", "127.0.0.1:\(port)", Self.router]
        var environment = ProcessInfo.processInfo.environment
        environment["RECEIVER_DIR"] = directory.path
        environment["WEBHOOK_SECRETS"] = secrets.joined(separator: ",")
        environment["WEBHOOK_SECRET"] = nil
        process.environment = environment
        let logPath = directory.appendingPathComponent("php.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, process.isRunning {
            var request = HTTPClientRequest(url: url + "/")
            request.method = .GET
            if let response = try? await RelayFixture.client(for: port).execute(request, timeout: .seconds(1)),
                response.status == .ok
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw RelayTestError(
            "php -S did not answer on port \(port); log:\n"
                + ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""))
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// SIGKILL: `php -S` keeps nothing to flush, and it inherits the test process's ignored SIGTERM.
    func stop() async {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        _ = await ChildProcess.exitStatus(of: process)
    }

    /// Every request the PHP side answered: path, method, status, result (accepted, duplicate, test,
    /// invalid_signature, …), detail, webhookId, timestamp, signature, trigger, newShipmentCodes, body.
    func requests() -> [JSONValue] { lines("requests.jsonl") }

    /// Every event dispatched to the (would-be) observers: event, path, webhook_id, and the payload.
    func events() -> [JSONValue] { lines("events.jsonl") }

    func requests(path: String) -> [JSONValue] { requests().filter { $0["path"]?.text == path } }

    private func lines(_ name: String) -> [JSONValue] {
        guard let text = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) else {
            return []
        }
        return text.split(separator: "\n").compactMap { try? JSONValue.parse(Array($0.utf8)) }
    }
}

/// Polls `condition` until it holds or `seconds` pass.
func waitUntil(_ seconds: Double, _ condition: () throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline, try !condition() {
        try await Task.sleep(for: .milliseconds(100))
    }
}
