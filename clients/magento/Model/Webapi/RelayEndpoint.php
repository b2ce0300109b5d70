<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model\Webapi;

use Increff\ShipmentRelay\Api\RelayEndpointInterface;
use Increff\ShipmentRelay\Model\Config;
use Increff\ShipmentRelay\Model\Processor\WebhookProcessor;
use Increff\ShipmentRelay\Model\Receipt;
use Magento\Framework\Phrase;
use Magento\Framework\Webapi\Exception as WebapiException;
use Magento\Framework\Webapi\Rest\Request;
use Psr\Log\LoggerInterface;

/**
 * Thin: hands the raw request to WebhookProcessor (all the logic, tested without Magento) and turns its outcome
 * into Magento's REST answer: a receipt for 2xx, a Webapi exception with the outcome's status otherwise.
 */
final class RelayEndpoint implements RelayEndpointInterface
{
    public function __construct(
        private readonly Request $request,
        private readonly WebhookProcessor $processor,
        private readonly Config $config,
        private readonly LoggerInterface $logger,
    ) {
    }

    public function receiveNotification()
    {
        return $this->handle(WebhookProcessor::NOTIFICATION);
    }

    public function receiveReturnAck()
    {
        return $this->handle(WebhookProcessor::RETURN_ACK);
    }

    public function receiveOrderPosting()
    {
        return $this->handle(WebhookProcessor::ORDER_POSTING);
    }

    private function handle(string $kind): Receipt
    {
        try {
            $verifier = $this->config->verifier();
        } catch (\InvalidArgumentException $error) {
            $this->logger->critical('Increff shipment relay: ' . $error->getMessage());
            throw new WebapiException(new Phrase('The shipment relay endpoint is not configured.'), 0, 500);
        }
        $outcome = $this->processor->process(
            $verifier,
            $kind,
            (string) $this->request->getMethod(),
            (string) $this->request->getContent(),
            new RequestHeaders($this->request)
        );
        if (!$outcome->isSuccess()) {
            $this->logger->warning('Increff shipment relay: ' . $kind . ' answered ' . $outcome->status . ': '
                . ($outcome->body['detail'] ?? $outcome->result));
            throw new WebapiException(new Phrase('%1', [$outcome->body['detail'] ?? $outcome->result]), 0, $outcome->status);
        }
        return new Receipt($outcome->result, (string) $outcome->body['webhookId'], $outcome->body['newShipmentCodes'] ?? []);
    }
}
