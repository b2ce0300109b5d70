<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model\Idempotency;

/**
 * One empty file per key in a directory, created with fopen(…, 'x') (atomic: fails when it exists). For a PHP
 * receiver without a database (development, the relay's end-to-end tests); Magento uses DbSeenStore.
 */
final class FileSeenStore implements SeenStoreInterface
{
    public function __construct(private readonly string $directory)
    {
        if (!is_dir($directory) && !mkdir($directory, 0700, true) && !is_dir($directory)) {
            throw new \RuntimeException("Cannot create the directory {$directory}");
        }
    }

    public function claim(string $scope, string $key): bool
    {
        $handle = @fopen($this->path($scope, $key), 'x');
        if ($handle === false) {
            if (is_file($this->path($scope, $key))) {
                return false;
            }
            throw new \RuntimeException("Cannot record {$scope} key in {$this->directory}");
        }
        fclose($handle);
        return true;
    }

    public function release(string $scope, string $key): void
    {
        @unlink($this->path($scope, $key));
    }

    private function path(string $scope, string $key): string
    {
        // Hashed: keys come from the request and may hold any character.
        return $this->directory . '/' . preg_replace('/[^a-z_]/', '', $scope) . '-' . hash('sha256', $key);
    }
}
