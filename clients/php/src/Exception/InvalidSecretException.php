<?php

declare(strict_types=1);

namespace Increff\RelayWebhooks\Exception;

/** A configured secret is empty or not `whsec_` + base64: a set-up error, not a bad delivery. */
final class InvalidSecretException extends \InvalidArgumentException
{
}
