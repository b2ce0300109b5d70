<?php

declare(strict_types=1);

namespace Increff\ShipmentRelay\Model\Webapi;

use Magento\Framework\App\RequestInterface;

/** Magento's request headers in the shape the verifier reads (getHeaderLine, as PSR-7). */
final class RequestHeaders
{
    public function __construct(private readonly RequestInterface $request)
    {
    }

    public function getHeaderLine(string $name): string
    {
        $value = method_exists($this->request, 'getHeader') ? $this->request->getHeader($name) : false;
        return is_string($value) ? $value : '';
    }
}
