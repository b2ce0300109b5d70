import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A webhook receiver for fault tests, on 127.0.0.1 (a fixed port if asked, so it can go down and come back):
/// answers each request as `decide` says: 200, another status with `Retry-After`, or a head followed by part of
/// the body and then nothing (a stalled body).
final class FaultReceiver: Sendable {
    enum Mode: Sendable {
        case ok
        case status(Int, retryAfter: String?)
        case stallBody
        /// Head and part of the body, then the connection is closed.
        case truncateBody
    }

    struct Hit: Sendable {
        var id: String
        var body: String
        var at: ContinuousClock.Instant
    }

    let hits = Mutex<[Hit]>([])
    let decide: @Sendable (Hit, Int) -> Mode
    private let channel = Mutex<(any Channel)?>(nil)
    private let boundPort = Atomic<Int>(0)
    /// Connections currently open.
    let open = Atomic<Int>(0)

    private init(decide: @escaping @Sendable (Hit, Int) -> Mode) {
        self.decide = decide
    }

    /// - Parameter decide: the answer for a request, given it and how many requests with its `webhook-id` came
    ///   before.
    static func start(port: Int = 0, decide: @escaping @Sendable (Hit, Int) -> Mode = { _, _ in .ok }) async throws
        -> FaultReceiver
    {
        let receiver = FaultReceiver(decide: decide)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: false)
                    try channel.pipeline.syncOperations.addHandler(FaultReceiverHandler(receiver: receiver))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        receiver.channel.withLock { $0 = channel }
        receiver.boundPort.store(channel.localAddress?.port ?? 0, ordering: .relaxed)
        return receiver
    }

    /// Stops listening (open connections stay until their peer closes them).
    func stop() async {
        try? await channel.withLock { $0 }?.close()
    }

    var port: Int { boundPort.load(ordering: .relaxed) }
    var url: String { "http://127.0.0.1:\(port)" }
    var all: [Hit] { hits.withLock { $0 } }

    /// Records a request and returns how to answer it.
    func record(_ hit: Hit) -> Mode {
        let before = hits.withLock { hits in
            let before = hits.count { $0.id == hit.id }
            hits.append(hit)
            return before
        }
        return decide(hit, before)
    }
}

final class FaultReceiverHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let receiver: FaultReceiver
    var id = ""
    var body: [UInt8] = []

    init(receiver: FaultReceiver) { self.receiver = receiver }

    func channelActive(context: ChannelHandlerContext) {
        receiver.open.add(1, ordering: .relaxed)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        receiver.open.subtract(1, ordering: .relaxed)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            id = head.headers.first(name: "webhook-id") ?? ""
            body = []
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            let mode = receiver.record(.init(id: id, body: String(decoding: body, as: UTF8.self),
                                             at: ContinuousClock.now))
            switch mode {
            case .ok:
                respond(context, status: .ok, headers: [:], body: "{}")
            case .status(let code, let retryAfter):
                respond(context, status: .init(statusCode: code), headers: retryAfter.map { ["Retry-After": $0] } ?? [:],
                        body: #"{"error":"busy"}"#)
            case .stallBody:
                var head = HTTPResponseHead(version: .http1_1, status: .ok)
                head.headers.add(name: "Content-Length", value: "100")
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: #"{"ok":"#)))),
                                      promise: nil)
            // and nothing more: the relay's deadline must end the attempt
            case .truncateBody:
                var head = HTTPResponseHead(version: .http1_1, status: .ok)
                head.headers.add(name: "Content-Length", value: "100")
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: #"{"ok":"#)))),
                                      promise: nil)
                context.close(promise: nil)
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus, headers: [String: String],
                         body: String) {
        var head = HTTPResponseHead(version: .http1_1, status: status)
        head.headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

/// What a raw connection saw: bytes from the server, and when the server closed it.
final class RawConnectionState: Sendable {
    let closedAt = Mutex<ContinuousClock.Instant?>(nil)
    let received = Mutex<[UInt8]>([])
}

/// A raw TCP client connection that sends what a test says, when it says, and notes when the server closed it.
final class RawConnection: Sendable {
    let channel: any Channel
    let opened: ContinuousClock.Instant
    let state: RawConnectionState

    private init(channel: any Channel, state: RawConnectionState, opened: ContinuousClock.Instant) {
        self.channel = channel
        self.state = state
        self.opened = opened
    }

    static func connect(port: Int) async throws -> RawConnection {
        let state = RawConnectionState()
        let opened = ContinuousClock.now
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RawConnectionHandler(state: state))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, state: state, opened: opened)
    }

    func send(_ text: String) {
        channel.writeAndFlush(ByteBuffer(string: text), promise: nil)
    }

    /// Seconds from opening until the server closed the connection (nil while open).
    var closedAfter: Double? {
        state.closedAt.withLock { $0 }.map { ($0 - opened).seconds }
    }

    var text: String { String(decoding: state.received.withLock { $0 }, as: UTF8.self) }

    func close() { channel.close(promise: nil) }
}

final class RawConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let state: RawConnectionState

    init(state: RawConnectionState) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        state.received.withLock { $0.append(contentsOf: buffer.readableBytesView) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.closedAt.withLock { $0 = $0 ?? ContinuousClock.now }
        context.fireChannelInactive()
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// A value shared by concurrent test tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    var value: Value { mutex.withLock { $0 } }

    func update<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}

/// A plain listening socket on 127.0.0.1 that accepts nothing (holds a port).
struct RawConnectionListener: Sendable {
    let channel: any Channel

    static func bind(port: Int) async throws -> RawConnectionListener {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: port).get()
        return RawConnectionListener(channel: channel)
    }

    func close() { channel.close(promise: nil) }
}
