<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Test\Unit;

use Increff\RelayWebhooks\Verifier;
use Increff\ShipmentRelay\Model\Event\RecordingEventSink;
use Increff\ShipmentRelay\Model\Idempotency\FileSeenStore;
use Increff\ShipmentRelay\Model\Idempotency\InMemorySeenStore;
use Increff\ShipmentRelay\Model\Idempotency\SeenStoreInterface;
use Increff\ShipmentRelay\Model\Processor\WebhookProcessor;
use PHPUnit\Framework\TestCase;

/** The module's logic on the relay's documented example payloads (Schemas/examples of this repository). */
final class WebhookProcessorTest extends TestCase
{
    private string $secret;
    private Verifier $verifier;
    private InMemorySeenStore $seen;
    private RecordingEventSink $events;
    private WebhookProcessor $processor;

    protected function setUp(): void
    {
        $this->secret = 'whsec_' . base64_encode(random_bytes(32)); // made for this run
        $this->verifier = new Verifier($this->secret);
        $this->seen = new InMemorySeenStore();
        $this->events = new RecordingEventSink();
        $this->processor = new WebhookProcessor($this->seen, $this->events);
    }

    public function testNotificationIsDispatchedOnceAndItsRetryIsADuplicate(): void
    {
        $body = self::example('notification/seed_forward_picked_up.json');
        $headers = $this->signed('ntf_01A', $body);
        $first = $this->processor->process($this->verifier, WebhookProcessor::NOTIFICATION, 'POST', $body, $headers);
        self::assertSame(200, $first->status);
        self::assertSame(['status' => 'accepted', 'webhookId' => 'ntf_01A'], $first->body);
        $events = $this->events->named(WebhookProcessor::EVENT_NOTIFICATION);
        self::assertCount(1, $events);
        self::assertSame('PICKED_UP', $events[0]['notification_type']);
        self::assertSame('awb-1', $events[0]['notification']['forwardAwb']);
        self::assertSame('ntf_01A', $events[0]['webhook_id']);

        // A retry or an ops replay: same webhook-id, new timestamp and signature.
        $again = $this->processor->process($this->verifier, WebhookProcessor::NOTIFICATION, 'POST', $body,
            $this->signed('ntf_01A', $body, time() + 5));
        self::assertSame(200, $again->status);
        self::assertSame('duplicate', $again->result);
        self::assertCount(1, $this->events->events);
    }

    public function testTestSendIsVerifiedAndValidatedButNotRecordedOrDispatched(): void
    {
        $body = self::example('notification/seed_forward_picked_up.json');
        $headers = $this->signed('ntf_test_1', $body) + ['Webhook-Attempt-Trigger' => 'test'];
        $outcome = $this->processor->process($this->verifier, WebhookProcessor::NOTIFICATION, 'POST', $body, $headers);
        self::assertSame(200, $outcome->status);
        self::assertSame(['status' => 'test', 'webhookId' => 'ntf_test_1'], $outcome->body);
        self::assertSame([], $this->events->events);
        self::assertSame([], $this->seen->keys('webhook'));
        // A test with a bad signature is still refused.
        $tampered = $this->processor->process($this->verifier, WebhookProcessor::NOTIFICATION, 'POST', $body . ' ', $headers);
        self::assertSame(401, $tampered->status);
    }

    public function testInvoiceNotificationGoesToTheNotificationEvent(): void
    {
        $body = self::example('invoice-notification/seed_invoice_generated.json');
        $outcome = $this->processor->process($this->verifier, WebhookProcessor::NOTIFICATION, 'POST', $body,
            $this->signed('ntf_inv', $body));
        self::assertSame(200, $outcome->status);
        self::assertSame('INVOICE_GENERATED', $this->events->named(WebhookProcessor::EVENT_NOTIFICATION)[0]['notification_type']);
    }

    public function testReturnAckIsAPut(): void
    {
        $body = self::example('return-ack/seed_qc_fail.json');
        $wrong = $this->processor->process($this->verifier, WebhookProcessor::RETURN_ACK, 'POST', $body, $this->signed('ntf_r', $body));
        self::assertSame(405, $wrong->status);
        $outcome = $this->processor->process($this->verifier, WebhookProcessor::RETURN_ACK, 'PUT', $body, $this->signed('ntf_r', $body));
        self::assertSame(200, $outcome->status);
        $acks = $this->events->named(WebhookProcessor::EVENT_RETURN_ACK);
        self::assertSame('H893RUOT123', $acks[0]['return_ack']['returnOrderCode']);
    }

