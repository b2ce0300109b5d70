<?php

declare(strict_types=1);

namespace Increff\RelayWebhooks;

/**
 * Request headers looked up case-insensitively, from whatever a PHP application has at hand:
 *  - an array of name => value (or name => list of values), in any letter case: getallheaders(), Laravel's
 *    $request->headers->all(), a test's literal array;
 *  - PHP's $_SERVER (HTTP_WEBHOOK_ID, HTTP_WEBHOOK_TIMESTAMP, HTTP_WEBHOOK_SIGNATURE);
 *  - a PSR-7 request or any object with getHeaderLine() (Magento, Slim, Guzzle, Symfony's PSR bridge). No
 *    dependency on psr/http-message: the object is duck-typed.
 */
final class Headers
{
    /** @var array<string, string> lower-case name => value */
    private array $values = [];

    /**
     * @param array<string, string> $values lower-case name => value
     * @param object|null $message a PSR-7 style message asked for any other header
     */
    private function __construct(array $values, private readonly ?object $message = null)
    {
        $this->values = $values;
    }

    /**
     * @param array<array-key, mixed>|object|Headers $source
     */
    public static function from(array|object $source): self
    {
        if ($source instanceof self) {
            return $source;
        }
        if (is_array($source)) {
            return self::fromArray($source);
        }
        if (method_exists($source, 'getHeaderLine')) {
            return self::fromMessage($source);
        }
        throw new \InvalidArgumentException('Headers must be an array, $_SERVER, or an object with getHeaderLine() '
            . '(PSR-7); got ' . get_class($source));
    }

    /**
     * An array of headers in any letter case; also understands $_SERVER's HTTP_* keys.
     *
     * @param array<array-key, mixed> $headers
     */
    public static function fromArray(array $headers): self
    {
        $values = [];
        foreach ($headers as $name => $value) {
            if (!is_string($name)) {
                continue;
            }
            $key = strtolower($name);
            if (str_starts_with($key, 'http_')) {
                // $_SERVER: HTTP_WEBHOOK_ID => webhook-id. A real header named like this is kept as well.
                $values[str_replace('_', '-', substr($key, 5))] ??= self::line($value);
            }
            $values[$key] = self::line($value);
        }
        return new self($values);
    }

    /** PHP's $_SERVER (or a copy of it). */
    public static function fromServer(array $server): self
    {
        return self::fromArray($server);
    }

    /** A PSR-7 message, or any object with getHeaderLine(string): string (and optionally getHeader()). */
    public static function fromMessage(object $message): self
    {
        $values = [];
        foreach (Verifier::HEADERS as $name) {
            if (method_exists($message, 'getHeader')) {
                $lines = $message->getHeader($name);
                if (is_array($lines) && $lines !== []) {
                    $values[$name] = self::line($lines);
                    continue;
                }
            }
            $line = $message->getHeaderLine($name);
            if (is_string($line) && $line !== '') {
                $values[$name] = $line;
            }
        }
        return new self($values, $message);
    }

    /** The value of a header (any letter case), or null. */
    public function get(string $name): ?string
    {
        $key = strtolower($name);
        if (!array_key_exists($key, $this->values) && $this->message !== null) {
            $line = $this->message->getHeaderLine($key);
            $this->values[$key] = is_string($line) ? $line : '';
        }
        $value = $this->values[$key] ?? null;
        return $value === null || trim($value) === '' ? null : trim($value);
    }

    /** Several lines of one header (e.g. two webhook-signature lines) become one space-separated value. */
    private static function line(mixed $value): string
    {
        if (is_array($value)) {
            return implode(' ', array_map(static fn ($part): string => is_scalar($part) ? (string) $part : '', $value));
        }
        return is_scalar($value) ? (string) $value : '';
    }
}
