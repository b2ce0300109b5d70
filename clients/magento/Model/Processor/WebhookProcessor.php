<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model\Processor;

use Increff\RelayWebhooks\Exception\WebhookVerificationException;
use Increff\RelayWebhooks\Headers;
use Increff\RelayWebhooks\Verifier;
use Increff\ShipmentRelay\Model\Event\EventSinkInterface;
use Increff\ShipmentRelay\Model\Idempotency\SeenStoreInterface;

/**
 * What happens to one delivery from the relay, framework-free:
 *
 *  1. the Standard Webhooks signature is verified           -> 401 when it does not (the relay records http_4xx)
 *  2. the body is JSON of the documented shape               -> 400 naming the first bad field
 *     a test send (header webhook-attempt-trigger: test, from `relay send-test` or the /ops button) stops here:
 *                                                            -> 200 "test", nothing recorded or dispatched
 *  3. a webhook-id seen before is a duplicate                -> 200 "duplicate", nothing dispatched
 *     (order postings: a messageId seen before as well; of the shipments, only codes never processed are new)
 *  4. the Magento event is dispatched to the store's observers -> 200 "accepted"
 *     increff_shipment_notification {notification, notification_type, webhook_id}
 *     increff_return_ack            {return_ack, webhook_id}
 *     increff_order_posting         {posting, new_shipments, event_type, webhook_id}
 *  5. an observer throws                                      -> 500, and the claims are released: the relay's
 *                                                                retry is processed again, not called a duplicate
 */
final class WebhookProcessor
{
    public const NOTIFICATION = 'notification';
    public const RETURN_ACK = 'return_ack';
    public const ORDER_POSTING = 'order_posting';

    public const EVENT_NOTIFICATION = 'increff_shipment_notification';
    public const EVENT_RETURN_ACK = 'increff_return_ack';
    public const EVENT_ORDER_POSTING = 'increff_order_posting';

    private const METHODS = [self::NOTIFICATION => 'POST', self::RETURN_ACK => 'PUT', self::ORDER_POSTING => 'POST'];

    private readonly PayloadValidator $validator;

    public function __construct(
        private readonly SeenStoreInterface $seen,
        private readonly EventSinkInterface $events,
        ?PayloadValidator $validator = null,
    ) {
        $this->validator = $validator ?? new PayloadValidator();
    }

    /**
     * @param string $kind notification | return_ack | order_posting
     * @param string $body the raw request body
     * @param array<array-key, mixed>|object $headers request headers (array, $_SERVER or PSR-7 style object)
     */
    public function process(Verifier $verifier, string $kind, string $method, string $body, array|object $headers): Outcome
    {
        $expected = self::METHODS[$kind] ?? throw new \InvalidArgumentException("Unknown endpoint kind {$kind}");
        if (strtoupper($method) !== $expected) {
            return new Outcome(405, 'wrong_method', ['error' => 'wrong_method', 'detail' => "use {$expected}"]);
        }
        $headers = Headers::from($headers);
        try {
            $webhook = $verifier->verify($body, $headers);
        } catch (WebhookVerificationException $error) {
            return $this->failure(401, 'invalid_signature', $error->getMessage(), $kind);
        }
        try {
            $payload = $webhook->json();
            $this->validator->validate($kind, $payload);
        } catch (\JsonException $error) {
            return $this->failure(400, 'invalid_body', 'not JSON: ' . $error->getMessage(), $kind);
        } catch (InvalidPayloadException $error) {
            return $this->failure(400, 'invalid_body', $error->getMessage(), $kind, $error->field);
        }
        /** @var array<string, mixed> $payload */
        if ($headers->get('webhook-attempt-trigger') === 'test') {
            return $this->success('test', $webhook->id, $kind);
        }
        if (!$this->seen->claim('webhook', $webhook->id)) {
            return $this->success('duplicate', $webhook->id, $kind);
        }
        $claims = [['webhook', $webhook->id]];
        try {
            switch ($kind) {
                case self::NOTIFICATION:
                    $this->events->dispatch(self::EVENT_NOTIFICATION, [
                        'notification' => $payload, 'notification_type' => $payload['notificationType'],
                        'webhook_id' => $webhook->id,
                    ]);
                    return $this->success('accepted', $webhook->id, $kind);
                case self::RETURN_ACK:
                    $this->events->dispatch(self::EVENT_RETURN_ACK, ['return_ack' => $payload, 'webhook_id' => $webhook->id]);
                    return $this->success('accepted', $webhook->id, $kind);
                default:
                    return $this->orderPosting($payload, $webhook->id, $claims);
            }
        } catch (\Throwable $error) {
            foreach ($claims as [$scope, $key]) {
                $this->seen->release($scope, $key);
            }
            return $this->failure(500, 'failed', 'processing failed: ' . $error->getMessage(), $kind);
        }
    }

    /**
     * Seed "outward order posting": idempotent on messageId and on shipmentCode (an invoiced shipment reappears in
     * every later posting of its order); only shipments never processed are handed to the observers.
     *
     * @param array<string, mixed> $payload
     * @param list<array{string, string}> $claims filled with what this call claimed (released on failure)
     */
    private function orderPosting(array $payload, string $webhookId, array &$claims): Outcome
    {
        $messageId = (string) $payload['messageId'];
        if (!$this->seen->claim('order_message', $messageId)) {
            return $this->success('duplicate', $webhookId, self::ORDER_POSTING);
        }
        $claims[] = ['order_message', $messageId];
        $new = [];
        foreach ($payload['shipments'] ?? [] as $shipment) {
            if ($this->seen->claim('order_shipment', $shipment['shipmentCode'])) {
                $claims[] = ['order_shipment', $shipment['shipmentCode']];
                $new[] = $shipment;
            }
        }
        $this->events->dispatch(self::EVENT_ORDER_POSTING, [
            'posting' => $payload, 'new_shipments' => $new, 'event_type' => $payload['eventType'],
            'webhook_id' => $webhookId,
        ]);
        return $this->success('accepted', $webhookId, self::ORDER_POSTING,
            ['newShipmentCodes' => array_map(static fn (array $s): string => $s['shipmentCode'], $new)]);
    }

    /** @param array<string, mixed> $extra */
    private function success(string $result, string $webhookId, string $kind, array $extra = []): Outcome
    {
        $body = ['status' => $result, 'webhookId' => $webhookId] + $extra;
        if ($kind === self::ORDER_POSTING) {
            // The order-posting answer the seed documents; the relay treats "hasError": true as a failed attempt.
            $body = ['hasError' => false, 'errorMessage' => null] + $body;
        }
        return new Outcome(200, $result, $body);
    }

    private function failure(int $status, string $error, string $detail, string $kind, ?string $field = null): Outcome
    {
        $body = ['error' => $error, 'detail' => $detail];
        if ($field !== null) {
            $body['field'] = $field;
        }
        if ($kind === self::ORDER_POSTING) {
            $body = ['hasError' => true, 'errorMessage' => $detail] + $body;
        }
        return new Outcome($status, $error, $body);
    }
}
