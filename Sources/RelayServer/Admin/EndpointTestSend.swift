import Foundation
import HTTPTypes
import Hummingbird
import RelayCore
import RelayDelivery
import RelayStore

/// Signed sample messages for `POST /admin/v1/endpoints/{id}/test`, the `/ops` "Send test" button and
/// `relay send-test`: the documented shape of what the endpoint receives, with TEST-… codes.
enum TestSamples {
    /// The body for an endpoint; `type` picks the notification type (notification and extra endpoints).
    static func payload(for endpoint: Endpoint, client: Client, type: String, now: Int64) -> JSONValue {
        switch endpoint.kind {
        case .returnAck:
            return [
                "returnOrderCode": "TEST-RETURN-1", "forwardOrderCode": "TEST-ORDER-1", "locationCode": "TEST-WH",
                "orderItems": [["itemCode": "TEST-ITEM-1", "channelSkuCode": "TEST-SKU", "qcStatus": "PASS"]],
            ]
        case .orderPosting:
            let time = EventTime(epochMilliseconds: now * 1000).iso8601
            let address: JSONValue = [
                "name": "Test Customer", "line1": "Test line 1", "city": "Bengaluru",
                "state": "Karnataka", "zip": "560001", "country": "INDIA",
            ]
            return [
                "partnerCode": "TEST", "partnerLocationCode": "TEST", "isPriority": false, "locationCode": "TEST-WH",
                "orderCode": "TEST-ORDER-1", "channelName": "TEST", "orderTime": .string(time), "orderType": "SO",
                "messageId": .int(now), "paymentMethod": "PREPAID", "eventTime": .string(time),
                "eventType": "OUTWARD_ORDER_CREATE",
                "orderItems": [
                    [
                        "orderItemCode": "TEST-ITEM-1", "channelSkuCode": "TEST-SKU", "orderedQuantity": 1,
                        "cancelledQuantity": 0, "sellingPricePerUnit": 1, "barcode": "TEST-BARCODE",
                    ]
                ],
                "shippingAddress": address, "billingAddress": address,
            ]
        case .notification, .extra:
            if type == "INVOICE_GENERATED" {
                return [
                    "forwardOrderCode": "TEST-ORDER-1", "forwardShipmentCode": "TEST-SHIPMENT-1",
                    "notificationType": "INVOICE_GENERATED", "notificationUpdateTime": .int(now),
                    "invoiceData": [
                        "invoiceId": "TEST-INVOICE-1", "invoiceStatus": "CREATED",
                        "documentType": "INVOICE", "documentUrl": "",
                    ],
                ]
            }
            let isReturn = NotificationType(name: type).isReturnType
            let metadata = JSONValue.object(JSONObject(client.metadata.map { (key: $0.key, value: .string($0.value)) }))
            return [
                "forwardOrderCode": "TEST-ORDER-1", "forwardShipmentCode": "TEST-SHIPMENT-1",
                "forwardAwb": "TEST-AWB-1",
                "courierName": "TEST", "notificationType": .string(type), "notificationUpdateTime": .int(now),
                "logisticAggregatorInfo": ["logisticAggregatorName": "TEST", "logisticAggregatorMetaData": metadata],
                "returnOrderInfo": isReturn
                    ? [
                        "returnOrderId": "TEST-RETURN-1", "returnAwb": "TEST-AWB-1", "transporter": "TEST",
                        "returnOrderTime": .int(now),
                    ]
                    : .null,
                "warehouseCode": "TEST-WH",
                "items": [["itemId": "1", "sku": "TEST-SKU", "quantity": 1]],
            ]
        }
    }

    /// The notification type of a test to `endpoint`: the one asked for, else the first an extra endpoint
    /// subscribes to, else DELIVERED. Nil when the name is not UPPER_SNAKE.
    static func type(_ requested: String?, for endpoint: Endpoint) -> String? {
        let type = requested?.uppercased() ?? endpoint.types?.first?.name ?? "DELIVERED"
        guard !type.isEmpty, type.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || $0 == 95 }) else { return nil }
        return type
    }

    /// Sends a sample to a configured endpoint; the JSON both the admin API and `/ops` report.
    static func run(endpointId: String, requestedType: String?, configuration: RelayConfiguration) async
        -> (status: Int, body: JSONValue)
    {
        guard let client = configuration.clients.first(where: { $0.endpoints.contains { $0.id == endpointId } }),
            let endpoint = client.endpoints.first(where: { $0.id == endpointId })
        else {
            return (404, ["error": "unknown_endpoint", "detail": .string("no endpoint \(endpointId) is configured")])
        }
        guard let type = type(requestedType, for: endpoint) else {
            return (
                400,
                [
                    "error": "invalid_body", "field": "type",
                    "detail": "type: an UPPER_SNAKE notification type, e.g. DELIVERED",
                ]
            )
        }
        let now = WallClock.now()
        let webhookId = Identifier.make(prefix: "ntf_test", epochMilliseconds: now.epochMilliseconds)
        let payload = payload(for: endpoint, client: client, type: type, now: now.epochMilliseconds / 1000)
        let timeout = min(endpoint.timeoutSeconds ?? configuration.delivery.timeoutSeconds, 30)
        let result = await TestSend.send(
            payload.serializedBytes(), webhookId: webhookId, client: client.id,
            to: endpoint, timeout: timeout)
        let sentType: String
        switch endpoint.kind {
        case .returnAck: sentType = "RETURN_ACK"
        case .orderPosting: sentType = "OUTWARD_ORDER_CREATE"
        default: sentType = type
        }
        return (
            200,
            [
                "endpoint": .string(endpoint.id),
                "url": .string(endpoint.displayURL),
                "method": .string(endpoint.method), "type": .string(sentType), "webhookId": .string(webhookId),
                "delivered": .bool(result.delivered), "status": result.statusCode.map { .int(Int64($0)) } ?? .null,
                "failureClass": .string(orNull: result.failure?.rawValue),
                "durationMs": .int(result.durationMilliseconds),
                "responseExcerpt": .string(String(decoding: result.excerpt, as: UTF8.self)),
                "error": .string(orNull: result.error),
            ]
        )
    }
}

extension AdminController {
    /// `POST /admin/v1/endpoints/{id}/test {"type": "DELIVERED"}` (body optional).
    func testSend(_ id: String, request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        let json =
            body.readableBytes == 0
            ? JSONValue.object(JSONObject())
            : ((try? JSONValue.parse(Array(body.readableBytesView))) ?? .null)
        guard json.object != nil else {
            return JSONResponse.error(.badRequest, "invalid_body", "a JSON object is required")
        }
        let (status, answer) = await TestSamples.run(
            endpointId: id, requestedType: json["type"]?.text,
            configuration: configuration)
        return JSONResponse.make(.init(code: status), answer)
    }
}
