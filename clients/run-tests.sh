#!/usr/bin/env bash
# clients/run-tests.sh: every check of the PHP clients, without Composer or Magento installed.
#   1. php -l on every PHP file under clients/
#   2. every XML file under clients/magento is well-formed; with MAGENTO_ROOT=<a Magento 2 checkout> each is also
#      validated against Magento's XSD named in it (urn:magento:framework:… and urn:magento:module:…)
#   3. every JSON file (composer.json, db_schema_whitelist.json) parses
#   4. PHPUnit: clients/php (the verifier) and clients/magento (the module's logic classes)
# Needs php-cli (8.1+), php-xml and phpunit (Debian: apt-get install php-cli php-xml php-mbstring phpunit).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

command -v php >/dev/null || { echo "run-tests.sh: php is not installed (apt-get install php-cli)" >&2; exit 1; }
command -v phpunit >/dev/null || { echo "run-tests.sh: phpunit is not installed (apt-get install phpunit)" >&2; exit 1; }
php -r 'exit(PHP_VERSION_ID >= 80100 ? 0 : 1);' || { echo "run-tests.sh: PHP 8.1+ required, found $(php -r 'echo PHP_VERSION;')" >&2; exit 1; }

echo "== php -l"
count=0
while IFS= read -r -d '' file; do
    php -l "$file" >/dev/null || { php -l "$file"; exit 1; }
    count=$((count + 1))
done < <(find . -name '*.php' -not -path '*/vendor/*' -print0)
echo "$count PHP files: no syntax errors"

echo "== XML and JSON"
php -r '
$root = getenv("MAGENTO_ROOT") ?: "";
$failed = 0; $checked = 0; $validated = 0;
libxml_use_internal_errors(true);
$it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator(".", FilesystemIterator::SKIP_DOTS));
foreach ($it as $file) {
    $path = $file->getPathname();
    if (str_contains($path, "/vendor/")) { continue; }
    if (str_ends_with($path, ".json")) {
        $checked++;
        try { json_decode(file_get_contents($path), true, 512, JSON_THROW_ON_ERROR); }
        catch (JsonException $e) { fwrite(STDERR, "$path: not JSON: {$e->getMessage()}\n"); $failed++; }
        continue;
    }
    if (!str_ends_with($path, ".xml")) { continue; }
    $checked++;
    $doc = new DOMDocument();
    if (!$doc->load($path)) {
        foreach (libxml_get_errors() as $e) { fwrite(STDERR, "$path:{$e->line}: " . trim($e->message) . "\n"); }
        libxml_clear_errors(); $failed++; continue;
    }
    $urn = $doc->documentElement->getAttributeNS("http://www.w3.org/2001/XMLSchema-instance", "noNamespaceSchemaLocation");
    if ($root === "" || !str_starts_with($urn, "urn:magento:")) { continue; }
    if (preg_match("#^urn:magento:framework:(.+)$#", $urn, $m)) {
        $xsd = "$root/lib/internal/Magento/Framework/{$m[1]}";
        if (!is_file($xsd)) { $xsd = "$root/vendor/magento/framework/{$m[1]}"; }
    } elseif (preg_match("#^urn:magento:module:Magento_(\w+):(.+)$#", $urn, $m)) {
        $xsd = "$root/app/code/Magento/{$m[1]}/{$m[2]}";
        if (!is_file($xsd)) { $xsd = "$root/vendor/magento/module-" . strtolower(preg_replace("/(?<!^)[A-Z]/", "-$0", $m[1])) . "/{$m[2]}"; }
    } else { $xsd = ""; }
    if (!is_file($xsd)) { fwrite(STDERR, "$path: no XSD for $urn under MAGENTO_ROOT\n"); $failed++; continue; }
    // Magento XSDs include each other by urn: resolve them to files under MAGENTO_ROOT.
    $text = preg_replace_callback("#urn:magento:framework:([^\"]+)#", fn ($m) => "file://$root/lib/internal/Magento/Framework/{$m[1]}", file_get_contents($xsd));
    $text = preg_replace_callback("#urn:magento:module:Magento_(\w+):([^\"]+)#", fn ($m) => "file://$root/app/code/Magento/{$m[1]}/{$m[2]}", $text);
    $tmp = dirname($xsd) . "/.increff-check-" . getmypid() . ".xsd";
    if (@file_put_contents($tmp, $text) === false) { $tmp = $xsd; }
    if (!$doc->schemaValidate($tmp)) {
        foreach (libxml_get_errors() as $e) { fwrite(STDERR, "$path:{$e->line}: " . trim($e->message) . "\n"); }
        libxml_clear_errors(); $failed++;
    } else { $validated++; }
    if ($tmp !== $xsd) { @unlink($tmp); }
}
echo "$checked XML/JSON files well-formed" . ($root !== "" ? ", $validated validated against Magento XSDs" : " (set MAGENTO_ROOT to validate against Magento XSDs)") . "\n";
exit($failed ? 1 : 0);
'

status=0
for suite in php magento; do
    echo "== phpunit: clients/$suite"
    # The last lines (OK (N tests, M assertions) or FAILURES!) stay visible in the test log.
    phpunit --configuration "$suite/phpunit.xml" || status=1
done
exit "$status"
