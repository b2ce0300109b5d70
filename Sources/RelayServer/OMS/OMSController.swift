import HTTPTypes
import Hummingbird
import NIOCore
import RelayCore
import RelayDelivery
import RelayStore

/// The OMS routes (docs/CONTRACT.md §5), authenticated with the client's `api_token` (bearer):
/// shipment registry, return acknowledgements, invoices and order postings.
struct OMSController<Context: RequestContext>: Sendable {
    /// The configuration in force (replaced by a reload); read per request.
    let live: LiveConfiguration
    var configuration: RelayConfiguration { live.current }
    let store: any ShipmentRegistry

    func addRoutes(to router: Router<Context>) {
        let clients = router.group("/v1/clients/:clientId")
        clients.put("shipments/:awb") { request, context in try await registerShipment(request, context) }
        clients.get("shipments/:awb") { request, context in try await showShipment(request, context) }
        clients.delete("shipments/:awb") { request, context in try await deleteShipment(request, context) }
        clients.post("return-acks") { request, context in
            try await receive(request, context) { (body: JSONValue, _: EventTime) throws(OMSValidationError) in try OMSValidator.returnAck(body) }
        }
        clients.post("invoices") { request, context in
            try await receive(request, context) { (body: JSONValue, _: EventTime) throws(OMSValidationError) in
                try OMSValidator.invoice(body)
            }
        }
        clients.post("order-postings") { request, context in
            try await receive(request, context) { (body: JSONValue, _: EventTime) throws(OMSValidationError) in try OMSValidator.orderPosting(body) }
        }
    }

    /// The client when the bearer token is right, else the error response.
    func authenticate(_ request: Request, _ context: Context) -> Checked<Client> {
        let clientId = context.parameters.decoded("clientId") ?? ""
        guard let client = configuration.client(id: clientId) else {
            return .failure(JSONResponse.error(.notFound, "unknown_client", "no client \(clientId) is configured"))
        }
        guard let token = client.apiToken, ConstantTime.matchesAny(request.bearerToken, [token]) else {
            return .failure(JSONResponse.error(.unauthorized, "unauthorized", "missing or wrong bearer api_token"))
        }
        return .success(client)
    }

