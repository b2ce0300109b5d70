<?php

declare(strict_types=1);

namespace Increff\RelayWebhooks\Tests;

use Increff\RelayWebhooks\Exception\InvalidSecretException;
use Increff\RelayWebhooks\Exception\InvalidSignatureException;
use Increff\RelayWebhooks\Exception\InvalidTimestampException;
use Increff\RelayWebhooks\Exception\MissingHeaderException;
use Increff\RelayWebhooks\Exception\WebhookVerificationException;
use Increff\RelayWebhooks\Verifier;
use PHPUnit\Framework\TestCase;

/**
 * The Standard Webhooks known-answer vectors and the behaviour the reference libraries test.
 *
 * Vector values copied from github.com/standard-webhooks/standard-webhooks at commit
 * b2fa7b8719fb75d326b591077f5d1b385cfcdfae: libraries/php/tests/WebhookTest.php (testSignFunctionWorks; the same
 * vector is in the Go, JavaScript, Python, Ruby, C# and Java tests) and libraries/rust/src/lib.rs (test_sign,
 * test_verify_with_multiple_signatures). Only the values are copied; the tests are ours.
 */
final class KnownAnswerTest extends TestCase
{
    /** @return array<string, array{string, string, int, string, string}> secret, id, timestamp, body, signature */
    public static function vectors(): array
    {
        return [
            'standard-webhooks php/go/js/python/ruby/csharp/java' => [
                'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330,
                '{"test": 2432232314}', 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
            ],
            'standard-webhooks rust' => [
                'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD', 'msg_27UH4WbU6Z5A5EzD8u03UvzRbpk', 1649367553,
                '{"email":"test@example.com","username":"test_user"}',
                'v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=',
            ],
        ];
    }

    /** Decoy v1 signatures from the Rust tests: well-formed, matching nothing. */
    private const DECOYS = [
        'v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ=',
        'v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q=',
        'v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE=',
    ];

    /** @dataProvider vectors */
    public function testSignMatchesTheVector(string $secret, string $id, int $timestamp, string $body, string $signature): void
    {
        self::assertSame($signature, (new Verifier($secret))->sign($id, $timestamp, $body));
        // The whsec_ prefix is optional.
        self::assertSame($signature, (new Verifier(substr($secret, 6)))->sign($id, $timestamp, $body));
    }

    /** @dataProvider vectors */
    public function testVerifyAcceptsTheVectorAtItsTime(string $secret, string $id, int $timestamp, string $body, string $signature): void
    {
        $verifier = new Verifier($secret, 300, static fn (): int => $timestamp + 299);
        $webhook = $verifier->verify($body, [
            'webhook-id' => $id, 'webhook-timestamp' => (string) $timestamp, 'webhook-signature' => $signature,
        ]);
        self::assertSame($id, $webhook->id);
        self::assertSame($timestamp, $webhook->timestamp);
        self::assertSame($body, $webhook->payload);
    }

    /** @dataProvider vectors */
    public function testOneChangedByteOfTheBodyFails(string $secret, string $id, int $timestamp, string $body, string $signature): void
    {
        $verifier = new Verifier($secret, 300, static fn (): int => $timestamp);
        $this->expectException(InvalidSignatureException::class);
        $this->expectExceptionMessage('No matching signature found');
        $verifier->verify($body . ' ', self::headers($id, $timestamp, $signature));
    }

    public function testValidAmongDecoysAndOtherVersionsVerifies(): void
    {
        [$secret, $id, $timestamp, $body, $signature] = self::vectors()['standard-webhooks rust'];
        $verifier = new Verifier($secret, 300, static fn (): int => $timestamp);
        $all = [self::DECOYS[0], 'v2,' . substr($signature, 3), self::DECOYS[1], $signature, self::DECOYS[2]];
        self::assertSame($id, $verifier->verify($body, self::headers($id, $timestamp, implode(' ', $all)))->id);
    }

    public function testOnlyDecoysFail(): void
    {
        [$secret, $id, $timestamp, $body] = self::vectors()['standard-webhooks rust'];
        $verifier = new Verifier($secret, 300, static fn (): int => $timestamp);
        $this->expectException(InvalidSignatureException::class);
        $verifier->verify($body, self::headers($id, $timestamp, implode(' ', self::DECOYS)));
    }

