import Foundation
import Logging
import RelayCore
import RelayDelivery
import RelayStore
import ServiceLifecycle

/// A store with notifications to deliver, and a delivery engine running against it.
final class DeliveryHarness: @unchecked Sendable {
    let directory: URL
    let store: SQLiteStore
    let client: Client
    let configuration: RelayConfiguration
    let wakeup = DeliveryWakeup()
    private var group: ServiceGroup?
    private var task: Task<Void, any Error>?

    static let secret = "whsec_" + Base64.encode((0..<32).map { _ in UInt8.random(in: 0...255) })

    init(endpoints: [Endpoint], schedule: [Double] = [0.2, 0.2, 0.2], timeout: Double = 5) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-delivery-\(UUID().uuidString)")
        var logger = Logger(label: "delivery-test")
        logger.logLevel = .warning
        store = try SQLiteStore(configuration: .init(path: directory.appendingPathComponent("r.sqlite").path),
                                logger: logger)
        client = Client(id: "acme", endpoints: endpoints)
        configuration = RelayConfiguration(
            delivery: .init(timeoutSeconds: timeout, retryScheduleSeconds: schedule, jitter: 0), clients: [client])
    }

    static func endpoint(_ url: String, kind: Endpoint.Kind = .notification, name: String? = nil,
                         magento: Endpoint.MagentoAdminToken? = nil, types: [NotificationType]? = nil) -> Endpoint {
        Endpoint(id: name.map { "acme/extra/\($0)" } ?? "acme/\(kind.rawValue)", kind: kind, url: url,
                 signingSecrets: [secret], magentoAdminToken: magento, types: types)
    }

    /// Stores a Clickpost callback for `awb` and normalises it; returns the notification ids produced.
    @discardableResult
    func notify(awb: String, code: Int = 6, time: String = "2024-03-07T04:00:00Z") async throws -> [String] {
        let body = Array(#"{"waybill":"\#(awb)","account_code":"DEL","status":"s","timestamp":"\#(time)","clickpost_status_code":\#(code),"additional":{"order_id":"O-\#(awb)"}}"#.utf8)
        let parsed = try CallbackParser.parse(aggregator: .clickpost, body: body, contentType: "application/json")
        let inbound = InboundCallback(client: "acme", aggregator: .clickpost, receivedAt: WallClock.now(),
                                      contentType: "application/json", headers: [], body: body)
        let outcome = try await store.ingest(inbound, dedupKey: parsed.dedupKey)
        let stored = StoredCallback(seq: outcome.seq, id: outcome.callbackId, client: "acme", aggregator: .clickpost,
                                    receivedAt: inbound.receivedAt, contentType: "application/json", body: body)
        let client = self.client
        _ = try await NormalisationLoop(store: store).run([NormalisationInput(callback: stored, parsed: parsed)]) {
            NormalisationRequest(events: parsed.events, client: client, receivedAt: $0.callback.receivedAt)
        }
        wakeup.signal()
        return try await store.notifications(client: "acme", awb: awb).map(\.id)
    }

    func start() {
        var logger = Logger(label: "delivery-test")
        logger.logLevel = .warning
        let engine = DeliveryEngine(store: store, configuration: configuration, wakeup: wakeup, logger: logger)
        let group = ServiceGroup(services: [engine], gracefulShutdownSignals: [], logger: logger)
        self.group = group
        task = Task { try await group.run() }
    }

    func stop() async {
        await group?.triggerGracefulShutdown()
        _ = try? await task?.value
        await store.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Waits until `condition` holds, at most `timeout` seconds.
    func eventually(timeout: Double = 60, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    func deliveries() async throws -> [StoredDelivery] {
        try await store.deliveries(notificationId: nil, limit: 10_000)
    }
}
