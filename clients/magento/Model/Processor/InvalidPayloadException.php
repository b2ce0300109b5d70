<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model\Processor;

/** A verified body that is not the documented shape; names the first bad field. */
final class InvalidPayloadException extends \RuntimeException
{
    public function __construct(public readonly string $field, string $detail)
    {
        parent::__construct("{$field}: {$detail}");
    }
}
