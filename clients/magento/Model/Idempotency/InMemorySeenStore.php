<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model\Idempotency;

/** Keys kept in this PHP process only: for tests. */
final class InMemorySeenStore implements SeenStoreInterface
{
    /** @var array<string, true> */
    private array $seen = [];

    public function claim(string $scope, string $key): bool
    {
        $id = $scope . "\0" . $key;
        if (isset($this->seen[$id])) {
            return false;
        }
        $this->seen[$id] = true;
        return true;
    }

    public function release(string $scope, string $key): void
    {
        unset($this->seen[$scope . "\0" . $key]);
    }

    /** @return list<string> the keys of a scope, in claim order */
    public function keys(string $scope): array
    {
        $keys = [];
        foreach (array_keys($this->seen) as $id) {
            [$idScope, $key] = explode("\0", (string) $id, 2);
            if ($idScope === $scope) {
                $keys[] = $key;
            }
        }
        return $keys;
    }
}
