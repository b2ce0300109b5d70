<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Api;

/**
 * The REST routes of etc/webapi.xml. Each reads the raw request (the signature covers the exact bytes), so the
 * methods take no parameters.
 *
 * @api
 */
interface RelayEndpointInterface
{
    /**
     * POST /V1/increff/shipment-relay/notifications: shipment and invoice notifications.
     *
     * @return \Increff\ShipmentRelay\Api\Data\ReceiptInterface
     * @throws \Magento\Framework\Webapi\Exception 401 bad signature, 400 bad body, 500 an observer failed
     */
    public function receiveNotification();

    /**
     * PUT /V1/increff/shipment-relay/return-acks: return acknowledgements.
     *
     * @return \Increff\ShipmentRelay\Api\Data\ReceiptInterface
     * @throws \Magento\Framework\Webapi\Exception
     */
    public function receiveReturnAck();

    /**
     * POST /V1/increff/shipment-relay/order-postings: outward order postings.
     *
     * @return \Increff\ShipmentRelay\Api\Data\ReceiptInterface
     * @throws \Magento\Framework\Webapi\Exception
     */
    public function receiveOrderPosting();
}
