<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model\Event;

/** Where verified, new messages go: Magento's event manager in the store, a recorder in tests. */
interface EventSinkInterface
{
    /** @param array<string, mixed> $data */
    public function dispatch(string $eventName, array $data): void;
}
