<?php

declare(strict_types=1);

namespace Increff\RelayWebhooks\Exception;

/**
 * A delivery that must not be trusted: answer it with a 4xx (the relay records http_4xx and retries).
 * Catch this one type; the subclasses say why.
 */
class WebhookVerificationException extends \RuntimeException
{
}
