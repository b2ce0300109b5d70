<?php

declare(strict_types=1);

namespace Increff\RelayWebhooks\Tests;

/** The two PSR-7 MessageInterface methods the verifier uses; no psr/http-message needed. */
final class FakePsrRequest
{
    /** @var array<string, list<string>> */
    private array $headers = [];

    /** @param array<string, list<string>> $headers */
    public function __construct(array $headers)
    {
        foreach ($headers as $name => $values) {
            $this->headers[strtolower($name)] = $values;
        }
    }

    /** @return list<string> */
    public function getHeader(string $name): array
    {
        return $this->headers[strtolower($name)] ?? [];
    }

    public function getHeaderLine(string $name): string
    {
        return implode(', ', $this->getHeader($name));
    }
}
