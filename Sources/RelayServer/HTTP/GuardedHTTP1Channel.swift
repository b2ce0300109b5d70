import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import RelayCore

/// The HTTP/1 listener with the relay's connection limits (`server.*` in the configuration):
/// - an idle connection (no request in progress) closes after `idleTimeoutSeconds` (Hummingbird's idle timer);
/// - a request's head must be complete within `requestHeadTimeoutSeconds` of its first byte, and its body within
///   `requestBodyTimeoutSeconds` of the head, or the connection is closed (slowloris, trickled bodies);
/// - HTTP/1.0 is answered as HTTP/1.0, and any request that did not ask for keep-alive (HTTP/1.0 without
///   `Connection: keep-alive`, HTTP/1.1 with `Connection: close`) gets `Connection: close` and the connection is
///   closed after the response.
/// The connection cap is Hummingbird's `MaximumAvailableConnections` (see `ApplicationConfiguration`).
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let inner: HTTP1Channel
    let limits: RelayConfiguration.Server.Limits

    init(responder: @escaping HTTPChannelHandler.Responder, limits: RelayConfiguration.Server.Limits) {
        self.limits = limits
        inner = HTTP1Channel(responder: responder,
                             configuration: .init(idleTimeout: .nanoseconds(Int64(limits.idleTimeoutSeconds * 1e9))))
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let clock = RequestDeadlines(head: .nanoseconds(Int64(limits.requestHeadTimeoutSeconds * 1e9)),
                                     body: .nanoseconds(Int64(limits.requestBodyTimeoutSeconds * 1e9)))
        do {
            try channel.pipeline.syncOperations.addHandler(FirstByteWatcher(clock: clock), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        // Called on the channel's event loop; the inner set-up completes there too.
        return inner.setup(channel: channel, logger: logger).assumeIsolated().flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(RequestPartWatcher(clock: clock), position: .after(decoder))
            return value
        }.nonisolated()
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }

    /// The Hummingbird server builder for this channel.
    static func builder(limits: RelayConfiguration.Server.Limits) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in GuardedHTTP1Channel(responder: responder, limits: limits) }
    }
}

/// Where the current request of one connection is, and its deadline. Used only on the connection's event loop
/// by the two handlers below.
final class RequestDeadlines {
    enum Phase { case idle, head, body, responding }

    let headTimeout: TimeAmount
    let bodyTimeout: TimeAmount
    var phase = Phase.idle
    var timer: Scheduled<Void>?
    /// Whether the current request asked to keep the connection open, and its HTTP version.
    var keepAlive = true
    var version = HTTPVersion.http1_1

    init(head: TimeAmount, body: TimeAmount) {
        headTimeout = head
        bodyTimeout = body
    }

    /// Enters `phase`; closes the connection if it is still in it after `timeout`.
    func enter(_ phase: Phase, timeout: TimeAmount?, context: ChannelHandlerContext) {
        self.phase = phase
        timer?.cancel()
        timer = nil
        guard let timeout else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            guard let self, self.phase == phase else { return }
            self.timer = nil
            context.close(promise: nil)
        }
    }

    func stop() {
        timer?.cancel()
        timer = nil
    }
}

/// First in the pipeline: sees the first byte of each request and starts its head deadline.
final class FirstByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let clock: RequestDeadlines

    init(clock: RequestDeadlines) { self.clock = clock }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if clock.phase == .idle, unwrapInboundIn(data).readableBytes > 0 {
            clock.enter(.head, timeout: clock.headTimeout, context: context)
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clock.stop()
        context.fireChannelInactive()
    }
}

/// After the HTTP/1 decoder: the head is complete (body deadline starts), the body is complete (deadline ends), the
/// response is written (the connection is idle again, or closed when the request did not ask for keep-alive).
final class RequestPartWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let clock: RequestDeadlines

    init(clock: RequestDeadlines) { self.clock = clock }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            clock.keepAlive = head.isKeepAlive
            clock.version = head.version
            clock.enter(.body, timeout: clock.bodyTimeout, context: context)
        case .body:
            break
        case .end:
            clock.enter(.responding, timeout: nil, context: context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            if clock.version == .http1_0 {
                head.version = .http1_0
                if clock.keepAlive { head.headers.replaceOrAdd(name: "connection", value: "keep-alive") }
            }
            if !clock.keepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            let close = !clock.keepAlive
            if clock.phase == .responding { clock.enter(.idle, timeout: nil, context: context) }
            clock.keepAlive = true
            clock.version = .http1_1
            if close {
                let written = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(data, promise: written)
                written.futureResult.assumeIsolated().whenComplete { result in
                    promise?.completeWith(result)
                    context.close(promise: nil)
                }
            } else {
                context.write(data, promise: promise)
            }
        }
    }
}
