<?php
// PHP's SoapClient with its `compression` option, which gzips each request body and sends
// "Content-Encoding: gzip": login and orderflowInventoryMultiUpdate on the served Magento-1 WSDL.
//   php php_gzip_client.php http://127.0.0.1:PORT API_KEY MESSAGE_SEQ_ID
// Prints one "ok ..." line per check; exits 1 on the first mismatch.
$base = $argv[1];
$api_key = $argv[2];
$seq = (int)$argv[3];

function check(string $what, $actual, $expected): void {
    echo ($actual === $expected ? "ok   " : "FAIL "), $what, " -> ", var_export($actual, true), "\n";
    if ($actual !== $expected) exit(1);
}

$client = new SoapClient("$base/api/v2_soap/?wsdl=1", [
    "cache_wsdl" => WSDL_CACHE_NONE, "exceptions" => true, "trace" => true,
    "compression" => SOAP_COMPRESSION_ACCEPT | SOAP_COMPRESSION_GZIP | 5]);
$session = $client->login("wms", $api_key);
check("gzip login returns a session", strlen($session), 64);
check("the request went gzip-encoded",
      stripos($client->__getLastRequestHeaders(), "Content-Encoding: gzip") !== false, true);
check("gzip orderflowInventoryMultiUpdate", $client->orderflowInventoryMultiUpdate($session,
    [["key" => "PHPGZ-1", "value" => 4]], [["key" => "PHPGZ-1", "value" => $seq + 1]], $seq),
    "Success - Message $seq Received");
