<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model\Idempotency;

/**
 * What the module has already processed, by scope: "webhook" (webhook-id), "order_message" (an order posting's
 * messageId), "order_shipment" (a shipment code, processed once however many later postings repeat it).
 */
interface SeenStoreInterface
{
    /**
     * Records a key; true when it was not recorded before. Atomic: of two concurrent claims of one key, one wins.
     */
    public function claim(string $scope, string $key): bool;

    /** Forgets a claim whose processing failed, so that the relay's retry is processed again. */
    public function release(string $scope, string $key): void;
}
