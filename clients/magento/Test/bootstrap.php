<?php

declare(strict_types=1);

// PHPUnit without Composer or Magento: the verifier library's autoloader and a PSR-4 one for this module. Only the
// framework-free classes are loaded by the tests (the Magento-facing ones are checked with php -l).
require dirname(__DIR__, 2) . '/php/autoload.php';

spl_autoload_register(static function (string $class): void {
    $prefix = 'Increff\\ShipmentRelay\\';
    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
        $file = dirname(__DIR__) . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
