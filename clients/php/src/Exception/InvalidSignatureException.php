<?php

declare(strict_types=1);

namespace Increff\RelayWebhooks\Exception;

/** No v1 signature in webhook-signature matches the body under any configured secret. */
final class InvalidSignatureException extends WebhookVerificationException
{
}