    public function testTamperedBodyIs401AndNothingIsRecorded(): void
    {
        $body = self::example('notification/seed_forward_picked_up.json');
        $headers = $this->signed('ntf_t', $body);
        $tampered = str_replace('PICKED_UP', 'DELIVERED', $body);
        $outcome = $this->processor->process($this->verifier, WebhookProcessor::NOTIFICATION, 'POST', $tampered, $headers);
        self::assertSame(401, $outcome->status);
        self::assertSame('invalid_signature', $outcome->body['error']);
        self::assertStringContainsString('No matching signature', $outcome->body['detail']);
        self::assertSame([], $this->events->events);
        self::assertSame([], $this->seen->keys('webhook'));
        // The genuine body with the same id is still processed afterwards.
        self::assertSame(200, $this->processor->process($this->verifier, WebhookProcessor::NOTIFICATION, 'POST', $body, $headers)->status);
    }

    public function testWrongSecretAndStaleTimestampAre401(): void
    {
        $body = self::example('notification/seed_forward_picked_up.json');
        $other = new Verifier('whsec_' . base64_encode(random_bytes(32)));
        self::assertSame(401, $this->processor->process($other, WebhookProcessor::NOTIFICATION, 'POST', $body,
            $this->signed('ntf_w', $body))->status);
        $stale = $this->processor->process($this->verifier, WebhookProcessor::NOTIFICATION, 'POST', $body,
            $this->signed('ntf_w', $body, time() - 3600));
        self::assertSame(401, $stale->status);
        self::assertStringContainsString('too old', $stale->body['detail']);
    }

    /** @return array<string, array{string, string, string}> kind, method, example */
    public static function invalidBodies(): array
    {
        return [
            'notification missing its shipment fields' => [WebhookProcessor::NOTIFICATION, 'POST', 'invoice-notification/missing_invoice_fields.invalid.json'],
            'return ack with a bad qcStatus' => [WebhookProcessor::RETURN_ACK, 'PUT', 'return-ack/missing_location_bad_status.invalid.json'],
            'order posting without messageId' => [WebhookProcessor::ORDER_POSTING, 'POST', 'order-posting/missing_message_id.invalid.json'],
        ];
    }

    /** @dataProvider invalidBodies */
    public function testInvalidBodiesAre400WithTheField(string $kind, string $method, string $example): void
    {
        $body = self::example($example);
        $outcome = $this->processor->process($this->verifier, $kind, $method, $body, $this->signed('ntf_bad', $body));
        self::assertSame(400, $outcome->status, json_encode($outcome->body));
        self::assertSame('invalid_body', $outcome->body['error']);
        self::assertArrayHasKey('field', $outcome->body);
        self::assertSame([], $this->events->events);
        self::assertSame([], $this->seen->keys('webhook'), 'a rejected body is not remembered');
    }

    public function testNotJsonIs400(): void
    {
        $outcome = $this->processor->process($this->verifier, WebhookProcessor::NOTIFICATION, 'POST', 'not json',
            $this->signed('ntf_nj', 'not json'));
        self::assertSame(400, $outcome->status);
    }

    public function testOrderPostingsAreIdempotentOnMessageIdAndOnShipmentCode(): void
    {
        $create = self::json('order-posting/seed_outward_order_create.json');
        $first = $this->posting('ntf_p1', $create);
        self::assertSame(200, $first->status);
        self::assertFalse($first->body['hasError']);
        self::assertSame(['UIfd897'], $first->body['newShipmentCodes']);

        // The same messageId under another webhook-id (e.g. posted again upstream): a duplicate, nothing dispatched.
        self::assertSame('duplicate', $this->posting('ntf_p2', $create)->result);

        // A later posting of the order: the invoiced shipment reappears next to a new one; only the new one is new.
        $later = $create;
        $later['messageId'] = 12346;
        $later['eventType'] = 'OUTWARD_ORDER_SHIPMENT_DISPATCH';
        $second = $create['shipments'][0];
        $second['shipmentCode'] = 'UIfd898';
        $later['shipments'][] = $second;
        $outcome = $this->posting('ntf_p3', $later);
        self::assertSame(['UIfd898'], $outcome->body['newShipmentCodes']);

        $postings = $this->events->named(WebhookProcessor::EVENT_ORDER_POSTING);
        self::assertCount(2, $postings);
        self::assertSame(['UIfd897'], array_column($postings[0]['new_shipments'], 'shipmentCode'));
        self::assertSame(['UIfd898'], array_column($postings[1]['new_shipments'], 'shipmentCode'));
        self::assertSame('OUTWARD_ORDER_SHIPMENT_DISPATCH', $postings[1]['event_type']);
        self::assertSame(['UIfd897', 'UIfd898'], $this->seen->keys('order_shipment'));

        // A cancel before invoicing has no shipments: dispatched with none new.
        $cancel = $this->posting('ntf_p4', self::json('order-posting/cancel_before_invoice.json'));
        self::assertSame([], $cancel->body['newShipmentCodes']);
    }

