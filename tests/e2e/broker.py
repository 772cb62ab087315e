"""Test harness: runs the real `ofbridge` binary on 127.0.0.1:0 with its own data directory and
config, and talks to it over real HTTP. Used by every end-to-end test in this directory."""

import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

BINARY = os.environ.get("OFBRIDGE_BIN", "ofbridge")
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")

DEFAULT_CONFIG = """
[server]
listen = "127.0.0.1:0"
log_level = "{log_level}"
{server_extra}

[stores.default.wms]
username = "wms"
api_key = "secret-api-key"
token = "m2-integration-token"
session_ttl_seconds = {ttl}
{stores_extra}

[admin]
{admin}
"""


def sample(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


class Broker:
    """One broker process. Use as a context manager, or call start()/stop()."""

    def __init__(self, workdir=None, ttl=3600, server_extra="", stores_extra="", log_level="info",
                 env=None, admin='listen = ""'):
        self.owns_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="ofbridge-e2e-")
        self.data_dir = os.path.join(self.workdir, "data")
        self.config_path = os.path.join(self.workdir, "ofbridge.toml")
        with open(self.config_path, "w") as f:
            f.write(DEFAULT_CONFIG.format(ttl=ttl, server_extra=server_extra,
                                          stores_extra=stores_extra, log_level=log_level,
                                          admin=admin))
        self.process = None
        self.host = None
        self.port = None
        self.log_path = os.path.join(self.workdir, "broker.log")
        self.env = dict(os.environ, **(env or {}))  # extra environment of the process

    # -- process -------------------------------------------------------------------------
    def start(self):
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--config", self.config_path, "--data-dir", self.data_dir],
            stdout=subprocess.PIPE, stderr=self.log, env=self.env)
        line = self.process.stdout.readline().decode()
        if not line.startswith("listening on "):
            self.process.kill()
            raise RuntimeError("broker did not start: %r\n%s" % (line, self.logs()))
        address = line.split()[-1]
        self.host, port = address.rsplit(":", 1)
        self.port = int(port)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        code = self.process.returncode if self.process else None
        if self.process:
            self.process.stdout.close()
            self.log.close()
        return code

    def kill(self):
        self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        self.log.close()

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def cleanup(self):
        if self.owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            self.cleanup()

    # -- HTTP ----------------------------------------------------------------------------
    def connection(self, timeout=10):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=b"", headers=None, timeout=10):
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def soap(self, body, path="/api/v2_soap/", content_type="text/xml; charset=utf-8", headers=None):
        all_headers = {"Content-Type": content_type}
        all_headers.update(headers or {})
        if isinstance(body, str):
            body = body.encode()
        return self.request("POST", path, body, all_headers)

    def rest(self, path, document, token="m2-integration-token"):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        status, _, body = self.request("POST", path, json.dumps(document).encode(), headers)
        return status, json.loads(body)

    def login(self, username="wms", api_key="secret-api-key"):
        status, _, body = self.soap(LOGIN.format(username=username, api_key=api_key))
        if status != 200:
            raise AssertionError("login failed: %d %s" % (status, body))
        return xml_text(body, "loginReturn")

    # -- CLI -----------------------------------------------------------------------------
    def cli(self, *args, check=True):
        command = [BINARY, *args, "--config", self.config_path, "--data-dir", self.data_dir]
        result = subprocess.run(command, capture_output=True, timeout=30)
        if check and result.returncode != 0:
            raise AssertionError("%s failed (%d): %s" % (command, result.returncode,
                                                          result.stderr.decode()))
        return result

    def cli_json(self, *args):
        return json.loads(self.cli(*args, "--json").stdout)


def xml_text(body, local_name):
    """Text of the first element with that local name (namespace-agnostic)."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(body)
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == local_name:
            return element.text or ""
    raise AssertionError("no <%s> in %r" % (local_name, body))


LOGIN = """<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:Magento" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body><ns1:login><username xsi:type="xsd:string">{username}</username><apiKey xsi:type="xsd:string">{api_key}</apiKey></ns1:login></SOAP-ENV:Body></SOAP-ENV:Envelope>"""


def m1_inventory(session, message_seq_id, lines, spelling=("skuQty", "skuSeqId")):
    """An M1 inventory message in the DESIGN §2.1 shape; lines = [(sku, qty, seq), ...]."""
    qty_items = "".join(
        '<item xsi:type="ns1:skuQty"><key xsi:type="xsd:string">%s</key><value xsi:type="xsd:int">%d</value></item>'
        % (sku, qty) for sku, qty, _ in lines)
    seq_items = "".join(
        '<item xsi:type="ns1:skuSeq"><key xsi:type="xsd:string">%s</key><value xsi:type="xsd:int">%d</value></item>'
        % (sku, seq) for sku, _, seq in lines)
    return ("""<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:Magento"
  xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/"
  SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">
 <SOAP-ENV:Body><ns1:orderflowInventoryMultiUpdate>
  <sessionId xsi:type="xsd:string">{session}</sessionId>
  <{qa} SOAP-ENC:arrayType="ns1:skuQty[{n}]" xsi:type="ns1:skuQtyArray">{qty_items}</{qa}>
  <{sa} SOAP-ENC:arrayType="ns1:skuSeq[{n}]" xsi:type="ns1:skuSeqArray">{seq_items}</{sa}>
  <messageSeqId xsi:type="xsd:int">{message_seq_id}</messageSeqId>
 </ns1:orderflowInventoryMultiUpdate></SOAP-ENV:Body></SOAP-ENV:Envelope>""").format(
        session=session, qa=spelling[0], sa=spelling[1], n=len(lines), qty_items=qty_items,
        seq_items=seq_items, message_seq_id=message_seq_id)


M2_INVENTORY_SERVICE = "realtimeDespatchOrderFlowInventoryRequestManagementV1"
M2_SHIPMENT_SERVICE = "realtimeDespatchOrderFlowShipmentRequestManagementV1"


def m2_envelope(service, element, children, base="http://wms.example:8080", soap12=False):
    env = ("http://www.w3.org/2003/05/soap-envelope" if soap12
           else "http://schemas.xmlsoap.org/soap/envelope/")
    ns = "%s/soap/default?services=%s" % (base, service)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<env:Envelope xmlns:env="%s" xmlns:ns1="%s"><env:Body><ns1:%s>%s</ns1:%s>'
            '</env:Body></env:Envelope>') % (env, ns, element, children, element)


def m2_inventory(message_seq_id, qtys, seqs, soap12=False):
    """qtys = [(sku, qty, source)], seqs = [(sku, seq)]"""
    q = "".join("<item><sku>%s</sku><qty>%s</qty>%s</item>" % (
        sku, qty, "<source>%s</source>" % source if source else "") for sku, qty, source in qtys)
    s = "".join("<item><sku>%s</sku><seq>%s</seq></item>" % (sku, seq) for sku, seq in seqs)
    return m2_envelope(M2_INVENTORY_SERVICE, M2_INVENTORY_SERVICE + "UpdateRequest",
                       "<productQtys>%s</productQtys><productSeqs>%s</productSeqs>"
                       "<messageSeqId>%s</messageSeqId>" % (q, s, message_seq_id), soap12=soap12)


def m2_path(service):
    return "/soap/default?services=" + service
