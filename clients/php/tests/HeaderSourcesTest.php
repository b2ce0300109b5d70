<?php

declare(strict_types=1);

namespace Increff\RelayWebhooks\Tests;

use Increff\RelayWebhooks\Exception\InvalidSignatureException;
use Increff\RelayWebhooks\Exception\MissingHeaderException;
use Increff\RelayWebhooks\Headers;
use Increff\RelayWebhooks\Verifier;
use PHPUnit\Framework\TestCase;

/**
 * Header lookup from the shapes a PHP application has (the reference PHP library only finds lower-case array keys),
 * secret rotation, and the environment.
 */
final class HeaderSourcesTest extends TestCase
{
    private const BODY = '{"notificationType":"DELIVERED","forwardAwb":"81125552141"}';
    private const ID = 'ntf_01HTEST';

    private string $secret;
    private int $now;
    private string $signature;

    protected function setUp(): void
    {
        // A secret made for this test run: nothing secret is committed.
        $this->secret = 'whsec_' . base64_encode(random_bytes(32));
        $this->now = time();
        $this->signature = (new Verifier($this->secret))->sign(self::ID, $this->now, self::BODY);
    }

    public function testArrayKeysInAnyCase(): void
    {
        $verifier = new Verifier($this->secret);
        foreach ([
            ['Webhook-Id' => self::ID, 'Webhook-Timestamp' => (string) $this->now, 'Webhook-Signature' => $this->signature],
            ['WEBHOOK-ID' => self::ID, 'WEBHOOK-TIMESTAMP' => (string) $this->now, 'WEBHOOK-SIGNATURE' => $this->signature],
            // Symfony / Laravel HeaderBag::all(): lower-case names, each a list of values.
            ['webhook-id' => [self::ID], 'webhook-timestamp' => [(string) $this->now], 'webhook-signature' => [$this->signature]],
        ] as $headers) {
            self::assertSame(self::ID, $verifier->verify(self::BODY, $headers)->id);
        }
    }

    public function testServerArray(): void
    {
        $server = ['REQUEST_METHOD' => 'POST', 'CONTENT_TYPE' => 'application/json', 'HTTP_WEBHOOK_ID' => self::ID,
                   'HTTP_WEBHOOK_TIMESTAMP' => (string) $this->now, 'HTTP_WEBHOOK_SIGNATURE' => $this->signature];
        self::assertSame(self::ID, (new Verifier($this->secret))->verify(self::BODY, $server)->id);
        self::assertSame(self::ID, (new Verifier($this->secret))->verify(self::BODY, Headers::fromServer($server))->id);
    }

    public function testPsr7StyleRequestWithoutThePsrPackage(): void
    {
        $request = new FakePsrRequest(['Webhook-Id' => [self::ID], 'Webhook-Timestamp' => [(string) $this->now],
                                       'Webhook-Signature' => [$this->signature]]);
        self::assertSame(self::ID, (new Verifier($this->secret))->verify(self::BODY, $request)->id);
        // Only getHeaderLine (e.g. Magento's request): enough.
        $lineOnly = new class (self::ID, (string) $this->now, $this->signature) {
            /** @var array<string, string> */
            private array $lines;

            public function __construct(string $id, string $timestamp, string $signature)
            {
                $this->lines = ['webhook-id' => $id, 'webhook-timestamp' => $timestamp, 'webhook-signature' => $signature];
            }

            public function getHeaderLine(string $name): string
            {
                return $this->lines[strtolower($name)] ?? '';
            }
        };
        self::assertSame(self::ID, (new Verifier($this->secret))->verify(self::BODY, $lineOnly)->id);
    }

