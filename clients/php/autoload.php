<?php

/**
 * PSR-4 autoloader for projects without Composer: `require __DIR__ . '/path/to/clients/php/autoload.php';`.
 * With Composer, require the package instead (see composer.json); this file is then not needed.
 */

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    $prefix = 'Increff\\RelayWebhooks\\';
    if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
        return;
    }
    $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    if (is_file($file)) {
        require $file;
    }
});
