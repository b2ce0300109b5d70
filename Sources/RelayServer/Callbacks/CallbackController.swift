import Hummingbird
import Logging
import NIOCore
import RelayCore
import RelayDelivery
import RelayStore

/// The aggregator callback routes (docs/CONTRACT.md §3): `POST /v1/callbacks/{segment}/{clientId}` for each aggregator, plus
/// `GET` probes. Order of checks: client (404) → credentials (401) → body size (413) → shape (400, quarantined) →
/// durable commit (200, or 503 when storage fails).
struct CallbackController<Context: RequestContext>: Sendable {
    /// The configuration in force (replaced by a reload); read per request.
    let live: LiveConfiguration
    var configuration: RelayConfiguration { live.current }
    let store: any CallbackInbox
    let queue: NormalisationQueue
    let metrics: RelayMetrics
    /// Storage failures, at most one line per cause every 10 s (a full disk fails every request).
    let storageErrors = RateLimitedLogger(logger: Logger(label: "relay"))

    func addRoutes(to router: Router<Context>) {
        for aggregator in Aggregator.allCases {
            let path = RouterPath("/v1/callbacks/\(configuration.server.segment(for: aggregator))/:clientId")
            router.get(path) { _, _ in Self.probe() }
            router.post(path) { request, context in
                try await receive(aggregator, request: request, context: context, pathToken: nil)
            }
            if aggregator == .shipway {
                let tokenPath = RouterPath("/v1/callbacks/\(configuration.server.segment(for: aggregator))/:clientId/:token")
                router.get(tokenPath) { _, _ in Self.probe() }
                router.post(tokenPath) { request, context in
                    try await receive(aggregator, request: request, context: context,
                                      pathToken: context.parameters.decoded("token"))
                }
            }
        }
    }

    /// The request headers stored with a callback: everything but credentials.
    static func keptHeaders(_ headers: HTTPFields, client: Client) -> [(name: String, value: String)] {
        var kept: [(name: String, value: String)] = []
        for field in headers where !CallbackAuthenticator.isSecretHeader(field.name.canonicalName, client: client) {
            kept.append((name: field.name.canonicalName, value: field.value))
        }
        return kept
    }

    static func unauthorized(_ aggregator: Aggregator) -> Response {
        JSONResponse.error(.unauthorized, "unauthorized", "missing or wrong \(aggregator.rawValue) credentials")
    }

    func tooLarge() -> Response {
        JSONResponse.error(.contentTooLarge, "body_too_large",
                           "the body is larger than \(configuration.server.maxBodyBytes) bytes")
    }

    /// Bodies up to this size that arrive with a refused request are read and dropped by the server (the
    /// connection stays usable); a larger or chunked body is never read: the connection closes after the answer.
    static var drainableBodyBytes: Int { 64 * 1024 }

    /// An answer decided from the request head alone. When the request announces a large or chunked body, the
    /// server stops reading the connection (`Connection: close`), so refusing costs nothing per body byte.
    func refusedBeforeBody(_ request: Request, context: Context, _ response: Response) -> Response {
        let length = request.headers[.contentLength].flatMap { Int($0) }
        let chunked = request.headers[.transferEncoding] != nil
        guard chunked || (length ?? 0) > Self.drainableBodyBytes,
            let closing = context as? any ConnectionClosingContext
        else { return response }
        var response = response
        response.headers[.connection] = "close"
        closing.stopReading()
        return response
    }

    /// Quarantine keeps at most this much of a body that is not JSON or breaks a size limit.
    static var quarantinedPrefixBytes: Int { 64 * 1024 }

    /// A body that is not JSON (or form) or breaks a size limit can never parse, whatever parser fix follows, so
    /// quarantine keeps its first 64 KiB (enough to see what was sent) and says so in a header
    /// `x-relay-quarantine-truncated: kept N of M bytes`; storing a megabyte of junk per request would make such a
    /// request cost some 25 normal callbacks. Bodies of the wrong shape are kept whole (a parser fix may accept them).
    static func boundQuarantine(_ inbound: inout InboundCallback, _ error: CallbackParseError) {
        guard error.isLimit || error.shortDescription == "body_not_json",
            inbound.body.count > quarantinedPrefixBytes
        else { return }
        inbound.headers.append((name: "x-relay-quarantine-truncated",
                                value: "kept \(quarantinedPrefixBytes) of \(inbound.body.count) bytes"))
        inbound.body = Array(inbound.body.prefix(quarantinedPrefixBytes))
    }

    static func probe() -> Response {
        JSONResponse.make(.ok, ["status": "ok"])
    }

