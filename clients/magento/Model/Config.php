<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model;

use Increff\RelayWebhooks\Verifier;
use Magento\Framework\App\Config\ScopeConfigInterface;
use Magento\Framework\Encryption\EncryptorInterface;

/** Stores > Configuration > Services > Increff Shipment Relay (etc/adminhtml/system.xml), secrets encrypted. */
final class Config
{
    private const PATH = 'increff_shipment_relay/general/';

    public function __construct(
        private readonly ScopeConfigInterface $scopeConfig,
        private readonly EncryptorInterface $encryptor,
    ) {
    }

    /**
     * A verifier for the configured secret(s).
     *
     * @throws \Increff\RelayWebhooks\Exception\InvalidSecretException when no secret is set
     */
    public function verifier(): Verifier
    {
        $secrets = [];
        foreach (['signing_secret', 'previous_signing_secret'] as $field) {
            $value = trim((string) $this->scopeConfig->getValue(self::PATH . $field));
            // Saved in the admin: encrypted. Set with `config:set --lock-env` or in app/etc/env.php: plain.
            if ($value !== '' && !str_starts_with($value, 'whsec_')) {
                $value = trim($this->encryptor->decrypt($value));
            }
            if ($value !== '') {
                $secrets[] = $value;
            }
        }
        if ($secrets === []) {
            throw new \Increff\RelayWebhooks\Exception\InvalidSecretException(
                'Set the signing secret: bin/magento config:set --lock-env increff_shipment_relay/general/signing_secret whsec_…'
                . ' (or Stores > Configuration > Services > Increff Shipment Relay)'
            );
        }
        $tolerance = (int) $this->scopeConfig->getValue(self::PATH . 'tolerance_seconds');
        return new Verifier($secrets, $tolerance > 0 ? $tolerance : Verifier::DEFAULT_TOLERANCE_SECONDS);
    }
}
