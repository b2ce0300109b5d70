<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model\Processor;

/**
 * Checks that a verified body has what the store's observers rely on (the relay's documented payloads:
 * notification, invoice notification, return acknowledgement, outward order posting). Extra fields are allowed;
 * notification types are an open set (unknown names pass).
 */
final class PayloadValidator
{
    /**
     * @param mixed $payload the decoded JSON body
     * @throws InvalidPayloadException
     */
    public function validate(string $kind, mixed $payload): void
    {
        if (!is_array($payload) || ($payload !== [] && array_is_list($payload))) {
            throw new InvalidPayloadException('(body)', 'a JSON object is required');
        }
        switch ($kind) {
            case WebhookProcessor::NOTIFICATION:
                $this->notification($payload);
                break;
            case WebhookProcessor::RETURN_ACK:
                $this->returnAck($payload);
                break;
            case WebhookProcessor::ORDER_POSTING:
                $this->orderPosting($payload);
                break;
            default:
                throw new \InvalidArgumentException("Unknown endpoint kind {$kind}");
        }
    }

    /** @param array<string, mixed> $payload */
    private function notification(array $payload): void
    {
        $type = $payload['notificationType'] ?? null;
        if (!is_string($type) || preg_match('/^[A-Z][A-Z_]*$/', $type) !== 1) {
            throw new InvalidPayloadException('notificationType', 'an UPPER_SNAKE notification type is required');
        }
        $this->optionalString($payload, 'forwardOrderCode');
        $this->optionalString($payload, 'forwardShipmentCode');
        if (!is_int($payload['notificationUpdateTime'] ?? null) && !is_string($payload['notificationUpdateTime'] ?? null)) {
            throw new InvalidPayloadException('notificationUpdateTime', 'a time is required');
        }
        if ($type === 'INVOICE_GENERATED') {
            $this->requiredString($payload, 'forwardOrderCode');
            if (!is_array($payload['invoiceData'] ?? null)) {
                throw new InvalidPayloadException('invoiceData', 'an object is required for INVOICE_GENERATED');
            }
            return;
        }
        $this->optionalString($payload, 'forwardAwb');
        if (!array_key_exists('returnOrderInfo', $payload)) {
            throw new InvalidPayloadException('returnOrderInfo', 'required (null for a forward shipment)');
        }
        if ($payload['returnOrderInfo'] !== null && !is_array($payload['returnOrderInfo'])) {
            throw new InvalidPayloadException('returnOrderInfo', 'an object or null is required');
        }
        if (!is_array($payload['logisticAggregatorInfo'] ?? null)) {
            throw new InvalidPayloadException('logisticAggregatorInfo', 'an object is required');
        }
        $items = $payload['items'] ?? null;
        if ($items !== null && !is_array($items)) {
            throw new InvalidPayloadException('items', 'a list or null is required');
        }
    }

    /** @param array<string, mixed> $payload */
    private function returnAck(array $payload): void
    {
        foreach (['returnOrderCode', 'forwardOrderCode', 'locationCode'] as $field) {
            $this->requiredString($payload, $field);
        }
        $items = $payload['orderItems'] ?? null;
        if (!is_array($items) || $items === [] || !array_is_list($items)) {
            throw new InvalidPayloadException('orderItems', 'a non-empty list is required');
        }
        foreach ($items as $index => $item) {
            if (!is_array($item)) {
                throw new InvalidPayloadException("orderItems[{$index}]", 'an object is required');
            }
            $status = $item['qcStatus'] ?? null;
            if ($status !== 'PASS' && $status !== 'FAIL') {
                throw new InvalidPayloadException("orderItems[{$index}].qcStatus", 'PASS or FAIL is required');
            }
        }
    }

    /** @param array<string, mixed> $payload */
    private function orderPosting(array $payload): void
    {
        $messageId = $payload['messageId'] ?? null;
        if (!(is_int($messageId) || (is_string($messageId) && $messageId !== ''))) {
            throw new InvalidPayloadException('messageId', 'a number or non-empty string is required');
        }
        foreach (['orderCode', 'eventType'] as $field) {
            $this->requiredString($payload, $field);
        }
        $shipments = $payload['shipments'] ?? [];
        if (!is_array($shipments) || ($shipments !== [] && !array_is_list($shipments))) {
            throw new InvalidPayloadException('shipments', 'a list is required');
        }
        foreach ($shipments as $index => $shipment) {
            if (!is_array($shipment) || !is_string($shipment['shipmentCode'] ?? null) || $shipment['shipmentCode'] === '') {
                throw new InvalidPayloadException("shipments[{$index}].shipmentCode", 'a non-empty string is required');
            }
        }
    }

    /** @param array<string, mixed> $payload */
    private function requiredString(array $payload, string $field): void
    {
        if (!is_string($payload[$field] ?? null) || $payload[$field] === '') {
            throw new InvalidPayloadException($field, 'a non-empty string is required');
        }
    }

    /** @param array<string, mixed> $payload */
    private function optionalString(array $payload, string $field): void
    {
        if (($payload[$field] ?? null) !== null && !is_string($payload[$field])) {
            throw new InvalidPayloadException($field, 'a string or null is required');
        }
    }
}