    func receive(_ aggregator: Aggregator, request: Request, context: Context, pathToken: String?) async throws -> Response {
        let receivedAt = WallClock.now()
        let clientId = context.parameters.decoded("clientId") ?? ""
        guard let client = configuration.client(id: clientId), client.accepts(aggregator) else {
            metrics.callback(aggregator, "unknown_client")
            return refusedBeforeBody(request, context: context, JSONResponse.error(
                .notFound, "unknown_client", "no client \(clientId) with a \(aggregator.rawValue) account is configured"))
        }
        // Credentials in headers, the path or the query are checked before any body byte is read.
        var presented = CallbackAuthenticator.Presented(
            headers: request.headers,
            pathToken: pathToken ?? request.uri.queryParameters.get("token").map { String($0) })
        let decision = CallbackAuthenticator.decideFromHead(client: client, aggregator: aggregator, presented: presented)
        if decision == .unauthorized {
            metrics.callback(aggregator, "unauthorized")
            return refusedBeforeBody(request, context: context, Self.unauthorized(aggregator))
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > configuration.server.maxBodyBytes {
            metrics.callback(aggregator, "too_large")
            return refusedBeforeBody(request, context: context, tooLarge())
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: configuration.server.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            metrics.callback(aggregator, "too_large")
            return tooLarge()
        }
        let bytes = body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? []  // one memcpy
        let contentType = request.headers[.contentType]
        // Read once: the same JSON gives the events and, for Shipway's classic shape, the body `hash` credential.
        let json: Result<JSONValue, CallbackParseError>
        do {
            json = .success(try CallbackParser.readBody(aggregator: aggregator, body: bytes, contentType: contentType))
        } catch {
            json = .failure(error)
        }
        if decision == .needsBody {
            presented.bodyHash = (try? json.get())?["hash"]?.text
            guard CallbackAuthenticator.isAuthorized(client: client, aggregator: aggregator, presented: presented) else {
                // A body over a size limit cannot show its credential: say which limit, keep nothing.
                if case .failure(let error) = json, error.isLimit {
                    metrics.callback(aggregator, "rejected")
                    return JSONResponse.error(.badRequest, error.shortDescription, error.detail)
                }
                metrics.callback(aggregator, "unauthorized")
                return Self.unauthorized(aggregator)
            }
        }
        let parsed: Result<ParsedCallback, CallbackParseError>
        switch json {
        case .success(let value):
            do {
                parsed = .success(try CallbackParser.parse(aggregator: aggregator, json: value))
            } catch {
                parsed = .failure(error)
            }
        case .failure(let error):
            parsed = .failure(error)
        }
        var inbound = InboundCallback(
            client: client.id, aggregator: aggregator, receivedAt: receivedAt, contentType: contentType,
            headers: Self.keptHeaders(request.headers, client: client), body: bytes)
        if case .failure(let error) = parsed { Self.boundQuarantine(&inbound, error) }
        switch parsed {
        case .failure(let error):
            do {
                let id = try await store.quarantine(inbound, error: error.shortDescription, detail: error.detail)
                context.logger.info("callback rejected and quarantined",
                                    metadata: ["relay.callback.id": "\(id)", "relay.error": "\(error.shortDescription)"])
            } catch {
                // Not kept: a 400 would make the aggregator drop the bytes for good; 503 makes it send them again.
                storageErrors.error("cannot quarantine a rejected callback", cause: "quarantine",
                                    metadata: ["error": "\(error)"])
                metrics.callback(aggregator, "unavailable")
                return JSONResponse.error(.serviceUnavailable, "storage_unavailable",
                                          "the callback could not be stored; retry later",
                                          headers: [.retryAfter: "5"])
            }
            metrics.callback(aggregator, "rejected")
            return JSONResponse.error(.badRequest, error.shortDescription, error.detail)
        case .success(let callback):
            let outcome: IngestOutcome
            do {
                outcome = try await store.ingest(inbound, dedupKey: callback.dedupKey)
            } catch {
                storageErrors.error("cannot store a callback", cause: "ingest", metadata: ["error": "\(error)"])
                metrics.callback(aggregator, "unavailable")
                return JSONResponse.error(.serviceUnavailable, "storage_unavailable",
                                          "the callback could not be stored; retry later",
                                          headers: [.retryAfter: "5"])
            }
            if !outcome.duplicate {
                queue.submit(NormalisationInput(
                    callback: StoredCallback(seq: outcome.seq, id: outcome.callbackId, client: client.id,
                                             aggregator: aggregator, receivedAt: receivedAt, contentType: contentType,
                                             body: bytes),
                    parsed: callback))
            }
            metrics.callback(aggregator, outcome.duplicate ? "duplicate" : "accepted")
            return JSONResponse.make(.ok, [
                "status": .string(outcome.duplicate ? "duplicate" : "accepted"),
                "callbackId": .string(outcome.callbackId),
            ])
        }
    }
}
