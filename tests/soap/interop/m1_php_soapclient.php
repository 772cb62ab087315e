<?php
// Manual interop check (not a CTest yet): PHP's SoapClient loads the served Magento-1 WSDL,
// encodes login / orderflowInventoryMultiUpdate / orderflowShipmentCreate / endSession from it,
// and decodes ofbridge's replies and faults. No HTTP: __doRequest pipes through soap_probe.
//   php m1_php_soapclient.php <path/to/soap_probe>
// SPDX-License-Identifier: GPL-2.0-or-later
$probe = $argv[1] ?? "soap_probe";
$wsdl = tempnam(sys_get_temp_dir(), "m1wsdl");
file_put_contents($wsdl, shell_exec(escapeshellarg($probe) . " wsdl1 http://127.0.0.1:8080 /api/v2_soap/"));

class ProbeClient extends SoapClient {
    public string $probe = "";
    function __doRequest($request, $location, $action, $version, $one_way = 0): ?string {
        $content_type = $version == SOAP_1_2 ? "application/soap+xml" : "text/xml";
        $process = proc_open([$this->probe, "reply", $content_type, $action], [0 => ["pipe", "r"], 1 => ["pipe", "w"]], $pipes);
        fwrite($pipes[0], $request);
        fclose($pipes[0]);
        $reply = stream_get_contents($pipes[1]);
        proc_close($process);
        return $reply;
    }
}

function check(string $what, $actual, $expected): void {
    echo ($actual === $expected ? "ok   " : "FAIL "), $what, " -> ", var_export($actual, true), "\n";
    if ($actual !== $expected) exit(1);
}

foreach ([SOAP_1_1, SOAP_1_2] as $version) {
    $client = new ProbeClient($wsdl, ["soap_version" => $version, "cache_wsdl" => WSDL_CACHE_NONE]);
    $client->probe = $probe;
    $v = $version == SOAP_1_2 ? "1.2" : "1.1";
    check("SOAP $v login", $client->login("wms", "key"), "probe-session-id");
    check("SOAP $v orderflowInventoryMultiUpdate", $client->orderflowInventoryMultiUpdate("sess",
        [["key" => "hdd000", "value" => 5], ["key" => "ssd512", "value" => 0]],
        [["key" => "hdd000", "value" => 101, "lastOrderExported" => "2026-11-20T10:00:00"], ["key" => "ssd512", "value" => 102]],
        42), "Success - Message 42 Received");
    check("SOAP $v orderflowShipmentCreate", $client->orderflowShipmentCreate("sess", "100000042",
        [["key" => "hdd000", "value" => 1]], "comment", 1, 0, "DPD", "Next Day", "TRK", "2026-11-23", 43),
        "Success - Message 43 Received");
    check("SOAP $v endSession", $client->endSession("sess"), true);
    try {
        $client->login("bad\x01name", "key");
        check("SOAP $v fault", "no fault", "fault");
    } catch (SoapFault $fault) {
        check("SOAP $v fault string", str_starts_with($fault->getMessage(), "Malformed request: control character"), true);
    }
}
unlink($wsdl);
