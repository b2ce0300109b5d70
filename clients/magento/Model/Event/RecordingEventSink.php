<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model\Event;

/** Keeps what was dispatched (tests), optionally failing like an observer that throws. */
final class RecordingEventSink implements EventSinkInterface
{
    /** @var list<array{string, array<string, mixed>}> */
    public array $events = [];

    public ?\Throwable $failWith = null;

    public function dispatch(string $eventName, array $data): void
    {
        if ($this->failWith !== null) {
            throw $this->failWith;
        }
        $this->events[] = [$eventName, $data];
    }

    /** @return list<array<string, mixed>> the data of each event with this name */
    public function named(string $eventName): array
    {
        return array_values(array_map(
            static fn (array $event): array => $event[1],
            array_filter($this->events, static fn (array $event): bool => $event[0] === $eventName)
        ));
    }
}
