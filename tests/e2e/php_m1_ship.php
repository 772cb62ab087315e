<?php
// PHP's SoapClient ships an order through the served Magento-1 WSDL:
//   php php_m1_ship.php http://127.0.0.1:PORT API_KEY ORDER SKU QTY MESSAGE_SEQ_ID
// Prints the reply; exits 1 on a fault.
[$script, $base, $api_key, $order, $sku, $qty, $seq] = $argv;
$client = new SoapClient("$base/api/v2_soap/?wsdl=1", ["cache_wsdl" => WSDL_CACHE_NONE]);
try {
    $session = $client->login("wms", $api_key);
    echo $client->orderflowShipmentCreate($session, $order, [["key" => $sku, "value" => (int)$qty]],
        "shipped by PHP", 1, 1, "DPD", "Next Day", "PHP-TRK-$seq", "2026-11-23", (int)$seq), "\n";
} catch (SoapFault $fault) {
    echo "fault: ", $fault->getMessage(), "\n";
    exit(1);
}
