<?php

declare(strict_types=1);

namespace Increff\RelayWebhooks;

use Increff\RelayWebhooks\Exception\InvalidSecretException;
use Increff\RelayWebhooks\Exception\InvalidSignatureException;
use Increff\RelayWebhooks\Exception\InvalidTimestampException;
use Increff\RelayWebhooks\Exception\MissingHeaderException;

/**
 * Verifies Standard Webhooks signatures (https://www.standardwebhooks.com/) as the shipment relay sends them:
 *
 *   webhook-id:        ntf_…      (the same on every retry and replay)
 *   webhook-timestamp: 1767225600 (unix seconds of the attempt)
 *   webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body"> [v1,<…> during a secret rotation]
 *
 * Usage:
 *   $verifier = new Verifier(getenv('WEBHOOK_SECRET'));
 *   $webhook = $verifier->verify(file_get_contents('php://input'), $_SERVER);   // or a header array, or PSR-7
 *   $notification = $webhook->json();
 *
 * Every failure throws a subclass of Exception\WebhookVerificationException: answer 401 (or another 4xx).
 */
final class Verifier
{
    public const HEADER_ID = 'webhook-id';
    public const HEADER_TIMESTAMP = 'webhook-timestamp';
    public const HEADER_SIGNATURE = 'webhook-signature';
    public const HEADERS = [self::HEADER_ID, self::HEADER_TIMESTAMP, self::HEADER_SIGNATURE];
    public const DEFAULT_TOLERANCE_SECONDS = 300;

    /** @var list<string> raw HMAC keys, current first */
    private array $keys;

    /** @var \Closure(): int */
    private \Closure $clock;

    /**
     * @param string|list<string> $secrets `whsec_<base64>` (the prefix is optional). Several during a rotation:
     *                                     a delivery signed with any of them verifies.
     * @param int $toleranceSeconds how far webhook-timestamp may lie from this machine's clock, either way
     * @param (\Closure(): int)|null $clock unix seconds now (tests)
     * @throws InvalidSecretException when no secret is given or one is not base64
     */
    public function __construct(
        string|array $secrets,
        private readonly int $toleranceSeconds = self::DEFAULT_TOLERANCE_SECONDS,
        ?\Closure $clock = null,
    ) {
        $list = is_array($secrets) ? $secrets : [$secrets];
        $this->keys = [];
        foreach ($list as $secret) {
            if (!is_string($secret)) {
                throw new InvalidSecretException('A webhook secret must be a string');
            }
            $this->keys[] = self::key($secret);
        }
        if ($this->keys === []) {
            throw new InvalidSecretException('No webhook secret configured');
        }
        if ($toleranceSeconds < 1) {
            throw new \InvalidArgumentException('The timestamp tolerance must be at least one second');
        }
        $this->clock = $clock ?? static fn (): int => time();
    }

    /**
     * Secrets from the environment: WEBHOOK_SECRETS (comma-separated, during a rotation) or WEBHOOK_SECRET.
     *
     * @throws InvalidSecretException when neither is set
     */
    public static function fromEnvironment(int $toleranceSeconds = self::DEFAULT_TOLERANCE_SECONDS): self
    {
        $several = getenv('WEBHOOK_SECRETS');
        $one = getenv('WEBHOOK_SECRET');
        $secrets = [];
        if (is_string($several) && trim($several) !== '') {
            $secrets = array_values(array_filter(array_map('trim', explode(',', $several)), 'strlen'));
        } elseif (is_string($one) && trim($one) !== '') {
            $secrets = [trim($one)];
        }
        if ($secrets === []) {
            throw new InvalidSecretException('Set WEBHOOK_SECRET (or WEBHOOK_SECRETS, comma-separated, during a '
                . 'rotation) to the endpoint\'s whsec_… signing secret');
        }
        return new self($secrets, $toleranceSeconds);
    }

