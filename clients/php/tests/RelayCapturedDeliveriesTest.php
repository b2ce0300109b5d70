<?php

declare(strict_types=1);

namespace Increff\RelayWebhooks\Tests;

use Increff\RelayWebhooks\Exception\InvalidSignatureException;
use Increff\RelayWebhooks\Exception\InvalidTimestampException;
use Increff\RelayWebhooks\Verifier;
use PHPUnit\Framework\TestCase;

/**
 * Deliveries captured from the real relay binary (fixtures/relay-captured.jsonl; how they were made: the
 * fixture's "_capture" line). The relay was configured with the two Standard Webhooks test-vector secrets, which
 * are published (KnownAnswerTest) and protect nothing: signing_secret = CURRENT, previous_signing_secret =
 * PREVIOUS, so every delivery carries two signatures, as during a rotation.
 */
final class RelayCapturedDeliveriesTest extends TestCase
{
    private const CURRENT = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    private const PREVIOUS = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';

    /** @return array<string, array{array<string, mixed>}> */
    public static function captured(): array
    {
        $cases = [];
        $lines = file(__DIR__ . '/fixtures/relay-captured.jsonl', FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [];
        foreach ($lines as $line) {
            $record = json_decode($line, true, 64, JSON_THROW_ON_ERROR);
            if (isset($record['_capture'])) {
                continue;
            }
            $cases[$record['method'] . ' ' . $record['path'] . ' ' . $record['webhookId']] = [$record];
        }
        return $cases;
    }

    public function testTheFixtureHoldsNotificationsAReturnAckAndAnInvoice(): void
    {
        $records = array_map(static fn (array $case): array => $case[0], self::captured());
        self::assertGreaterThanOrEqual(5, count($records));
        self::assertContains('PUT', array_column($records, 'method'));
        $types = array_map(static fn (array $r): ?string => json_decode($r['body'], true)['notificationType'] ?? null, $records);
        self::assertContains('INVOICE_GENERATED', $types);
        self::assertContains('DELIVERED', $types);
    }

    /**
     * @dataProvider captured
     * @param array<string, mixed> $record
     */
    public function testVerifiesWithEitherSecretAndTheHeadersAsTheyArrived(array $record): void
    {
        $clock = static fn (): int => (int) $record['timestamp'] + 2;
        $headers = ['Webhook-Id' => $record['webhookId'], 'Webhook-Timestamp' => $record['timestamp'],
                    'Webhook-Signature' => $record['signature']];
        self::assertCount(2, explode(' ', $record['signature']), 'current and previous secret');
        foreach ([[self::CURRENT], [self::PREVIOUS], [self::CURRENT, self::PREVIOUS]] as $secrets) {
            $webhook = (new Verifier($secrets, 300, $clock))->verify($record['body'], $headers);
            self::assertSame($record['webhookId'], $webhook->id);
            self::assertIsArray($webhook->json());
        }
        self::assertStringStartsWith('ntf_', $record['webhookId']);
    }

    /**
     * @dataProvider captured
     * @param array<string, mixed> $record
     */
    public function testOneChangedByteOrALateArrivalFails(array $record): void
    {
        $headers = ['webhook-id' => $record['webhookId'], 'webhook-timestamp' => $record['timestamp'],
                    'webhook-signature' => $record['signature']];
        $verifier = new Verifier(self::CURRENT, 300, static fn (): int => (int) $record['timestamp']);
        $body = $record['body'];
        $position = intdiv(strlen($body), 2);
        $tampered = substr_replace($body, chr(ord($body[$position]) ^ 1), $position, 1);
        try {
            $verifier->verify($tampered, $headers);
            self::fail('a tampered body verified');
        } catch (InvalidSignatureException) {
            $this->addToAssertionCount(1);
        }
        // Another delivery's id with this signature fails too.
        try {
            $verifier->verify($body, ['webhook-id' => 'ntf_other'] + $headers);
            self::fail('another id verified');
        } catch (InvalidSignatureException) {
            $this->addToAssertionCount(1);
        }
        $this->expectException(InvalidTimestampException::class);
        (new Verifier(self::CURRENT, 300, static fn (): int => (int) $record['timestamp'] + 301))->verify($body, $headers);
    }
}
