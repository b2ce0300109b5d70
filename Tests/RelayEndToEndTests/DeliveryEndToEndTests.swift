import AsyncHTTPClient
import Foundation
import NIOCore
import RelayCore
import RelayStore
import RelayTestSupport
import Testing

/// The real binary, ingest to delivery: every research payload reaches a test receiver with the expected body, and
/// every delivery's signature is verified by Python `standardwebhooks` under both secrets of a rotation.
@Suite("Delivery end to end (real binary)", .serialized)
struct DeliveryEndToEndTests {
    static let resources = RelayProcess.packageRoot.appendingPathComponent("Tests/RelayCoreTests/Resources")

    static var python: String {
        if let configured = ProcessInfo.processInfo.environment["RELAY_TEST_PYTHON"] { return configured }
        let venv = RelayProcess.packageRoot.appendingPathComponent(".build-venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/env python3"
    }

    /// Runs `scripts/verify_signatures.py` on captured requests; returns its exit status and output.
    static func verifySignatures(_ requests: [TestReceiver.Received], secrets: [String], in directory: URL) async throws
        -> (status: Int32, output: String)
    {
        let capture = directory.appendingPathComponent("capture.jsonl")
        var lines = ""
        for request in requests {
            let item: JSONValue = [
                "headers": .object(JSONObject(request.headers.map { (key: $0.key, value: JSONValue.string($0.value)) })),
                "body_b64": .string(Base64.encode(request.body)),
            ]
            lines += item.serialized() + "\n"
        }
        try lines.write(to: capture, atomically: true, encoding: .utf8)
        return try await runPythonScript("verify_signatures.py", [capture.path] + secrets)
    }

    /// Runs `scripts/<name>` with the test Python; returns its exit status and combined output.
    static func runPythonScript(_ name: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let parts = python.split(separator: " ").map(String.init)
        return try await ChildProcess.run(
            parts[0], Array(parts.dropFirst()) + [RelayProcess.packageRoot.appendingPathComponent("scripts/\(name)").path]
                + arguments, withStandardError: true)
    }

    /// A notification body without its receive time, for comparing with the golden output.
    static func comparable(_ body: [UInt8]) -> String {
        guard var object = (try? JSONValue.parse(body))?.object else { return "<not json>" }
        object["notificationUpdateTime"] = nil
        return JSONValue.object(object).serialized()
    }

    @Test("every research payload arrives with the expected body and a signature standardwebhooks accepts")
    func payloadsDeliveredAndSigned() async throws {
        let receiver = TestReceiver()
        try await receiver.start()
        let fixture = try RelayFixture(notificationURL: receiver.url + "/n")
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: [])
        // given: the expected notifications, normalised in the same order in-process
        let client = Client(id: "e2e", metadata: [(key: "Account Code", value: "ACME01")],
                            endpoints: [Endpoint(id: "e2e/notification", kind: .notification, url: "http://x")])
        var context = InMemoryNormalisationContext()
        var expected: [String] = []
        for aggregator in Aggregator.allCases {
            let directory = Self.resources.appendingPathComponent(aggregator.rawValue)
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".expected.json") }.sorted()
            for name in names {
                let body = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
                // when: posted to the relay
                let status = try await fixture.post(aggregator: aggregator.rawValue, body: body)
                #expect(status == 200, "\(aggregator.rawValue)/\(name)")
                let parsed = try CallbackParser.parse(aggregator: aggregator, body: body, contentType: "application/json")
                let result = Normaliser().normalise(events: parsed.events, client: client,
                                                    receivedAt: EventTime(epochSeconds: 1_711_000_000), context: context)
                context.apply(result)
                expected += result.notifications.map { Self.comparable($0.payload.serializedBytes()) }
            }
        }
        // then: the receiver gets exactly those bodies, each signed with both secrets
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, receiver.requests(path: "/n").count < expected.count {
            try await Task.sleep(for: .milliseconds(50))
        }
        let requests = receiver.requests(path: "/n")
        #expect(requests.map { Self.comparable($0.body) }.sorted() == expected.sorted())
        #expect(Set(requests.compactMap { $0.headers["webhook-id"] }).count == requests.count)
        #expect(requests.allSatisfy { $0.headers["webhook-signature"]?.split(separator: " ").count == 2 })
        #expect(requests.allSatisfy { $0.headers["user-agent"]?.hasPrefix("shipment-relay/") == true })
        let verification = try await Self.verifySignatures(requests, secrets: fixture.signingSecrets, in: fixture.directory)
        print(verification.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(verification.status == 0, "\(verification.output)")
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }

    @Test("kill -9 during a steady stream: after restart every accepted callback is delivered at least once")
    func killNineDuringDelivery() async throws {
        let receiver = TestReceiver { _, _ in .init(delay: .milliseconds(5)) }
        try await receiver.start()
        let fixture = try RelayFixture(notificationURL: receiver.url + "/n")
        defer { fixture.cleanUp() }
        var relay = try await fixture.start(arguments: [])
        // given: a steady stream of unique callbacks; the relay is killed part-way through
        let total = 1500
        var accepted: [String] = []
        var index = 0
        while index < total {
            let batch = (index..<min(total, index + 16)).map { "KILL\($0)" }
            let ids = await withTaskGroup(of: String?.self) { group in
                for awb in batch { group.addTask { (try? await fixture.postClickpost(awb: awb)) != nil ? awb : nil } }
                var ok: [String] = []
                for await awb in group { if let awb { ok.append(awb) } }
                return ok
            }
            accepted += ids
            index += 16
            if index == 752 { relay.kill9() }  // mid-stream: posts now fail until the restart
            if index == 800 {
                RelayFixture.clients.reset(port: fixture.port)
                relay = try await fixture.start(arguments: [])
            }
        }
        // then: every accepted callback's notification reaches the receiver
        func received() -> [String: Int] {
            var counts: [String: Int] = [:]
            for request in receiver.requests(path: "/n") {
                if let awb = (try? JSONValue.parse(request.body))?["forwardAwb"]?.text { counts[awb, default: 0] += 1 }
            }
            return counts
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !Set(received().keys).isSuperset(of: accepted) {
            try await Task.sleep(for: .milliseconds(100))
        }
        let counts = received()
        let missing = Set(accepted).subtracting(counts.keys)
        let duplicates = counts.values.filter { $0 > 1 }.count
        print("kill -9 during delivery: \(accepted.count) accepted of \(total), \(counts.count) delivered, "
              + "\(missing.count) missing, \(duplicates) delivered twice (attempts in flight at the kill)")
        #expect(missing.isEmpty)
        #expect(duplicates <= 256)  // at most the attempts in flight at the kill
        #expect(accepted.count >= total - 48 - 16)
        #expect(await relay.terminate() == 0)
        await receiver.stop()
    }
}
