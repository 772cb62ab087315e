"""The broker as a systemd service, without systemd: the notify protocol through a datagram
socket named in NOTIFY_SOCKET (READY=1 only once the listener accepts connections, WATCHDOG=1
pings while the writer turns, STOPPING=1 on SIGTERM), journal-style log lines when stderr is the
journal's stream, the sample api_key refused under a service manager, and --version."""

import http.client
import os
import re
import signal
import socket
import subprocess
import tempfile
import unittest

from broker import BINARY, Broker


class NotifyTest(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="ofbridge-notify-")
        self.socket_path = os.path.join(self.directory, "notify")
        self.manager = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.manager.bind(self.socket_path)
        self.manager.settimeout(10)

    def tearDown(self):
        self.manager.close()
        os.unlink(self.socket_path)
        os.rmdir(self.directory)

    def next_message(self):
        return self.manager.recv(4096).decode()

    def test_ready_after_listening_then_watchdog_then_stopping(self):
        broker = Broker(env={"NOTIFY_SOCKET": self.socket_path, "WATCHDOG_USEC": "200000",
                             "INVOCATION_ID": "0123456789abcdef"})
        try:
            broker.start()
            self.assertEqual(self.next_message(), "READY=1")  # the first thing it says
            # READY means connections are served: this one is answered at once.
            conn = http.client.HTTPConnection(broker.host, broker.port, timeout=10)
            conn.request("GET", "/healthz")
            self.assertEqual(conn.getresponse().read(), b"ok\n")
            conn.close()
            pings = [self.next_message() for _ in range(3)]  # every 100 ms (WATCHDOG_USEC / 2)
            self.assertEqual(pings, ["WATCHDOG=1"] * 3)
            broker.process.send_signal(signal.SIGTERM)
            while (message := self.next_message()) == "WATCHDOG=1":
                pass
            self.assertEqual(message, "STOPPING=1")
            self.assertEqual(broker.stop(), 0)
        finally:
            broker.stop()
            broker.cleanup()

    def test_sample_api_key_refused_under_a_service_manager(self):
        broker = Broker(env={"NOTIFY_SOCKET": self.socket_path, "INVOCATION_ID": "0123"})
        with open(broker.config_path) as f:
            config = f.read().replace('api_key = "secret-api-key"', 'api_key = "change-me"')
        with open(broker.config_path, "w") as f:
            f.write(config)
        result = subprocess.run([BINARY, "serve", "--config", broker.config_path, "--data-dir",
                                 broker.data_dir], capture_output=True, timeout=30, env=broker.env)
        broker.cleanup()
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(b'stores.default.wms.api_key is the sample "change-me"', result.stderr)
        self.assertIn(broker.config_path.encode(), result.stderr)
        self.manager.settimeout(0)
        with self.assertRaises(BlockingIOError):  # it never said READY
            self.manager.recv(4096)


class LoggingAndVersionTest(unittest.TestCase):
    def test_journal_stream_gets_priority_prefixes_and_no_timestamps(self):
        broker = Broker()
        open(broker.log_path, "ab").close()  # the stderr the broker will get
        st = os.stat(broker.log_path)
        broker.env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
        broker.start()
        broker.stop()
        lines = broker.logs().splitlines()
        broker.cleanup()
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, r"^<[0-7]>(info|warning|error|critical|debug) ")
        self.assertTrue(any(l.startswith("<6>info listening on ") for l in lines), lines)

    def test_without_the_journal_lines_carry_timestamps(self):
        broker = Broker().start()
        broker.stop()
        first = broker.logs().splitlines()[0]
        broker.cleanup()
        self.assertRegex(first, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")

    def test_version_names_the_release_and_the_git_revision(self):
        result = subprocess.run([BINARY, "--version"], capture_output=True, timeout=30)
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout.decode().strip(),
                         r"^ofbridge \d+\.\d+\.\d+ \(git ([0-9a-f]{12}(-dirty)?|unknown)\)$")


if __name__ == "__main__":
    unittest.main()