    /**
     * Verifies one delivery.
     *
     * @param string $payload the raw request body, exactly as received (not re-encoded JSON)
     * @param array<array-key, mixed>|object $headers header array (any case), $_SERVER, PSR-7 request, or Headers
     * @throws MissingHeaderException|InvalidTimestampException|InvalidSignatureException
     */
    public function verify(string $payload, array|object $headers): VerifiedWebhook
    {
        $headers = Headers::from($headers);
        $values = [];
        foreach (self::HEADERS as $name) {
            $value = $headers->get($name);
            if ($value === null) {
                throw new MissingHeaderException($name);
            }
            $values[$name] = $value;
        }
        $id = $values[self::HEADER_ID];
        $timestamp = $this->checkTimestamp($values[self::HEADER_TIMESTAMP]);
        $expected = [];
        foreach ($this->keys as $key) {
            $expected[] = self::rawSignature($key, $id, $timestamp, $payload);
        }
        $matched = false;
        $sawV1 = false;
        foreach (preg_split('/\s+/', $values[self::HEADER_SIGNATURE]) ?: [] as $entry) {
            $parts = explode(',', $entry, 2);
            if (count($parts) !== 2 || $parts[0] !== 'v1') {
                continue; // other versions (v1a, v2) are not ours to check
            }
            $sawV1 = true;
            $given = base64_decode($parts[1], true);
            if ($given === false || strlen($given) !== 32) {
                continue;
            }
            foreach ($expected as $candidate) {
                // Constant time, and every candidate is compared: the time taken says nothing about the secrets.
                if (hash_equals($candidate, $given)) {
                    $matched = true;
                }
            }
        }
        if (!$matched) {
            throw new InvalidSignatureException($sawV1
                ? 'No matching signature found: webhook-signature does not match the body under the configured '
                    . 'secret(s) (wrong secret, or the body was changed, e.g. re-encoded, before verifying)'
                : 'No v1 signature in webhook-signature');
        }
        return new VerifiedWebhook($id, $timestamp, $payload);
    }

    /**
     * The webhook-signature value for a message, signed with the first secret (the format the relay sends).
     *
     * @throws InvalidTimestampException for a negative timestamp
     */
    public function sign(string $id, int $timestamp, string $payload): string
    {
        if ($timestamp < 0) {
            throw new InvalidTimestampException('Invalid timestamp: must be unix seconds, not negative');
        }
        return 'v1,' . base64_encode(self::rawSignature($this->keys[0], $id, $timestamp, $payload));
    }

    private function checkTimestamp(string $text): int
    {
        if (preg_match('/^[0-9]{1,12}$/', $text) !== 1) {
            throw new InvalidTimestampException("Invalid webhook-timestamp '" . substr($text, 0, 40)
                . "': expected unix seconds");
        }
        $timestamp = (int) $text;
        $now = ($this->clock)();
        if ($timestamp < $now - $this->toleranceSeconds) {
            throw new InvalidTimestampException(sprintf('Message timestamp too old: %d s behind this machine\'s '
                . 'clock (tolerance %d s; check the clock if every delivery fails this way)', $now - $timestamp,
                $this->toleranceSeconds));
        }
        if ($timestamp > $now + $this->toleranceSeconds) {
            throw new InvalidTimestampException(sprintf('Message timestamp too new: %d s ahead of this machine\'s '
                . 'clock (tolerance %d s; check the clock)', $timestamp - $now, $this->toleranceSeconds));
        }
        return $timestamp;
    }

    private static function rawSignature(string $key, string $id, int $timestamp, string $payload): string
    {
        return hash_hmac('sha256', "{$id}.{$timestamp}.{$payload}", $key, true);
    }

    private static function key(string $secret): string
    {
        $secret = trim($secret);
        if (str_starts_with($secret, 'whsec_')) {
            $secret = substr($secret, 6);
        }
        if ($secret === '') {
            throw new InvalidSecretException('Empty webhook secret (expected whsec_ followed by base64)');
        }
        $key = base64_decode($secret, true);
        if ($key === false || $key === '') {
            throw new InvalidSecretException('A webhook secret is not whsec_ followed by base64');
        }
        return $key;
    }
}