    func readJSON(_ request: Request) async throws -> Checked<JSONValue> {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: configuration.server.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return .failure(JSONResponse.error(.contentTooLarge, "body_too_large", "the body is too large"))
        }
        do {
            return .success(try JSONValue.parse(Array(body.readableBytesView)))
        } catch {
            return .failure(JSONResponse.error(.badRequest, "body_not_json", "\(error)"))
        }
    }

    func receive(_ request: Request, _ context: Context,
                 validate: (JSONValue, EventTime) throws(OMSValidationError) -> OMSMessage) async throws -> Response {
        guard case .success(let client) = authenticate(request, context) else {
            return authenticate(request, context).response
        }
        let body: JSONValue
        switch try await readJSON(request) {
        case .failure(let response): return response
        case .success(let json): body = json
        }
        let now = WallClock.now()
        let message: OMSMessage
        do {
            message = try validate(body, now)
        } catch {
            return JSONResponse.make(.badRequest, [
                "error": "invalid_body", "detail": .string(error.description), "field": .string(error.field),
            ])
        }
        let endpoints = client.endpoints.filter { $0.kind == message.kind.endpointKind }.map(\.id)
        guard !endpoints.isEmpty else {
            return JSONResponse.error(.unprocessableContent, "no_endpoint",
                                      "client \(client.id) has no \(message.kind.endpointKind.rawValue) endpoint configured")
        }
        do {
            let stored = try await store.storeMessage(message, client: client.id, endpointIds: endpoints, receivedAt: now)
            return JSONResponse.make(.accepted, [
                "status": .string(stored.duplicate ? "duplicate" : "accepted"),
                "notificationId": .string(stored.notificationId),
            ])
        } catch {
            return Self.storageUnavailable
        }
    }

    func registerShipment(_ request: Request, _ context: Context) async throws -> Response {
        guard case .success(let client) = authenticate(request, context) else {
            return authenticate(request, context).response
        }
        let checkedAwb = Self.awb(context)
        guard case .success(let awb) = checkedAwb else { return checkedAwb.response }
        let body: JSONValue
        switch try await readJSON(request) {
        case .failure(let response): return response
        case .success(let json): body = json
        }
        guard body.object != nil else {
            return JSONResponse.make(.badRequest, ["error": "invalid_body", "detail": "(body): must be a JSON object",
                                                   "field": "(body)"])
        }
        if body["forwardOrderCode"]?.text == nil {
            return JSONResponse.make(.badRequest, ["error": "invalid_body", "detail": "forwardOrderCode: is required",
                                                   "field": "forwardOrderCode"])
        }
        if let items = body["items"], !items.isNull {
            for (index, item) in (items.array ?? []).enumerated() where item["sku"]?.text == nil {
                return JSONResponse.make(.badRequest, ["error": "invalid_body",
                                                       "detail": .string("items[\(index)].sku: is required"),
                                                       "field": .string("items[\(index)].sku")])
            }
        }
        guard let registration = ShipmentRegistration(json: body, awb: awb) else {
            return JSONResponse.error(.badRequest, "invalid_body", "not a shipment registration")
        }
        let released: Int
        do {
            released = try await store.register(registration, client: client.id, now: WallClock.now())
        } catch {
            return Self.storageUnavailable
        }
        // Notifications held for want of an order code leave now, in order.
        return JSONResponse.make(.ok, ["status": "registered", "awb": .string(awb),
                                       "releasedDeliveries": .int(Int64(released))])
    }

    func showShipment(_ request: Request, _ context: Context) async throws -> Response {
        guard case .success(let client) = authenticate(request, context) else {
            return authenticate(request, context).response
        }
        let checkedAwb = Self.awb(context)
        guard case .success(let awb) = checkedAwb else { return checkedAwb.response }
        let found: ShipmentRegistration?
        do {
            found = try await store.registration(client: client.id, awb: awb)
        } catch {
            return Self.storageUnavailable
        }
        guard let registration = found else {
            return JSONResponse.error(.notFound, "not_registered", "no registration for \(awb)")
        }
        var json = registration.json.object ?? JSONObject()
        json["awb"] = .string(awb)
        return JSONResponse.make(.ok, .object(json))
    }

    func deleteShipment(_ request: Request, _ context: Context) async throws -> Response {
        guard case .success(let client) = authenticate(request, context) else {
            return authenticate(request, context).response
        }
        let checkedAwb = Self.awb(context)
        guard case .success(let awb) = checkedAwb else { return checkedAwb.response }
        let removed: Bool
        do {
            removed = try await store.unregister(client: client.id, awb: awb)
        } catch {
            return Self.storageUnavailable
        }
        guard removed else {
            return JSONResponse.error(.notFound, "not_registered", "no registration for \(awb)")
        }
        return Response(status: .noContent)
    }
}

extension OMSController {
    /// The answer when the store cannot take, show or remove a message or registration: 503, retry in 5 s.
    static var storageUnavailable: Response {
        JSONResponse.error(.serviceUnavailable, "storage_unavailable", "could not store; retry later",
                           headers: [.retryAfter: "5"])
    }

    /// The waybill of a shipment route: 1 to `CallbackParser.maxIdentifierBytes` bytes without control characters
    /// (the stores key registrations by it; PostgreSQL text cannot hold NUL).
    static func awb(_ context: Context) -> Checked<String> {
        let awb = context.parameters.decoded("awb") ?? ""
        guard !awb.isEmpty, awb.utf8.count <= CallbackParser.maxIdentifierBytes,
            !awb.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            return .failure(JSONResponse.error(
                .badRequest, "invalid_awb",
                "the waybill must be 1 to \(CallbackParser.maxIdentifierBytes) bytes without control characters"))
        }
        return .success(awb)
    }
}

/// A checked input, or the error response to send instead.
enum Checked<Value> {
    case success(Value)
    case failure(Response)

    /// The error response (an internal error for a success, which callers never ask for).
    var response: Response {
        if case .failure(let response) = self { return response }
        return Response(status: .internalServerError)
    }
}
