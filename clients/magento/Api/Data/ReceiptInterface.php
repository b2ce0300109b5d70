<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Api\Data;

/**
 * The 2xx answer: "accepted" or "duplicate" (a webhook-id, or an order posting's messageId, seen before).
 *
 * @api
 */
interface ReceiptInterface
{
    /**
     * @return string accepted | duplicate
     */
    public function getStatus();

    /**
     * @return string the webhook-id
     */
    public function getWebhookId();

    /**
     * @return bool always false on a 2xx (the order-posting answer's hasError)
     */
    public function getHasError();

    /**
     * @return string[] order postings: the shipment codes handed to observers (those never processed before)
     */
    public function getNewShipmentCodes();
}
