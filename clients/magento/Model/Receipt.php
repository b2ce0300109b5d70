<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model;

use Increff\ShipmentRelay\Api\Data\ReceiptInterface;

final class Receipt implements ReceiptInterface
{
    /** @param list<string> $newShipmentCodes */
    public function __construct(
        private readonly string $status = 'accepted',
        private readonly string $webhookId = '',
        private readonly array $newShipmentCodes = [],
    ) {
    }

    public function getStatus()
    {
        return $this->status;
    }

    public function getWebhookId()
    {
        return $this->webhookId;
    }

    public function getHasError()
    {
        return false;
    }

    public function getNewShipmentCodes()
    {
        return $this->newShipmentCodes;
    }
}
