import Hummingbird
import Logging
import NIOCore
import RelayCore
import RelayStore

/// The aggregator callback routes (SPEC §3): `POST /v1/callbacks/{segment}/{clientId}` for each aggregator, plus
/// `GET` probes. Order of checks: client (404) → credentials (401) → body size (413) → shape (400, quarantined) →
/// durable commit (200, or 503 when storage fails).
struct CallbackController<Context: RequestContext>: Sendable {
    /// The configuration in force (replaced by a reload); read per request.
    let live: LiveConfiguration
    var configuration: RelayConfiguration { live.current }
    let store: any RelayStore
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
                                      pathToken: context.parameters.get("token"))
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

    static func probe() -> Response {
        JSONResponse.make(.ok, ["status": "ok"])
    }

    func receive(_ aggregator: Aggregator, request: Request, context: Context, pathToken: String?) async throws -> Response {
        let receivedAt = WallClock.now()
        let clientId = context.parameters.get("clientId") ?? ""
        guard let client = configuration.client(id: clientId), client.accepts(aggregator) else {
            metrics.callback(aggregator, "unknown_client")
            return JSONResponse.error(.notFound, "unknown_client",
                                      "no client \(clientId) with a \(aggregator.rawValue) account is configured")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: configuration.server.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            metrics.callback(aggregator, "too_large")
            return JSONResponse.error(.contentTooLarge, "body_too_large",
                                      "the body is larger than \(configuration.server.maxBodyBytes) bytes")
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
        var presented = CallbackAuthenticator.Presented(
            headers: request.headers,
            pathToken: pathToken ?? request.uri.queryParameters.get("token").map { String($0) })
        if aggregator == .shipway, presented.pathToken == nil {
            presented.bodyHash = (try? json.get())?["hash"]?.text
        }
        guard CallbackAuthenticator.isAuthorized(client: client, aggregator: aggregator, presented: presented) else {
            metrics.callback(aggregator, "unauthorized")
            return JSONResponse.error(.unauthorized, "unauthorized", "missing or wrong \(aggregator.rawValue) credentials")
        }
        let inbound = InboundCallback(
            client: client.id, aggregator: aggregator, receivedAt: receivedAt, contentType: contentType,
            headers: Self.keptHeaders(request.headers, client: client), body: bytes)
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
