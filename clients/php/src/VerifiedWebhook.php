<?php

declare(strict_types=1);

namespace Increff\RelayWebhooks;

/** A delivery whose signature, timestamp and headers checked out. */
final class VerifiedWebhook
{
    public function __construct(
        /** webhook-id: the relay's notification id (ntf_…), the same on every retry and replay: dedupe on it. */
        public readonly string $id,
        /** webhook-timestamp: unix seconds of this attempt. */
        public readonly int $timestamp,
        /** The exact body that was signed. */
        public readonly string $payload,
    ) {
    }

    /**
     * The body decoded as JSON (objects as associative arrays).
     *
     * @throws \JsonException when the body is not JSON
     */
    public function json(): mixed
    {
        return json_decode($this->payload, true, 64, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
    }
}
