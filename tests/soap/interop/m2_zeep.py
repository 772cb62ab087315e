# Manual interop check (not a CTest yet): Python zeep loads a served Magento-2 WSDL holding all
# five services, calls every operation from it and decodes ofbridge's replies and faults. No
# HTTP: the transport pipes each request through soap_probe.
#   /usr/bin/python3 m2_zeep.py <path/to/soap_probe>
# SPDX-License-Identifier: GPL-2.0-or-later
import subprocess
import sys
import tempfile

import requests
import zeep
from zeep.transports import Transport

PROBE = sys.argv[1] if len(sys.argv) > 1 else "soap_probe"
SERVICES = ["realtimeDespatchOrderFlowInventoryRequestManagementV1",
            "realtimeDespatchOrderFlowShipmentRequestManagementV1",
            "realtimeDespatchOrderFlowProductRequestManagementV1",
            "realtimeDespatchOrderFlowOrderRequestManagementV1",
            "integrationAdminTokenServiceV1"]


class ProbeTransport(Transport):
    content_type_override = None

    def post(self, address, message, headers):
        content_type = self.content_type_override or headers.get("Content-Type", "")
        done = subprocess.run([PROBE, "reply", content_type, headers.get("SOAPAction", "")],
                              input=message, capture_output=True, check=False)
        response = requests.Response()
        response.status_code = 200 if done.returncode == 0 else 500
        response.headers["Content-Type"] = "application/soap+xml; charset=utf-8"
        response._content = done.stdout
        response.encoding = "utf-8"
        return response


def check(what, actual, expected):
    print(("ok   " if actual == expected else "FAIL ") + what + " -> " + repr(actual))
    if actual != expected:
        sys.exit(1)


wsdl_text = subprocess.run([PROBE, "wsdl2", "http://127.0.0.1:8080", "default", ",".join(SERVICES)],
                           capture_output=True, check=True).stdout
with tempfile.NamedTemporaryFile(suffix=".wsdl") as wsdl:
    wsdl.write(wsdl_text)
    wsdl.flush()
    transport = ProbeTransport()
    client = zeep.Client(wsdl.name, transport=transport)

    def service(name):
        return client.bind(name + "Service", name + "Port")

    inventory = service(SERVICES[0])
    check("inventory update", inventory.realtimeDespatchOrderFlowInventoryRequestManagementV1Update(
        productQtys={"item": [{"sku": "hdd000", "qty": 10, "source": "default"},
                              {"sku": "hdd000", "qty": 4, "source": "leeds"}]},
        productSeqs={"item": [{"sku": "hdd000", "seq": 2001, "lastOrderExported": "2026-11-22 23:59:00"}]},
        messageSeqId=900), "Success - Message 900 Received")
    check("shipment create", service(SERVICES[1]).realtimeDespatchOrderFlowShipmentRequestManagementV1Create(
        orderIncrementId="000000123", skuQty={"item": [{"sku": "hdd000", "qty": 1}]},
        tracks={"item": [{"trackingNumber": "T1"}, {"trackingNumber": "T2"}]}, courierName="DPD",
        messageSeqId=78), "Success - Message 78 Received")
    check("product export", service(SERVICES[2]).realtimeDespatchOrderFlowProductRequestManagementV1Export(
        reference="hdd000"), "Success")
    check("order export", service(SERVICES[3]).realtimeDespatchOrderFlowOrderRequestManagementV1Export(
        reference="000000123"), "Success")
    check("admin token", service(SERVICES[4]).integrationAdminTokenServiceV1CreateAdminAccessToken(
        username="wms", password="pw"), "probe-token")
    transport.content_type_override = "text/xml"  # a SOAP 1.2 envelope as text/xml: a Sender fault
    try:
        inventory.realtimeDespatchOrderFlowInventoryRequestManagementV1Update(
            productQtys={"item": []}, productSeqs={"item": []}, messageSeqId=1)
        check("fault", "no fault", "fault")
    except zeep.exceptions.Fault as fault:
        check("fault code", fault.code, "env:Sender")
