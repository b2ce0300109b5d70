<?php

/**
 * The smallest receiver for the shipment relay's deliveries: 204 for a correctly signed request, 401 otherwise.
 *
 *   WEBHOOK_SECRET='whsec_…' php -S 127.0.0.1:8000 clients/php/examples/receiver.php
 *   WEBHOOK_SECRETS='whsec_new…,whsec_old…' php -S …        (during a secret rotation: both are accepted)
 *
 * Replace the marked line with your own handling (and dedupe on $webhook->id: a retry or replay repeats it).
 */

declare(strict_types=1);

require dirname(__DIR__) . '/autoload.php'; // with Composer: require 'vendor/autoload.php';

use Increff\RelayWebhooks\Exception\WebhookVerificationException;
use Increff\RelayWebhooks\Verifier;

$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
if ($method !== 'POST' && $method !== 'PUT') {
    http_response_code(405);
    header('Allow: POST, PUT');
    return;
}

try {
    $verifier = Verifier::fromEnvironment();
} catch (\InvalidArgumentException $error) {
    error_log('receiver: ' . $error->getMessage());
    http_response_code(500);
    return;
}

$body = (string) file_get_contents('php://input');
try {
    $webhook = $verifier->verify($body, $_SERVER);
} catch (WebhookVerificationException $error) {
    error_log('receiver: rejected: ' . $error->getMessage());
    http_response_code(401);
    header('Content-Type: application/json');
    echo json_encode(['error' => $error->getMessage()]);
    return;
}

// Verified. Your handling goes here, e.g. $notification = $webhook->json();
error_log(sprintf('receiver: verified %s %s (%d bytes)', $method, $webhook->id, strlen($body)));
http_response_code(204);
