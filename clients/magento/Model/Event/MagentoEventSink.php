<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model\Event;

use Magento\Framework\Event\ManagerInterface;

/** Dispatches to the store's observers (etc/events.xml of the store's own modules). */
final class MagentoEventSink implements EventSinkInterface
{
    public function __construct(private readonly ManagerInterface $eventManager)
    {
    }

    public function dispatch(string $eventName, array $data): void
    {
        $this->eventManager->dispatch($eventName, $data);
    }
}
