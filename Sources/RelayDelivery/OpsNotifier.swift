import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import RelayCore
import RelayStore
public import ServiceLifecycle
import Synchronization

/// Operational webhooks (`ops_webhook:`): tells ops when an endpoint is disabled or enabled and when deliveries
/// become dead letters, signed with Standard Webhooks like every delivery.
///
/// Events are collected for a second and sent together: one message per event type, so a burst of dead letters
/// (an endpoint down for hours, then its retries running out together) is one message listing up to
/// `maxPerMessage` of them plus the total count, not thousands of requests. A message is retried a few times with
/// back-off, then dropped with an error log line: these are alerts about state the store already holds durably
/// (`relay dlq list`, `relay endpoints list` show it), not data of their own.
public final class OpsNotifier: Service, Sendable {
    /// One operational event.
    public struct Event: Sendable {
        public var type: RelayConfiguration.OpsWebhook.Event
        public var at: EventTime
        /// String facts: `client`, `endpoint`, `deadLetterId`, `notificationId`, `failureClass`, `reason`, `count`.
        public var data: [String: String]

        public init(type: RelayConfiguration.OpsWebhook.Event, at: EventTime, data: [String: String]) {
            self.type = type
            self.at = at
            self.data = data
        }
    }

    static let maxPerMessage = 100
    static let attempts = 5

    let configuration: RelayConfiguration.OpsWebhook?
    let logger: Logger
    private let pending = Mutex<[Event]>([])
    private let counter = Atomic<Int>(0)
    /// Events not queued because 10,000 were waiting (logged when the queue drains).
    private let dropped = Atomic<Int>(0)

    public init(configuration: RelayConfiguration.OpsWebhook?, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Queues an event (never blocks; dropped when no ops webhook is configured or the type is not wanted).
    public func emit(_ event: Event) {
        guard let configuration, configuration.events.contains(event.type) else { return }
        pending.withLock { events in
            // Bounded: a flood beyond this is summarised by the count of the messages already queued.
            if events.count < 10_000 {
                events.append(event)
            } else {
                dropped.add(1, ordering: .relaxed)
            }
        }
    }

    public func run() async throws {
        guard let configuration else {
            try? await gracefulShutdown()
            return
        }
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.redirectConfiguration = .disallow
        clientConfiguration.timeout = .init(connect: .seconds(5))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            await flush(client: client, configuration: configuration)
        }
        await flush(client: client, configuration: configuration)  // what the shutdown itself produced
        try? await client.shutdown()
    }

    func flush(client: HTTPClient, configuration: RelayConfiguration.OpsWebhook) async {
        let events = pending.withLock { events in
            defer { events.removeAll() }
            return events
        }
        let lost = dropped.exchange(0, ordering: .relaxed)
        if lost > 0 {
            logger.warning("ops webhook events dropped: 10,000 were waiting to be sent",
                           metadata: ["relay.count": "\(lost)"])
        }
        guard !events.isEmpty else { return }
        var byType: [RelayConfiguration.OpsWebhook.Event: [Event]] = [:]
        for event in events { byType[event.type, default: []].append(event) }
        for type in RelayConfiguration.OpsWebhook.Event.allCases {
            guard let list = byType[type] else { continue }
            let body = Self.message(type: type, events: list)
            await send(body, client: client, configuration: configuration, type: type)
        }
    }

    /// `{"type": …, "timestamp": …, "data": {"count": N, "truncated": bool, "events": [{…}, …]}}`.
    static func message(type: RelayConfiguration.OpsWebhook.Event, events: [Event]) -> [UInt8] {
        let shown = events.prefix(maxPerMessage).map { event -> JSONValue in
            var object = JSONObject()
            object["at"] = .string(event.at.iso8601)
            for key in event.data.keys.sorted() { object[key] = .string(event.data[key]!) }
            return .object(object)
        }
        var data = JSONObject()
        data["count"] = .int(Int64(events.count))
        data["truncated"] = .bool(events.count > maxPerMessage)
        data["events"] = .array(Array(shown))
        var root = JSONObject()
        root["type"] = .string(type.rawValue)
        root["timestamp"] = .string(WallClock.now().iso8601)
        root["data"] = .object(data)
        return JSONValue.object(root).serializedBytes()
    }

    func send(_ body: [UInt8], client: HTTPClient, configuration: RelayConfiguration.OpsWebhook,
              type: RelayConfiguration.OpsWebhook.Event) async {
        let id = "ops_\(WallClock.now().epochMilliseconds)_\(counter.add(1, ordering: .relaxed).newValue)"
        var pause = Duration.seconds(1)
        for attempt in 1...Self.attempts {
            var request = HTTPClientRequest(url: configuration.url)
            request.method = .POST
            let timestamp = Int64(Date().timeIntervalSince1970)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: WebhookSender.userAgent)
            request.headers.add(name: "webhook-id", value: id)
            request.headers.add(name: "webhook-timestamp", value: String(timestamp))
            request.headers.add(name: "webhook-signature", value: WebhookSigner(secrets: configuration.signingSecrets)
                .signature(id: id, timestamp: timestamp, body: body))
            request.body = .bytes(ByteBuffer(bytes: body))
            // One deadline for the whole exchange, body included: a receiver that stalls after its head must not
            // hold the notifier's loop (every later alert waits behind it).
            switch await WebhookSender.exchange(
                request, client: client, within: .milliseconds(Int64(configuration.timeoutSeconds * 1000)))
            {
            case .complete(let status, _, _, _)? where (200..<300).contains(status):
                return
            case .complete(let status, _, _, _)?:
                logger.warning("ops webhook answered \(status)", metadata: [
                    "relay.ops_event": "\(type.rawValue)", "relay.attempt": "\(attempt)",
                ])
            case .failed(_, let description)?:
                logger.warning("ops webhook failed", metadata: [
                    "relay.ops_event": "\(type.rawValue)", "relay.attempt": "\(attempt)",
                    "error": "\(String(description.prefix(200)))",
                ])
            case nil:
                logger.warning("ops webhook failed", metadata: [
                    "relay.ops_event": "\(type.rawValue)", "relay.attempt": "\(attempt)",
                    "error": "no complete answer within \(configuration.timeoutSeconds) s",
                ])
            }
            if attempt == Self.attempts || Task.isShuttingDownGracefully { break }
            try? await Task.sleep(for: pause)
            pause *= 2
        }
        logger.error("ops webhook message dropped after \(Self.attempts) attempts", metadata: [
            "relay.ops_event": "\(type.rawValue)",
        ])
    }
}