    /** @return array<string, array{string}> */
    public static function partialSignatures(): array
    {
        return [
            'v1, only' => ['v1,'],
            'first bytes' => ['v1,g0hM9S'],
            'garbage' => ['v1,dawfeoifkpqwoekfpqoekf'],
            'one bit off' => ['v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA='],
            'no version' => ['g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='],
            'v2 only' => ['v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='],
        ];
    }

    /** @dataProvider partialSignatures */
    public function testPartialOrForeignSignaturesFail(string $signature): void
    {
        [$secret, $id, $timestamp, $body] = self::vectors()['standard-webhooks php/go/js/python/ruby/csharp/java'];
        $verifier = new Verifier($secret, 300, static fn (): int => $timestamp);
        $this->expectException(InvalidSignatureException::class);
        $verifier->verify($body, self::headers($id, $timestamp, $signature));
    }

    /** @return array<string, array{string}> */
    public static function requiredHeaders(): array
    {
        return ['id' => ['webhook-id'], 'timestamp' => ['webhook-timestamp'], 'signature' => ['webhook-signature']];
    }

    /** @dataProvider requiredHeaders */
    public function testMissingHeaderIsNamed(string $header): void
    {
        [$secret, $id, $timestamp, $body, $signature] = self::vectors()['standard-webhooks rust'];
        $headers = self::headers($id, $timestamp, $signature);
        unset($headers[$header]);
        try {
            (new Verifier($secret, 300, static fn (): int => $timestamp))->verify($body, $headers);
            self::fail('verified without ' . $header);
        } catch (MissingHeaderException $error) {
            self::assertSame($header, $error->header);
            self::assertStringContainsString("Missing required header '{$header}'", $error->getMessage());
            self::assertInstanceOf(WebhookVerificationException::class, $error);
        }
    }

    public function testTimestampOutsideToleranceFailsBothWays(): void
    {
        [$secret, $id, $timestamp, $body, $signature] = self::vectors()['standard-webhooks rust'];
        foreach ([[$timestamp + 301, 'too old'], [$timestamp - 301, 'too new']] as [$now, $message]) {
            $verifier = new Verifier($secret, 300, static fn (): int => $now);
            try {
                $verifier->verify($body, self::headers($id, $timestamp, $signature));
                self::fail('verified ' . $message);
            } catch (InvalidTimestampException $error) {
                self::assertStringContainsString('Message timestamp ' . $message, $error->getMessage());
            }
        }
        // The edges of the window pass.
        foreach ([$timestamp + 300, $timestamp - 300] as $now) {
            $verifier = new Verifier($secret, 300, static fn (): int => $now);
            self::assertSame($id, $verifier->verify($body, self::headers($id, $timestamp, $signature))->id);
        }
    }

    /** @return array<string, array{string}> */
    public static function badTimestamps(): array
    {
        return ['float' => ['161426533.0'], 'text' => ['invalid timestamp'], 'negative' => ['-161426533'],
                'milliseconds' => ['1614265330000000']];
    }

    /** @dataProvider badTimestamps */
    public function testTimestampMustBeUnixSeconds(string $value): void
    {
        [$secret, $id, , $body, $signature] = self::vectors()['standard-webhooks php/go/js/python/ruby/csharp/java'];
        $this->expectException(InvalidTimestampException::class);
        $this->expectExceptionMessage('Invalid webhook-timestamp');
        (new Verifier($secret))->verify($body, ['webhook-id' => $id, 'webhook-timestamp' => $value,
                                                'webhook-signature' => $signature]);
    }

    public function testSignRejectsNegativeTimestamp(): void
    {
        $this->expectException(InvalidTimestampException::class);
        (new Verifier('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'))->sign('msg', -1, '{}');
    }

    /** @return array<string, array{string|list<string>}> */
    public static function badSecrets(): array
    {
        return ['empty' => [''], 'prefix only' => ['whsec_'], 'not base64' => ['whsec_not*base64!'], 'none' => [[]]];
    }

    /** @dataProvider badSecrets */
    public function testBadSecretsAreRefused(string|array $secret): void
    {
        $this->expectException(InvalidSecretException::class);
        new Verifier($secret);
    }

    /** @return array<string, string> */
    private static function headers(string $id, int $timestamp, string $signature): array
    {
        return ['webhook-id' => $id, 'webhook-timestamp' => (string) $timestamp, 'webhook-signature' => $signature];
    }
}
