<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Test\Unit;

use Increff\ShipmentRelay\Model\Processor\InvalidPayloadException;
use Increff\ShipmentRelay\Model\Processor\PayloadValidator;
use Increff\ShipmentRelay\Model\Processor\WebhookProcessor;
use PHPUnit\Framework\TestCase;

/** Every valid example payload of the repository passes; broken shapes name their field. */
final class PayloadValidatorTest extends TestCase
{
    /** @return array<string, array{string, string}> */
    public static function validExamples(): array
    {
        $root = dirname(__DIR__, 4) . '/Schemas/examples/';
        $cases = [];
        foreach ([['notification', WebhookProcessor::NOTIFICATION], ['invoice-notification', WebhookProcessor::NOTIFICATION],
                  ['return-ack', WebhookProcessor::RETURN_ACK], ['order-posting', WebhookProcessor::ORDER_POSTING]] as [$dir, $kind]) {
            foreach (glob($root . $dir . '/*.json') ?: [] as $file) {
                if (!str_ends_with($file, '.invalid.json')) {
                    $cases[$dir . '/' . basename($file)] = [$kind, $file];
                }
            }
        }
        // What the relay itself sends: every expected notification of the research payloads.
        foreach (glob(dirname(__DIR__, 4) . '/Tests/RelayCoreTests/Resources/*/*.expected.json') ?: [] as $file) {
            $cases['relay fixture ' . basename(dirname($file)) . '/' . basename($file)] = ['list:' . WebhookProcessor::NOTIFICATION, $file];
        }
        return $cases;
    }

    /** @dataProvider validExamples */
    public function testValidExamplePasses(string $kind, string $file): void
    {
        $payload = json_decode((string) file_get_contents($file), true, 64, JSON_THROW_ON_ERROR);
        $validator = new PayloadValidator();
        if (str_starts_with($kind, 'list:')) {
            foreach ($payload as $notification) {
                $validator->validate(substr($kind, 5), $notification);
            }
        } else {
            $validator->validate($kind, $payload);
        }
        $this->addToAssertionCount(1);
    }

    /** @return array<string, array{string, mixed, string}> */
    public static function brokenShapes(): array
    {
        return [
            'list body' => [WebhookProcessor::NOTIFICATION, [1, 2], '(body)'],
            'lower-case type' => [WebhookProcessor::NOTIFICATION, ['notificationType' => 'delivered'], 'notificationType'],
            'number as order code' => [WebhookProcessor::NOTIFICATION,
                ['notificationType' => 'DELIVERED', 'forwardOrderCode' => 7, 'notificationUpdateTime' => 1], 'forwardOrderCode'],
            'return ack without items' => [WebhookProcessor::RETURN_ACK,
                ['returnOrderCode' => 'R', 'forwardOrderCode' => 'F', 'locationCode' => 'L', 'orderItems' => []], 'orderItems'],
            'shipment without code' => [WebhookProcessor::ORDER_POSTING,
                ['messageId' => 1, 'orderCode' => 'O', 'eventType' => 'E', 'shipments' => [['awbNumber' => 'x']]], 'shipments[0].shipmentCode'],
        ];
    }

    /** @dataProvider brokenShapes */
    public function testBrokenShapeNamesItsField(string $kind, mixed $payload, string $field): void
    {
        try {
            (new PayloadValidator())->validate($kind, $payload);
            self::fail('accepted');
        } catch (InvalidPayloadException $error) {
            self::assertSame($field, $error->field);
        }
    }
}
