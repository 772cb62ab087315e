"""End-to-end: WMS -> broker -> Magento 2 through the magento2 target, against the fake Magento
(tests/fakes/fake_magento.py, which validates every request against Magento's REST schema and
scripts its faults). 10,000 stock lines over 1,000 SKUs and 2 sources with shuffled sequence ids
end at the oracle's quantities through chunks of 20, token expiry, a 429 storm and 5xx; a 400
lands on its import line; shipments, partial and complete, with replies dropped after Magento
committed and a kill -9 of the broker, are created exactly once each; a ship call Magento
commits only after the broker gave up and searched once is found by a second search, never sent
again (also across a kill -9); stock sent around a shipment is not deducted twice; `ofbridge
check` names what is missing (a source, the credentials)."""

import json
import os
import random
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))

from admin_http import console_address, scrape  # noqa: E402
from broker import Broker  # noqa: E402
from fake_magento import FakeMagento  # noqa: E402
from inventory_history import expected_stock, group_into_messages, make_history, rest_body  # noqa: E402
from test_worker import send_all, wait_until  # noqa: E402


def magento_store(fake, auth, extra="", timeout_ms=2000):
    return ("[stores.default]\ntarget = \"magento2\"\n[stores.default.magento]\n"
            "base_url = \"%s\"\n%s\ntimeout_ms = %d\nretry_base_ms = 20\nretry_max_ms = 300\n%s"
            % (fake.base_url, auth, timeout_ms, extra))


def integration_auth(keys):
    return "\n".join("%s = \"%s\"" % (k, keys[v]) for k, v in (
        ("oauth_consumer_key", "consumer_key"), ("oauth_consumer_secret", "consumer_secret"),
        ("oauth_access_token", "access_token"),
        ("oauth_access_token_secret", "access_token_secret")))


def ship_body(order, items, seq):
    return {"orderIncrementId": order["increment_id"],
            "skuQty": [{"sku": s, "qty": q} for s, q in items],
            "courierName": "DPD", "serviceName": "Next Day",
            "trackingNumber": "TRK-%d" % seq, "messageSeqId": seq}


def exactly(rng, records, n):
    """`records` cut down to `n` at random, keeping at least one record of every key."""
    per_key = {}
    for r in records:
        per_key.setdefault((r["sku"], r["source"]), []).append(r)
    spare = [r for rs in per_key.values() for r in rs[1:]]
    rng.shuffle(spare)
    drop = set(id(r) for r in spare[:len(records) - n])
    assert len(records) - len(drop) == n, "too few records to cut down"
    return [r for r in records if id(r) not in drop]


def outbox(broker, state=None):
    args = ["outbox", "list", "--limit", "0"] + (["--state", state] if state else [])
    return broker.cli_json(*args)["outbox"]


def settled(broker):
    """Every request applied and nothing left waiting in the outbox."""
    rows = broker.cli_json("requests", "list", "--limit", "0")["requests"]
    return (all(r["state"] == "done" for r in rows) and not outbox(broker, "waiting"))


class MagentoTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeMagento(seed=7).start()
        self.addCleanup(self.fake.stop)

    def assert_fake_clean(self):
        with self.fake.state.lock:
            self.assertEqual(self.fake.state.schema_violations, [])
            self.assertEqual(self.fake.state.fake_errors, [])
            self.assertEqual(self.fake.state.input_limit_refusals, [])
            self.assertEqual(self.fake.state.unscripted, [])
            self.assertEqual(self.fake.state.concurrent_ships, [])

    def test_stock_reaches_the_oracle_through_token_expiry_429_and_5xx(self):
        """The issue's scale: 10,000 stock lines over 1,000 SKUs and 2 sources, shuffled, in
        messages of up to 100 lines (some re-delivered), delivered in chunks of 20 (the fake's
        input limit is on: a bigger chunk would be refused) through an admin token that expires
        mid-run, a 429 storm and server errors."""
        fake = self.fake
        for source in ("default", "wh-2"):
            fake.add_source(source)
        fake.create_admin_user("ofbridge", "admin-secret")
        rng = random.Random(13)
        records = exactly(rng, make_history(rng, skus=1000, records_per_key=(1, 10)), 10000)
        self.assertEqual(len({(r["sku"], r["source"]) for r in records}), 2000)
        messages = group_into_messages(rng, records, max_lines=100)
        half = len(messages) // 2
        store = magento_store(fake, "username = \"ofbridge\"\npassword = \"admin-secret\"",
                              "source_items_chunk = 20\nconcurrency = 2\n")
        with Broker(stores_extra=store) as broker:
            send_all(broker, messages[:half], threads=4)
            # Mid-run: the admin token expires, then a 429 storm and server errors.
            wait_until(lambda: fake.state.source_item_calls > 0, what="first delivery")
            fake.expire_tokens()
            fake.inject("429", count=40)
            fake.inject("5xx", count=4)
            send_all(broker, messages[half:], threads=4)
            wait_until(lambda: settled(broker), timeout=180, what="everything delivered")
            expected = expected_stock(records)
            with fake.state.lock:
                actual = {key: (fake.state.source_items.get(key) or {}).get("quantity")
                          for key in expected}
                status = {key: (fake.state.source_items.get(key) or {}).get("status")
                          for key in expected}
            self.assertEqual(actual, expected)
            self.assertEqual(status, {key: 1 if qty > 0 else 0 for key, qty in expected.items()})
            self.assertGreaterEqual(fake.state.tokens_issued, 2)  # first token, then a refresh
            self.assertGreaterEqual(fake.state.faults.get("429", 0), 40)
            # Coalesced: never more source items than applied lines, and every call within
            # Magento's input limit (assert_fake_clean: no refusal).
            self.assertLessEqual(fake.state.source_items_saved, len(records))
            self.assertEqual(outbox(broker, "failed"), [])
            for report in broker.cli_json("imports", "list", "--limit", "3")["imports"]:
                shown = broker.cli_json("imports", "show", str(report["id"]))
                for line in shown["lines"]:
                    if line["result"] == "Success":
                        self.assertEqual(line["delivery"], {"state": "delivered", "message": ""})
        self.assert_fake_clean()

    def test_a_400_is_recorded_on_its_line_and_retried_on_demand(self):
        fake = self.fake
        fake.add_source("default")
        fake.create_admin_user("ofbridge", "admin-secret")
        store = magento_store(fake, "username = \"ofbridge\"\npassword = \"admin-secret\"")
        with Broker(stores_extra=store) as broker:
            lines = [{"sku": "SKU-1", "qty": 5, "source": "default", "seq": 1},
                     {"sku": "SKU-2", "qty": 7, "source": "eu-9", "seq": 1}]
            status, _ = broker.rest("/rest/default/V1/orderflow/inventory", rest_body(1, lines))
            self.assertEqual(status, 200)
            wait_until(lambda: settled(broker), what="delivered or failed")
            self.assertEqual(fake.source_item("SKU-1", "default")["quantity"], 5)
            report = broker.cli_json("imports", "list", "--limit", "1")["imports"][0]
            shown = broker.cli_json("imports", "show", str(report["id"]))
            by_sku = {l["reference"]: l for l in shown["lines"]}
            self.assertEqual(by_sku["SKU-1"]["delivery"]["state"], "delivered")
            self.assertEqual(by_sku["SKU-2"]["delivery"],
                             {"state": "failed", "message": "Could not save Source Item"})
            text = broker.cli("imports", "show", str(report["id"])).stdout.decode()
            self.assertIn("failed: Could not save Source Item", text)
            failed = outbox(broker, "failed")
            self.assertEqual([(r["reference"], r["source"]) for r in failed], [("SKU-2", "eu-9")])
            # The merchant creates the source; a retry delivers it.
            fake.add_source("eu-9")
            broker.cli("outbox", "retry", str(failed[0]["id"]))
            wait_until(lambda: fake.source_item("SKU-2", "eu-9") is not None,
                       what="retried delivery")
            wait_until(lambda: settled(broker) and not outbox(broker, "failed"),
                       what="outbox settled")
        self.assert_fake_clean()

    def test_check_names_what_is_missing(self):
        fake = self.fake
        fake.add_source("default")
        fake.create_admin_user("ofbridge", "admin-secret")
        extra = "[stores.default.magento.source_map]\nwh-2 = \"eu-2\"\ndefault = \"default\"\n"
        broker = Broker(stores_extra=magento_store(
            fake, "username = \"ofbridge\"\npassword = \"admin-secret\"", extra))
        self.addCleanup(broker.cleanup)
        result = broker.cli("check", check=False)
        out = result.stdout.decode()
        self.assertEqual(result.returncode, 1, out)
        self.assertIn("FAIL  default  source 'eu-2' known to Magento", out)
        self.assertIn("ok    default  permission Magento_Sales::ship: ok", out)
        fake.add_source("eu-2")
        result = broker.cli("check", check=False)
        self.assertEqual(result.returncode, 0, result.stdout.decode())
        bad = Broker(stores_extra=magento_store(
            fake, "username = \"ofbridge\"\npassword = \"wrong\""))
        self.addCleanup(bad.cleanup)
        result = bad.cli("check", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("FAIL  default  authenticate (bearer token)", result.stdout.decode())
        self.assertNotIn("wrong", result.stdout.decode() + result.stderr.decode())
        self.assert_fake_clean()

    def test_shipments_are_created_once_through_dropped_replies_and_kill_9(self):
        fake = self.fake
        fake.add_source("default")
        for sku in ("SKU-A", "SKU-B", "TEE"):
            fake.add_product(sku)
        keys = fake.create_integration("ofbridge")
        orders = []
        for n in range(6):
            orders.append(fake.add_order([{"sku": "SKU-A", "qty": 3}, {"sku": "SKU-B", "qty": 2},
                                          {"sku": "TEE-M", "qty": 1, "parent_sku": "TEE"}]))
        workdir = tempfile.mkdtemp(prefix="ofbridge-magento-")
        self.addCleanup(shutil.rmtree, workdir, True)
        orders_file = os.path.join(workdir, "orders.json")
        with open(orders_file, "w") as f:
            json.dump({"items": orders}, f)
        store = magento_store(fake, integration_auth(keys))

        def start():
            return Broker(workdir=workdir, stores_extra=store).start()

        broker = start()
        try:
            broker.cli("orders", "import", orders_file)
            # Magento's sources hold the goods first (sent through the broker like any stock).
            stock = [{"sku": s, "qty": 100, "source": "default", "seq": 1}
                     for s in ("SKU-A", "SKU-B", "TEE-M")]
            broker.rest("/rest/default/V1/orderflow/inventory", rest_body(1, stock))
            wait_until(lambda: settled(broker), what="initial stock")
            # Replies to half the ship calls are lost after Magento committed, some 5xx after
            # commit: each needs the marker check, never a blind retry.
            fake.set_faults(drop_after_commit_rate=0.4, error_after_commit_rate=0.2,
                            match=r"/ship$")

            def ship(order, items, seq):
                status, reply = broker.rest("/rest/default/V1/orderflow/shipment",
                                            ship_body(order, items, seq))
                self.assertEqual(status, 200, reply)

            for n, order in enumerate(orders[:3]):
                ship(order, [("SKU-A", 1)], 100 + n)  # partial
            wait_until(lambda: fake.state.committed_then_dropped > 0 or
                       sum(fake.state.shipments_created.values()) >= 2, what="ship calls")
            broker.kill()  # kill -9 mid-delivery
            broker = start()
            for n, order in enumerate(orders):
                ship(order, [("SKU-A", 3 if n >= 3 else 2), ("SKU-B", 2), ("TEE-M", 1)],
                     200 + n)  # complete
            # The WMS's absolute stock after the picks: SKU-A 100 - 18 = 82, and so on.
            after = [{"sku": "SKU-A", "qty": 82, "source": "default", "seq": 2},
                     {"sku": "SKU-B", "qty": 88, "source": "default", "seq": 2},
                     {"sku": "TEE-M", "qty": 94, "source": "default", "seq": 2}]
            broker.rest("/rest/default/V1/orderflow/inventory", rest_body(2, after))
            wait_until(lambda: settled(broker), timeout=180, what="shipments delivered")
            delivered = [r for r in outbox(broker) if r["kind"] == "shipment"]
            self.assertEqual(len(delivered), 9)
            self.assertTrue(all(r["state"] == "delivered" for r in delivered), delivered)
            with fake.state.lock:
                created = dict(fake.state.shipments_created)
                orders_now = {o: dict(d) for o, d in fake.state.orders.items()}
            expected = {o["entity_id"]: (2 if n < 3 else 1) for n, o in enumerate(orders)}
            self.assertEqual(created, expected)
            # The faults did happen: replies lost after the commit, found again by marker.
            self.assertGreater(fake.state.committed_then_dropped, 0)
            self.assertIn("found by its marker", broker.logs())
            for order in orders:
                doc = orders_now[order["entity_id"]]
                self.assertEqual(doc["state"], "complete")
                for item in doc["items"]:
                    self.assertEqual(item["qty_shipped"], item["qty_ordered"], item["sku"])
            # MSI deducted the shipped units; the WMS's absolute figure is what remains.
            self.assertEqual(fake.source_item("SKU-A", "default")["quantity"], 82)
            self.assertEqual(fake.source_item("SKU-B", "default")["quantity"], 88)
            self.assertEqual(fake.source_item("TEE-M", "default")["quantity"], 94)
            # Each shipment line of the import log shows its delivery.
            reports = broker.cli_json("imports", "list", "--entity", "shipment",
                                      "--limit", "0")["imports"]
            self.assertEqual(len(reports), 9)
            for report in reports:
                line = broker.cli_json("imports", "show", str(report["id"]))["lines"][0]
                self.assertEqual(line["delivery"]["state"], "delivered")
        finally:
            broker.stop()
        self.assert_fake_clean()

    def test_a_ship_call_magento_commits_after_we_gave_up_is_not_sent_again(self):
        """Magento still runs a ship call when the broker's timeout ends and commits it only
        after the broker's first search (late_commit): one search that misses is not proof, the
        row is searched again at least timeout_ms later and found. A partial shipment, so a
        re-send would create a second one. Then the same with a kill -9 of the broker while it
        waits to look again; and a call that never reached Magento is sent again after the
        second miss."""
        fake = self.fake
        fake.add_product("SKU-A", qty=100)
        keys = fake.create_integration("ofbridge")
        orders = [fake.add_order([{"sku": "SKU-A", "qty": 3}]) for _ in range(3)]
        workdir = tempfile.mkdtemp(prefix="ofbridge-magento-")
        self.addCleanup(shutil.rmtree, workdir, True)
        orders_file = os.path.join(workdir, "orders.json")
        with open(orders_file, "w") as f:
            json.dump({"items": orders}, f)
        # Long enough that the row is still seen waiting between the first search's log line
        # and the CLI's read of it on a loaded machine (it is searched again this much later).
        store = magento_store(fake, integration_auth(keys), timeout_ms=3000)

        def start():
            return Broker(workdir=workdir, stores_extra=store,
                          admin='listen = "127.0.0.1:0"').start()

        def shipments(broker):
            return [r for r in outbox(broker) if r["kind"] == "shipment"]

        broker = start()
        try:
            broker.cli("orders", "import", orders_file)
            fake.inject("late_commit", count=1, match=r"/ship$", seconds=60)
            status, reply = broker.rest("/rest/default/V1/orderflow/shipment",
                                        ship_body(orders[0], [("SKU-A", 1)], 1))
            self.assertEqual(status, 200, reply)
            wait_until(lambda: [r["state"] for r in shipments(broker)] == ["delivered"],
                       what="the late shipment found")
            self.assertEqual(fake.state.late_commits, 1)
            self.assertGreaterEqual(fake.state.shipment_lookups, 2)  # a miss, then found
            logs = broker.logs()
            self.assertIn("not in Magento yet", logs)
            self.assertIn("found by its marker", logs)

            # The broker is killed while it waits to look again; the restarted one waits too.
            lookups = fake.state.shipment_lookups
            fake.inject("late_commit", count=1, match=r"/ship$", seconds=60)
            status, reply = broker.rest("/rest/default/V1/orderflow/shipment",
                                        ship_body(orders[1], [("SKU-A", 1)], 2))
            self.assertEqual(status, 200, reply)
            wait_until(lambda: broker.logs().count("not in Magento yet") >= 2,
                       what="the first search missed")
            self.assertEqual(fake.state.shipment_lookups, lookups + 1)
            # Visible while it waits: the row's resend_after and the miss counter.
            waiting = [r for r in shipments(broker) if r["state"] == "waiting"]
            self.assertEqual(len(waiting), 1, waiting)
            self.assertIsNotNone(waiting[0]["resend_after"])
            self.assertIn("not found in Magento yet", waiting[0]["message"])
            self.assertEqual(scrape(console_address(broker)).get(
                ("ofbridge_magento_shipment_search_misses_total", ()), 0), 2)
            broker.kill()
            broker = start()
            wait_until(lambda: [r["state"] for r in shipments(broker)] == ["delivered"] * 2,
                       what="the shipment found after the restart")
            self.assertEqual(broker.logs().count("found by its marker"), 2)
            with fake.state.lock:
                ships = [r for r in fake.state.requests if r[1].endswith("/ship")]
            self.assertEqual(len(ships), 2)  # never sent again

            # A call that never reached Magento (the connection dropped before anything
            # happened): two searches miss, then it is sent again, and created once.
            fake.inject("drop_before", count=1, match=r"/ship$")
            status, reply = broker.rest("/rest/default/V1/orderflow/shipment",
                                        ship_body(orders[2], [("SKU-A", 1)], 3))
            self.assertEqual(status, 200, reply)
            wait_until(lambda: [r["state"] for r in shipments(broker)] == ["delivered"] * 3,
                       what="the dropped shipment sent again")
            self.assertIn("not in Magento after two searches; sending it again", broker.logs())
            with fake.state.lock:
                self.assertEqual(dict(fake.state.shipments_created),
                                 {o["entity_id"]: 1 for o in orders})
                ships = [r for r in fake.state.requests if r[1].endswith("/ship")]
            self.assertEqual(len(ships), 4)
        finally:
            broker.stop()
        self.assert_fake_clean()


if __name__ == "__main__":
    unittest.main()