    public function testAFailingObserverReleasesEveryClaimSoTheRetryIsProcessed(): void
    {
        $create = self::json('order-posting/seed_outward_order_create.json');
        $this->events->failWith = new \RuntimeException('stock service down');
        $failed = $this->posting('ntf_f1', $create);
        self::assertSame(500, $failed->status);
        self::assertTrue($failed->body['hasError']);
        self::assertStringContainsString('stock service down', $failed->body['errorMessage']);
        self::assertSame([], $this->seen->keys('webhook'));
        self::assertSame([], $this->seen->keys('order_message'));
        self::assertSame([], $this->seen->keys('order_shipment'));

        $this->events->failWith = null;
        $retry = $this->posting('ntf_f1', $create);
        self::assertSame('accepted', $retry->result);
        self::assertSame(['UIfd897'], $retry->body['newShipmentCodes']);
    }

    public function testFileStoreKeepsClaimsAcrossInstances(): void
    {
        $directory = sys_get_temp_dir() . '/increff-seen-' . bin2hex(random_bytes(6));
        try {
            $first = new FileSeenStore($directory);
            self::assertTrue($first->claim('webhook', 'ntf_x/../../etc'));
            self::assertFalse($first->claim('webhook', 'ntf_x/../../etc'));
            self::assertTrue($first->claim('order_shipment', 'ntf_x/../../etc'), 'scopes are separate');
            $second = new FileSeenStore($directory); // another request of php -S
            self::assertFalse($second->claim('webhook', 'ntf_x/../../etc'));
            $second->release('webhook', 'ntf_x/../../etc');
            self::assertTrue($first->claim('webhook', 'ntf_x/../../etc'));
            self::assertStoreContract(new FileSeenStore($directory . '/contract'));
            self::assertStoreContract(new InMemorySeenStore());
        } finally {
            array_map('unlink', glob($directory . '/contract/*') ?: []);
            @rmdir($directory . '/contract');
            array_map('unlink', glob($directory . '/*') ?: []);
            @rmdir($directory);
        }
    }

    private static function assertStoreContract(SeenStoreInterface $store): void
    {
        self::assertTrue($store->claim('webhook', 'a'));
        self::assertFalse($store->claim('webhook', 'a'));
        self::assertTrue($store->claim('webhook', 'b'));
        $store->release('webhook', 'a');
        $store->release('webhook', 'never-claimed');
        self::assertTrue($store->claim('webhook', 'a'));
    }

    /** @param array<string, mixed> $posting */
    private function posting(string $id, array $posting): \Increff\ShipmentRelay\Model\Processor\Outcome
    {
        $body = json_encode($posting, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
        return $this->processor->process($this->verifier, WebhookProcessor::ORDER_POSTING, 'POST', $body, $this->signed($id, $body));
    }

    /** @return array<string, string> */
    private function signed(string $id, string $body, ?int $timestamp = null): array
    {
        $timestamp ??= time();
        return ['Webhook-Id' => $id, 'Webhook-Timestamp' => (string) $timestamp,
                'Webhook-Signature' => $this->verifier->sign($id, $timestamp, $body)];
    }

    private static function example(string $path): string
    {
        $file = dirname(__DIR__, 4) . '/Schemas/examples/' . $path;
        $text = file_get_contents($file);
        self::assertIsString($text, "cannot read {$file}");
        return $text;
    }

    /** @return array<string, mixed> */
    private static function json(string $path): array
    {
        return json_decode(self::example($path), true, 64, JSON_THROW_ON_ERROR);
    }
}
