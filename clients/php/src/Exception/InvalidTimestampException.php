<?php

declare(strict_types=1);

namespace Increff\RelayWebhooks\Exception;

/** webhook-timestamp is not unix seconds, or lies outside the tolerance window (replay protection, clock skew). */
final class InvalidTimestampException extends WebhookVerificationException
{
}
