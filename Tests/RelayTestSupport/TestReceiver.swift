public import Foundation
public import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
public import Synchronization

/// A real HTTP receiver on 127.0.0.1 that records every request and answers as a test script says.
public final class TestReceiver: Sendable {
    public struct Received: Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]
        public var body: [UInt8]
        public var at: Date
    }

    public struct Reply: Sendable {
        public var status: HTTPResponse.Status
        public var headers: [String: String]
        public var body: String
        public var delay: Duration
        /// When above zero: the head and the body's first byte are sent, then nothing for this long (a receiver that
        /// stalls after its head), then the rest.
        public var stallAfterHead: Duration

        public init(status: HTTPResponse.Status = .ok, headers: [String: String] = [:], body: String = #"{"ok":true}"#,
                    delay: Duration = .zero, stallAfterHead: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
            self.stallAfterHead = stallAfterHead
        }
    }

    public let received = Mutex<[Received]>([])
    let script: @Sendable (Received, Int) -> Reply
    let port = Mutex<Int>(0)
    private let group = Mutex<ServiceGroup?>(nil)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    /// - Parameter script: the reply for a request, given it and how many requests came before it on its path.
    public init(script: @escaping @Sendable (Received, Int) -> Reply = { _, _ in Reply() }) {
        self.script = script
    }

    public func start() async throws {
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let body = try await request.body.collect(upTo: 4 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let item = Received(method: request.method.rawValue, path: request.uri.path, headers: headers,
                                body: Array(body.readableBytesView), at: Date())
            let count = self.received.withLock { list in
                let before = list.filter { $0.path == item.path }.count
                list.append(item)
                return before
            }
            let reply = self.script(item, count)
            if reply.delay > .zero { try await Task.sleep(for: reply.delay) }
            var fields = HTTPFields()
            for (name, value) in reply.headers { fields[HTTPField.Name(name)!] = value }
            guard reply.stallAfterHead > .zero, !reply.body.isEmpty else {
                return Response(status: reply.status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: reply.body)))
            }
            let bytes = Array(reply.body.utf8)
            return Response(status: reply.status, headers: fields, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(bytes: bytes.prefix(1)))
                try await Task.sleep(for: reply.stallAfterHead)
                try await writer.write(ByteBuffer(bytes: bytes.dropFirst()))
                try await writer.finish(nil)
            })
        }
        router.post("/**", use: handler)
        router.put("/**", use: handler)
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
                              logger: logger)
        let serviceGroup = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        group.withLock { $0 = serviceGroup }
        task.withLock { $0 = Task { try await serviceGroup.run() } }
        for await port in stream {
            self.port.withLock { $0 = port }
            break
        }
    }

    public func stop() async {
        await group.withLock { $0 }?.triggerGracefulShutdown()
        _ = try? await task.withLock { $0 }?.value
    }

    public var url: String { "http://127.0.0.1:\(port.withLock { $0 })" }
    public var requests: [Received] { received.withLock { $0 } }

    public func requests(path: String) -> [Received] { requests.filter { $0.path == path } }
}
