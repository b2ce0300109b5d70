<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model\Processor;

/** The answer for the relay: an HTTP status and a JSON body. */
final class Outcome
{
    /** @param array<string, mixed> $body */
    public function __construct(
        public readonly int $status,
        /** accepted | duplicate | test | invalid_signature | invalid_body | wrong_method | failed */
        public readonly string $result,
        public readonly array $body,
    ) {
    }

    public function isSuccess(): bool
    {
        return $this->status >= 200 && $this->status < 300;
    }
}