    public function testAnyHeaderOfEachSource(): void
    {
        $psr = new FakePsrRequest(['Webhook-Attempt-Trigger' => ['test']]);
        self::assertSame('test', Headers::from($psr)->get('webhook-attempt-trigger'));
        self::assertSame('test', Headers::from(['WEBHOOK-ATTEMPT-TRIGGER' => 'test'])->get('Webhook-Attempt-Trigger'));
        self::assertSame('test', Headers::from(['HTTP_WEBHOOK_ATTEMPT_TRIGGER' => 'test'])->get('webhook-attempt-trigger'));
        self::assertNull(Headers::from($psr)->get('webhook-id'));
        self::assertNull(Headers::from(['webhook-id' => '  '])->get('webhook-id'));
    }

    public function testPsr7RequestMissingAHeader(): void
    {
        $request = new FakePsrRequest(['Webhook-Id' => [self::ID], 'Webhook-Signature' => [$this->signature]]);
        $this->expectException(MissingHeaderException::class);
        $this->expectExceptionMessage("'webhook-timestamp'");
        (new Verifier($this->secret))->verify(self::BODY, $request);
    }

    public function testTwoSignatureLinesAreBothConsidered(): void
    {
        $old = 'whsec_' . base64_encode(random_bytes(32));
        $oldSignature = (new Verifier($old))->sign(self::ID, $this->now, self::BODY);
        $request = new FakePsrRequest(['webhook-id' => [self::ID], 'webhook-timestamp' => [(string) $this->now],
                                       'webhook-signature' => [$oldSignature, $this->signature]]);
        self::assertSame(self::ID, (new Verifier($this->secret))->verify(self::BODY, $request)->id);
    }

    public function testRotationEitherSideOfTheSwitch(): void
    {
        $old = 'whsec_' . base64_encode(random_bytes(32));
        $new = $this->secret;
        $signedByOld = (new Verifier($old))->sign(self::ID, $this->now, self::BODY);
        $signedByNew = $this->signature;
        $signedByBoth = $signedByNew . ' ' . $signedByOld; // what the relay sends while both secrets are configured
        // The receiver configured with both secrets accepts any of the three.
        $receiver = new Verifier([$new, $old]);
        foreach ([$signedByOld, $signedByNew, $signedByBoth] as $signature) {
            self::assertSame(self::ID, $receiver->verify(self::BODY, $this->headers($signature))->id);
        }
        // A receiver still on the old secret accepts the relay's two-signature header.
        self::assertSame(self::ID, (new Verifier($old))->verify(self::BODY, $this->headers($signedByBoth))->id);
        // A receiver on an unrelated secret refuses all.
        $this->expectException(InvalidSignatureException::class);
        (new Verifier('whsec_' . base64_encode(random_bytes(32))))->verify(self::BODY, $this->headers($signedByBoth));
    }

    public function testJsonOfTheVerifiedBody(): void
    {
        $webhook = (new Verifier($this->secret))->verify(self::BODY, $this->headers($this->signature));
        self::assertSame(['notificationType' => 'DELIVERED', 'forwardAwb' => '81125552141'], $webhook->json());
    }

    public function testSecretsFromTheEnvironment(): void
    {
        $old = 'whsec_' . base64_encode(random_bytes(32));
        try {
            putenv('WEBHOOK_SECRETS');
            putenv('WEBHOOK_SECRET=' . $this->secret);
            self::assertSame(self::ID, Verifier::fromEnvironment()->verify(self::BODY, $this->headers($this->signature))->id);
            putenv('WEBHOOK_SECRET');
            putenv('WEBHOOK_SECRETS=' . $old . ', ' . $this->secret);
            self::assertSame(self::ID, Verifier::fromEnvironment()->verify(self::BODY, $this->headers($this->signature))->id);
            putenv('WEBHOOK_SECRETS');
            $this->expectException(\Increff\RelayWebhooks\Exception\InvalidSecretException::class);
            Verifier::fromEnvironment();
        } finally {
            putenv('WEBHOOK_SECRET');
            putenv('WEBHOOK_SECRETS');
        }
    }

    /** @return array<string, string> */
    private function headers(string $signature): array
    {
        return ['webhook-id' => self::ID, 'webhook-timestamp' => (string) $this->now, 'webhook-signature' => $signature];
    }
}
