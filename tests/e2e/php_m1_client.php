<?php
// PHP's SoapClient against a running broker: loads the served Magento-1 WSDL over HTTP and
// calls login, orderflowInventoryMultiUpdate and orderflowShipmentCreate from it.
//   php php_m1_client.php http://127.0.0.1:PORT API_KEY
// Prints one "ok ..." line per check; exits 1 on the first mismatch.
$base = $argv[1];
$api_key = $argv[2];

function check(string $what, $actual, $expected): void {
    echo ($actual === $expected ? "ok   " : "FAIL "), $what, " -> ", var_export($actual, true), "\n";
    if ($actual !== $expected) exit(1);
}

foreach ([SOAP_1_1, SOAP_1_2] as $version) {
    $v = $version == SOAP_1_2 ? "1.2" : "1.1";
    $client = new SoapClient("$base/api/v2_soap/?wsdl=1",
                             ["soap_version" => $version, "cache_wsdl" => WSDL_CACHE_NONE, "exceptions" => true]);
    $session = $client->login("wms", $api_key);
    check("SOAP $v login returns a session", strlen($session), 64);
    $seq = $version == SOAP_1_2 ? 7200 : 7100;
    check("SOAP $v orderflowInventoryMultiUpdate", $client->orderflowInventoryMultiUpdate($session,
        [["key" => "PHP-1", "value" => 5], ["key" => "PHP-2", "value" => 0]],
        [["key" => "PHP-1", "value" => $seq + 11, "lastOrderExported" => "2026-11-20T10:00:00"],
         ["key" => "PHP-2", "value" => $seq + 12]],
        $seq), "Success - Message $seq Received");
    check("SOAP $v orderflowShipmentCreate", $client->orderflowShipmentCreate($session, "100000777",
        [["key" => "PHP-1", "value" => 1]], "left at reception", 1, 0, "DPD", "Next Day", "TRK-PHP",
        "2026-11-20", $seq + 1), "Success - Message " . ($seq + 1) . " Received");
    try {
        $client->orderflowInventoryMultiUpdate("not-a-session", [["key" => "X", "value" => 1]],
                                               [["key" => "X", "value" => 1]], 1);
        check("SOAP $v bad session faults", "no fault", "fault");
    } catch (SoapFault $fault) {
        check("SOAP $v bad session fault", $fault->getMessage(), "Session expired. Try to relogin.");
    }
    check("SOAP $v endSession", $client->endSession($session), true);
}
