<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model\Idempotency;

use Magento\Framework\App\ResourceConnection;

/** The increff_shipment_relay_seen table (etc/db_schema.xml); the primary key (scope, seen_key) makes claims atomic. */
final class DbSeenStore implements SeenStoreInterface
{
    private const TABLE = 'increff_shipment_relay_seen';

    public function __construct(private readonly ResourceConnection $resource)
    {
    }

    public function claim(string $scope, string $key): bool
    {
        $connection = $this->resource->getConnection();
        $table = $this->resource->getTableName(self::TABLE);
        $statement = $connection->query(
            'INSERT IGNORE INTO ' . $connection->quoteIdentifier($table) . ' (scope, seen_key) VALUES (?, ?)',
            [$scope, $key]
        );
        return $statement->rowCount() === 1;
    }

    public function release(string $scope, string $key): void
    {
        $this->resource->getConnection()->delete(
            $this->resource->getTableName(self::TABLE),
            ['scope = ?' => $scope, 'seen_key = ?' => $key]
        );
    }
}
