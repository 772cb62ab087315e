"""TLS on the WMS listener, with a throw-away CA made by the openssl CLI in the test: curl and
PHP's SoapClient (trusting that CA) load the WSDL, which names https://, and get their messages
acknowledged; plain HTTP sent to the TLS port, a stalled handshake and client certificates the
configured CA did not issue are refused during the handshake while the broker keeps serving;
SIGHUP picks up a new certificate for new connections without dropping open ones; a key file
others may read stops start-up."""

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from broker import Broker, LOGIN, m1_inventory, xml_text

PHP = os.environ.get("OFBRIDGE_PHP", "php")
HERE = os.path.dirname(os.path.abspath(__file__))


def openssl(directory, *args):
    subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)


def make_ca(directory, name):
    openssl(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days", "2",
            "-subj", "/CN=" + name)


def make_certificate(directory, ca, name, usage):
    """A certificate for 127.0.0.1 signed by `ca`; usage: serverAuth or clientAuth."""
    with open(os.path.join(directory, name + ".ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=%s\n" % usage)
    openssl(directory, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
    openssl(directory, "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey",
            ca + ".key", "-CAcreateserial", "-out", name + ".pem", "-days", "2",
            "-extfile", name + ".ext")
    os.chmod(os.path.join(directory, name + ".key"), 0o600)


def wait_for_log(broker, text, timeout=10):
    deadline = time.monotonic() + timeout
    while text not in broker.logs():
        if time.monotonic() > deadline:
            raise AssertionError("no %r in the log:\n%s" % (text, broker.logs()))
        time.sleep(0.02)


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = tempfile.mkdtemp(prefix="ofbridge-tls-")
        make_ca(cls.pki, "ca")
        make_ca(cls.pki, "rogue-ca")
        make_certificate(cls.pki, "ca", "server", "serverAuth")
        make_certificate(cls.pki, "ca", "server-renewed", "serverAuth")
        make_certificate(cls.pki, "ca", "wms", "clientAuth")
        make_certificate(cls.pki, "rogue-ca", "intruder", "clientAuth")
        # The broker's own copies, so SIGHUP can be shown a renewed certificate.
        shutil.copy(os.path.join(cls.pki, "server.pem"), os.path.join(cls.pki, "live.pem"))
        shutil.copy(os.path.join(cls.pki, "server.key"), os.path.join(cls.pki, "live.key"))
        os.chmod(os.path.join(cls.pki, "live.key"), 0o600)
        cls.broker = Broker(server_extra='tls_cert = "%s"\ntls_key = "%s"\nread_timeout_ms = 1000' % (
            os.path.join(cls.pki, "live.pem"), os.path.join(cls.pki, "live.key")),
            log_level="debug").start()
        cls.base = "https://127.0.0.1:%d" % cls.broker.port

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        cls.broker.cleanup()
        shutil.rmtree(cls.pki, ignore_errors=True)
        assert code == 0, code

    def path(self, name):
        return os.path.join(self.pki, name)

    def curl(self, url, *args):
        return subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", self.path("ca.pem"),
                               *args, url], capture_output=True, timeout=30)

    def context(self):
        return ssl.create_default_context(cafile=self.path("ca.pem"))

    def assert_serving(self):
        result = self.curl(self.base + "/healthz")
        self.assertEqual((result.returncode, result.stdout), (0, b"ok\n"), result.stderr)

    def test_curl_wsdl_says_https_and_messages_are_acknowledged(self):
        result = self.curl(self.base + "/api/v2_soap/?wsdl=1")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(b'location="https://127.0.0.1:%d/' % self.broker.port, result.stdout)
        self.assertNotIn(b'location="http://', result.stdout)
        soap = ["-H", "Content-Type: text/xml; charset=utf-8", "--data-binary"]
        login = self.curl(self.base + "/api/v2_soap/", *soap,
                          LOGIN.format(username="wms", api_key="secret-api-key"))
        self.assertEqual(login.returncode, 0, login.stderr)
        session = xml_text(login.stdout, "loginReturn")
        reply = self.curl(self.base + "/api/v2_soap/", *soap,
                          m1_inventory(session, 9100, [("TLS-1", 4, 9101)]))
        self.assertIn(b"Success - Message 9100 Received", reply.stdout)
        rows = self.broker.cli_json("requests", "list", "--entity", "inventory")["requests"]
        self.assertIn("9100", [r["message_key"] for r in rows])

    def test_php_soapclient_over_https(self):
        result = subprocess.run([PHP, "-d", "openssl.cafile=" + self.path("ca.pem"),
                                 os.path.join(HERE, "php_m1_client.php"), self.base,
                                 "secret-api-key"], capture_output=True, timeout=60)
        output = result.stdout.decode()
        self.assertEqual(result.returncode, 0, output + result.stderr.decode())
        self.assertEqual(output.count("ok   "), 10, output)

    def test_plain_http_to_the_tls_port_is_refused(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.broker.port, timeout=10)
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            conn.request("POST", "/api/v2_soap/", body=LOGIN.format(
                username="wms", api_key="secret-api-key"), headers={"Content-Type": "text/xml"})
            conn.getresponse().read()
        conn.close()
        self.assertIn("TLS handshake from 127.0.0.1 failed", self.broker.logs())
        self.assert_serving()

    def test_stalled_handshake_is_closed_after_the_read_timeout(self):
        with socket.create_connection(("127.0.0.1", self.broker.port), timeout=10) as s:
            s.sendall(b"\x16\x03\x01")  # the start of a ClientHello, never finished
            self.assertEqual(s.recv(1024), b"")  # closed by the broker (read_timeout_ms = 1000)
        self.assert_serving()

    def test_sighup_reloads_the_certificate_and_keeps_open_connections(self):
        kept = http.client.HTTPSConnection("127.0.0.1", self.broker.port, timeout=10,
                                           context=self.context())
        kept.request("GET", "/healthz")
        self.assertEqual(kept.getresponse().read(), b"ok\n")
        kept_socket = kept.sock
        with open(self.path("server-renewed.pem"), "rb") as f:
            renewed = ssl.PEM_cert_to_DER_cert(f.read().decode())
        for name in ("pem", "key"):  # replaced the way certbot-style tools do: rename
            shutil.copy(self.path("server-renewed." + name), self.path("next." + name))
            os.chmod(self.path("next." + name), 0o600)
            os.replace(self.path("next." + name), self.path("live." + name))
        self.broker.process.send_signal(signal.SIGHUP)
        wait_for_log(self.broker, "TLS certificate re-read")
        fresh = socket.create_connection(("127.0.0.1", self.broker.port), timeout=10)
        with self.context().wrap_socket(fresh, server_hostname="127.0.0.1") as tls:
            self.assertEqual(tls.getpeercert(binary_form=True), renewed)
        kept.request("GET", "/healthz")  # the connection from before SIGHUP goes on
        self.assertEqual(kept.getresponse().read(), b"ok\n")
        self.assertIs(kept.sock, kept_socket)
        kept.close()

        # A key that does not match the certificate: logged, and the renewed one stays in use.
        shutil.copy(self.path("wms.key"), self.path("next.key"))
        os.chmod(self.path("next.key"), 0o600)
        os.replace(self.path("next.key"), self.path("live.key"))
        self.broker.process.send_signal(signal.SIGHUP)
        wait_for_log(self.broker, "still serving the previous certificate")
        self.assertIn("cannot load the key", self.broker.logs())
        fresh = socket.create_connection(("127.0.0.1", self.broker.port), timeout=10)
        with self.context().wrap_socket(fresh, server_hostname="127.0.0.1") as tls:
            self.assertEqual(tls.getpeercert(binary_form=True), renewed)

    def test_key_others_may_read_stops_start_up(self):
        shutil.copy(self.path("server.key"), self.path("open.key"))
        os.chmod(self.path("open.key"), 0o644)
        broker = Broker(server_extra='tls_cert = "%s"\ntls_key = "%s"' % (
            self.path("server.pem"), self.path("open.key")))
        try:
            with self.assertRaises(RuntimeError) as failure:
                broker.start()
            self.assertIn("group or others may access it", str(failure.exception))
            self.assertNotEqual(broker.process.wait(timeout=10), 0)
        finally:
            broker.process.stdout.close()
            broker.log.close()
            broker.cleanup()


class ClientCertificateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = tempfile.mkdtemp(prefix="ofbridge-mtls-")
        make_ca(cls.pki, "ca")
        make_ca(cls.pki, "rogue-ca")
        make_certificate(cls.pki, "ca", "server", "serverAuth")
        make_certificate(cls.pki, "ca", "wms", "clientAuth")
        make_certificate(cls.pki, "rogue-ca", "intruder", "clientAuth")
        p = lambda name: os.path.join(cls.pki, name)
        cls.broker = Broker(server_extra='tls_cert = "%s"\ntls_key = "%s"\ntls_client_ca = "%s"' % (
            p("server.pem"), p("server.key"), p("ca.pem")), log_level="debug").start()
        cls.url = "https://127.0.0.1:%d/healthz" % cls.broker.port

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        cls.broker.cleanup()
        shutil.rmtree(cls.pki, ignore_errors=True)
        assert code == 0, code

    def curl(self, *args):
        return subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert",
                               os.path.join(self.pki, "ca.pem"), *args, self.url],
                              capture_output=True, timeout=30)

    def with_certificate(self, name):
        return self.curl("--cert", os.path.join(self.pki, name + ".pem"),
                         "--key", os.path.join(self.pki, name + ".key"))

    def test_only_certificates_of_the_client_ca_get_in(self):
        good = self.with_certificate("wms")
        self.assertEqual((good.returncode, good.stdout), (0, b"ok\n"), good.stderr)
        self.assertNotEqual(self.curl().returncode, 0)  # no certificate
        intruder = self.with_certificate("intruder")
        self.assertNotEqual(intruder.returncode, 0)
        self.assertNotEqual(intruder.stdout, b"ok\n")
        again = self.with_certificate("wms")  # still serving
        self.assertEqual((again.returncode, again.stdout), (0, b"ok\n"), again.stderr)
        self.assertIn("TLS handshake from 127.0.0.1 failed", self.broker.logs())


if __name__ == "__main__":
    unittest.main()
