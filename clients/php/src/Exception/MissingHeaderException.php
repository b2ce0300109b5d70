<?php

declare(strict_types=1);

namespace Increff\RelayWebhooks\Exception;

/** One of webhook-id, webhook-timestamp, webhook-signature is absent or empty. */
final class MissingHeaderException extends WebhookVerificationException
{
    public function __construct(public readonly string $header)
    {
        parent::__construct("Missing required header '{$header}' (expected webhook-id, webhook-timestamp and "
            . "webhook-signature; header names are matched case-insensitively)");
    }
}
