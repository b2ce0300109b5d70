<?php

/**
 * A receiving end for the relay's end-to-end tests and docs/ONBOARDING.md checks, built on the verifier library
 * and the Magento module's logic classes (WebhookProcessor, FileSeenStore) — what the module does in Magento,
 * without Magento:
 *
 *   RECEIVER_DIR=/tmp/rx WEBHOOK_SECRETS='whsec_…,whsec_…' php -S 127.0.0.1:8099 clients/testing/relay-receiver.php
 *
 * Routes (last path segment; each leading path is a receiver with its own seen ids): notifications (POST), return-acks or ack (PUT), order-postings or op (POST). A path
 * starting /flaky/ answers 503 after processing while the file RECEIVER_DIR/flaky-on exists (a lost answer: the
 * relay retries, and the retry must be a duplicate).
 *
 * Writes, one JSON object a line: RECEIVER_DIR/requests.jsonl (every request and its outcome) and
 * RECEIVER_DIR/events.jsonl (what the store's observers would get).
 */

declare(strict_types=1);

require dirname(__DIR__) . '/php/autoload.php';
spl_autoload_register(static function (string $class): void {
    $prefix = 'Increff\\ShipmentRelay\\';
    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
        $file = dirname(__DIR__) . '/magento/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});

use Increff\RelayWebhooks\Headers;
use Increff\RelayWebhooks\Verifier;
use Increff\ShipmentRelay\Model\Event\EventSinkInterface;
use Increff\ShipmentRelay\Model\Idempotency\FileSeenStore;
use Increff\ShipmentRelay\Model\Processor\WebhookProcessor;

$dir = getenv('RECEIVER_DIR') ?: '';
if ($dir === '' || !is_dir($dir)) {
    http_response_code(500);
    echo '{"error":"set RECEIVER_DIR to an existing directory"}';
    return;
}

/** Appends one JSON line under an exclusive lock (php -S may serve requests from several workers). */
$append = static function (string $file, array $record): void {
    file_put_contents($file, json_encode($record, JSON_UNESCAPED_SLASHES) . "\n", FILE_APPEND | LOCK_EX);
};

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
$kind = match (basename($path)) {
    'notifications' => WebhookProcessor::NOTIFICATION,
    'return-acks', 'ack' => WebhookProcessor::RETURN_ACK,
    'order-postings', 'op' => WebhookProcessor::ORDER_POSTING,
    default => null,
};
$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
if ($kind === null) {
    http_response_code($method === 'GET' ? 200 : 404);
    echo $method === 'GET' ? '{"status":"ok"}' : '{"error":"unknown path"}';
    return;
}

$sink = new class ($dir . '/events.jsonl', $append, $path) implements EventSinkInterface {
    public function __construct(
        private readonly string $file,
        private readonly \Closure $append,
        private readonly string $path,
    )
    {
    }

    public function dispatch(string $eventName, array $data): void
    {
        ($this->append)($this->file, ['event' => $eventName, 'path' => $this->path] + $data);
    }
};

$body = (string) file_get_contents('php://input');
$headers = Headers::fromServer($_SERVER);
// Each path prefix is a receiver of its own (/flaky/…, /tampered/…): its own seen ids.
$prefix = trim(preg_replace('/[^a-z0-9]+/', '-', strtolower(dirname($path))), '-');
$processor = new WebhookProcessor(new FileSeenStore($dir . '/seen-' . ($prefix === '' ? 'root' : $prefix)), $sink);
$outcome = $processor->process(Verifier::fromEnvironment(), $kind, $method, $body, $headers);

$status = $outcome->status;
if (str_starts_with($path, '/flaky/') && $outcome->isSuccess() && is_file($dir . '/flaky-on')) {
    $status = 503; // processed, but the answer is "lost"
}
$append($dir . '/requests.jsonl', [
    'path' => $path, 'method' => $method, 'kind' => $kind, 'status' => $status, 'result' => $outcome->result,
    'detail' => $outcome->body['detail'] ?? null, 'webhookId' => $headers->get('webhook-id'),
    'timestamp' => $headers->get('webhook-timestamp'), 'signature' => $headers->get('webhook-signature'),
    'trigger' => $headers->get('webhook-attempt-trigger'), 'newShipmentCodes' => $outcome->body['newShipmentCodes'] ?? null,
    'body' => $body,
]);
http_response_code($status);
header('Content-Type: application/json');
echo json_encode($outcome->body, JSON_UNESCAPED_SLASHES);
