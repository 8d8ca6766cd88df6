"""test_delivery.py — the alert delivery worker against real receivers.

Each receiver is a small Python http.server process on a loopback port, started
by the test; it logs every request (method, path, headers, body) as a JSON line
and answers what its plan file says (a list of statuses, then a default; an
optional delay).  Receivers and outbox rows are written into the running
server's database with sqlite3 (WAL allows it), in the shapes the rules engine
writes (notify_message_json()).  Checked: the exact request of every receiver
kind (PagerDuty trigger and resolve with one dedup_key, the Standard Webhooks
signature recomputed here, Alertmanager v4, MLflow alias, TorchServe
set-default, GitHub dispatch); a 400 not retried; a hanging receiver cut at its
timeout while another is served; an outage with a SIGKILL in the middle where
every notification arrives once in content with one webhook-id, and ingest p99
during it; the test endpoint and `driftd alerts test`; the metrics.
"""
import base64
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dd_harness  # noqa: E402
from dd_harness import Server, finish, free_port  # noqa: E402
from dd_receiver import Receiver  # noqa: E402

SLOW = os.environ.get("DRIFTD_TEST_SLOW") == "1"

def now_ms():
    return int(time.time() * 1000)


def message(msg_id, event="firing", rule="vit-conf", model="vit", version="v3", **extra):
    """The outbox's message JSON, as notify_message_json() writes it."""
    m = {"id": msg_id, "event": event, "alert_key": f"driftd/{rule}/{model}/{version}",
         "rule": rule, "model": model, "version": version, "signal": "confidence",
         "method": "ks", "severity": "critical", "condition": "p_value < 0.01",
         "value": 0.0031, "threshold": 0.01, "p_value": 0.0031, "statistic": 0.21,
         "window_from_ms": 1795341600000, "window_to_ms": 1795345200000,
         "events_current": 1234, "events_reference": 1000,
         "started_at_ms": 1795345500000, "resolved_at_ms": None,
         "report_url": f"http://127.0.0.1:8080/api/v1/models/{model}/drift?version={version}",
         "external_url": "http://127.0.0.1:8080", "source": None,
         "rollback_to": "v2", "rollback_reason": None,
         "export_url": f"http://127.0.0.1:8080/api/v1/models/{model}/events?version={version}"
                       "&from=2026-11-22T10:00:00Z&to=2026-11-22T11:00:00Z",
         "export_from_ms": 1795341600000, "export_to_ms": 1795345200000, "summary": None,
         "labels": {"team": "vision"}}
    if event == "resolved":
        m["resolved_at_ms"] = 1795349100000
    m.update(extra)
    return m


class Db:
    """Writes into the running server's database as the rules engine would."""

    def __init__(self, path):
        self.path = path

    def conn(self):
        c = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        c.execute("PRAGMA busy_timeout = 30000")
        return c

    def receiver(self, body):
        c = self.conn()
        c.execute("INSERT OR REPLACE INTO receivers (id, body, source, created_at)"
                  " VALUES (?, ?, 'api', ?)", (body["id"], json.dumps(body), now_ms()))
        c.close()

    def queue(self, receiver_id, msg, alert_id=None, created=None):
        c = self.conn()
        t = created if created is not None else now_ms()
        c.execute("INSERT INTO outbox (message_id, receiver_id, alert_id, event, message,"
                  " created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  (msg["id"], receiver_id, alert_id, msg["event"], json.dumps(msg), t, t))
        c.close()

    def rows(self, where="1", args=()):
        c = self.conn()
        c.row_factory = sqlite3.Row
        out = [dict(r) for r in c.execute(f"SELECT * FROM outbox WHERE {where} ORDER BY id", args)]
        c.close()
        return out

    def attempts(self, message_id):
        c = self.conn()
        c.row_factory = sqlite3.Row
        out = [dict(r) for r in c.execute(
            "SELECT a.* FROM delivery_attempts a JOIN outbox o ON o.id = a.outbox_id"
            " WHERE o.message_id = ? ORDER BY a.rowid", (message_id,))]
        c.close()
        return out

    def wait_done(self, message_ids, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            rows = [r for r in self.rows() if r["message_id"] in message_ids]
            if len(rows) == len(message_ids) and all(r["state"] != "pending" for r in rows):
                return {r["message_id"]: r for r in rows}
            time.sleep(0.05)
        raise AssertionError(f"not done in {timeout}s: {self.rows()}")


def verify_standard_webhook(secret, headers, raw):
    """Recomputes the Standard Webhooks signature; True when one of them matches."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + raw
    want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(s == "v1," + want for s in headers["webhook-signature"].split(" "))


class DeliveryTest(unittest.TestCase):
    SERVER_ARGS = ("--delivery-poll", "100ms", "--delivery-timeout", "2s",
                   "--eval-interval", "1h")

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="driftd-deliv-")
        cls.srv = Server(*cls.SERVER_ARGS).start()
        cls.db = Db(cls.srv.db)
        cls.receivers = []

    @classmethod
    def tearDownClass(cls):
        for r in cls.receivers:
            r.stop()
        try:
            finish(cls.srv)
        finally:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def receiver(self, name, **plan):
        r = Receiver(self.tmp, name, **plan)
        self.receivers.append(r)
        return r

    # ---- the request of each kind ----

    def test_pagerduty_trigger_and_resolve_share_one_dedup_key(self):
        pd = self.receiver("pd", default=202)
        self.db.receiver({"id": "pd", "type": "pagerduty", "url": pd.url + "/v2/enqueue",
                          "routing_key": "R0UT1NGKEY0123456789abcdef012345"})
        fire, res = message("msg_pd_fire"), message("msg_pd_resolve", event="resolved")
        # both due at once: the resolve must not overtake its trigger
        self.db.queue("pd", fire, alert_id=101)
        self.db.queue("pd", res, alert_id=101)
        done = self.db.wait_done({"msg_pd_fire", "msg_pd_resolve"})
        self.assertEqual(done["msg_pd_fire"]["state"], "delivered")
        self.assertEqual(done["msg_pd_fire"]["attempts"], 1)
        self.assertEqual(done["msg_pd_fire"]["last_status"], 202)
        self.assertEqual(done["msg_pd_resolve"]["state"], "delivered")
        reqs = pd.requests()
        self.assertEqual(len(reqs), 2)
        trig, resolve = reqs[0], reqs[1]
        self.assertEqual((trig["method"], trig["path"]), ("POST", "/v2/enqueue"))
        self.assertEqual(trig["headers"]["content-type"], "application/json")
        self.assertNotIn("authorization", trig["headers"])
        b = trig["json"]
        self.assertEqual(b["routing_key"], "R0UT1NGKEY0123456789abcdef012345")
        self.assertEqual(b["event_action"], "trigger")
        self.assertEqual(b["dedup_key"], "driftd/vit-conf/vit/v3")
        p = b["payload"]
        self.assertLessEqual(len(p["summary"]), 1024)
        for word in ("vit", "v3", "confidence", "p_value < 0.01"):
            self.assertIn(word, p["summary"])
        self.assertEqual(p["source"], "driftd")
        self.assertEqual(p["severity"], "critical")
        self.assertRegex(p["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        self.assertEqual((p["component"], p["group"], p["class"]), ("vit", "v3", "confidence"))
        cd = p["custom_details"]
        self.assertEqual(cd["test"], False)
        self.assertEqual(cd["method"], "ks")
        self.assertAlmostEqual(cd["statistic"], 0.21)
        self.assertAlmostEqual(cd["p_value"], 0.0031)
        self.assertAlmostEqual(cd["threshold"], 0.01)
        self.assertEqual(cd["events"], {"current": 1234, "reference": 1000})
        self.assertIn("from", cd["window"])
        self.assertEqual(b["links"][0]["href"],
                         "http://127.0.0.1:8080/api/v1/models/vit/drift?version=v3")
        # the resolve: exactly these three members, the same dedup key
        self.assertEqual(resolve["json"], {"routing_key": "R0UT1NGKEY0123456789abcdef012345",
                                           "event_action": "resolve",
                                           "dedup_key": "driftd/vit-conf/vit/v3"})
        self.assertLess(trig["t"], resolve["t"])

    def test_webhook_standard_webhooks_signature(self):
        # the published test vector, through the same check as below
        self.assertTrue(verify_standard_webhook(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
             "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
            b'{"test": 2432232314}'))
        wh = self.receiver("wh", default=200)
        secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        self.db.receiver({"id": "wh", "type": "webhook", "url": wh.url + "/hook?team=ml",
                          "secret": secret, "action": "rollback",
                          "headers": {"X-Team": "ml"}})
        t0 = time.time()
        self.db.queue("wh", message("msg_wh_1"), alert_id=201)
        self.db.wait_done({"msg_wh_1"})
        (req,) = wh.requests()
        h = req["headers"]
        self.assertEqual((req["method"], req["path"]), ("POST", "/hook?team=ml"))
        self.assertEqual(h["webhook-id"], "msg_wh_1")
        self.assertLessEqual(abs(int(h["webhook-timestamp"]) - t0), 5)
        self.assertTrue(verify_standard_webhook(secret, h, req["raw"]))
        # one byte changed: the signature no longer matches
        self.assertFalse(verify_standard_webhook(secret, h, req["raw"] + b" "))
        self.assertEqual(h["x-team"], "ml")
        b = req["json"]
        self.assertEqual(b["type"], "alert.firing")
        self.assertEqual(b["id"], "msg_wh_1")
        self.assertEqual(b["alert"]["key"], "driftd/vit-conf/vit/v3")
        self.assertEqual(b["alert"]["labels"], {"team": "vision"})
        self.assertEqual(b["action"]["type"], "rollback")
        self.assertEqual((b["action"]["model"], b["action"]["from_version"],
                          b["action"]["to_version"]), ("vit", "v3", "v2"))

    def test_alertmanager_v4_payload(self):
        am = self.receiver("am", default=200)
        self.db.receiver({"id": "am", "type": "webhook", "url": am.url + "/api/v2/alerts",
                          "format": "alertmanager"})
        self.db.queue("am", message("msg_am_1"), alert_id=301)
        self.db.wait_done({"msg_am_1"})
        (req,) = am.requests()
        b = req["json"]
        self.assertEqual(b["version"], "4")
        self.assertEqual(b["status"], "firing")
        self.assertEqual(b["receiver"], "am")
        self.assertEqual(b["truncatedAlerts"], 0)
        self.assertEqual(b["externalURL"], "http://127.0.0.1:8080")
        for k in ("groupKey", "groupLabels", "commonLabels", "commonAnnotations", "alerts"):
            self.assertIn(k, b)
        self.assertEqual(b["groupLabels"], {"alertname": "vit-conf", "model": "vit",
                                            "version": "v3"})
        (a,) = b["alerts"]
        self.assertEqual(a["status"], "firing")
        self.assertEqual(a["labels"]["alertname"], "vit-conf")
        self.assertEqual(a["labels"]["team"], "vision")
        self.assertEqual(a["labels"]["severity"], "critical")
        self.assertEqual(a["endsAt"], "0001-01-01T00:00:00Z")
        self.assertRegex(a["startsAt"], r"^2026-11-22T")
        self.assertRegex(a["fingerprint"], r"^[0-9a-f]{16}$")
        self.assertIn("summary", a["annotations"])
        self.assertEqual(a["generatorURL"],
                         "http://127.0.0.1:8080/api/v1/models/vit/drift?version=v3")
        self.assertEqual(req["headers"]["webhook-id"], "msg_am_1")

    def test_mlflow_alias_call(self):
        ml = self.receiver("ml", default=200)
        self.db.receiver({"id": "ml", "type": "mlflow", "url": ml.url, "token": "mlf-tok",
                          "registered_model": "vit-prod", "alias": "champion",
                          "versions": {"v2": "6", "v3": "7"}})
        self.db.queue("ml", message("msg_ml_1"), alert_id=401)
        # a resolved alert: nothing to roll forward to, skipped with the reason
        self.db.queue("ml", message("msg_ml_2", event="resolved"), alert_id=401)
        done = self.db.wait_done({"msg_ml_1", "msg_ml_2"})
        self.assertEqual(done["msg_ml_1"]["state"], "delivered")
        self.assertEqual(done["msg_ml_2"]["state"], "skipped")
        self.assertEqual(done["msg_ml_2"]["attempts"], 0)
        self.assertTrue(done["msg_ml_2"]["last_error"])
        (req,) = ml.requests()
        self.assertEqual((req["method"], req["path"]),
                         ("POST", "/api/2.0/mlflow/registered-models/alias"))
        self.assertEqual(req["headers"]["authorization"], "Bearer mlf-tok")
        self.assertEqual(req["json"], {"name": "vit-prod", "alias": "champion", "version": "6"})

    def test_torchserve_set_default_call(self):
        ts = self.receiver("ts", default=200)
        self.db.receiver({"id": "ts", "type": "torchserve", "management_url": ts.url,
                          "model_name": "vit", "versions": {"v2": "2.0"}})
        self.db.queue("ts", message("msg_ts_1"), alert_id=501)
        # no rollback target: nothing is sent, the reason is kept
        self.db.queue("ts", message("msg_ts_2", version="v9", rollback_to=None,
                                    rollback_reason="no other version without drift"),
                      alert_id=502)
        done = self.db.wait_done({"msg_ts_1", "msg_ts_2"})
        self.assertEqual(done["msg_ts_1"]["state"], "delivered")
        self.assertEqual(done["msg_ts_2"]["state"], "skipped")
        self.assertIn("no other version without drift", done["msg_ts_2"]["last_error"])
        (req,) = ts.requests()
        self.assertEqual((req["method"], req["path"]), ("PUT", "/models/vit/2.0/set-default"))
        self.assertEqual(req["raw"], b"")

    def test_github_dispatch(self):
        gh = self.receiver("gh", default=204)
        self.db.receiver({"id": "gh", "type": "github", "url": gh.url, "repository": "org/ml",
                          "token": "ghp_secret", "event_type": "driftd-retrain"})
        self.db.queue("gh", message("msg_gh_1"), alert_id=601)
        done = self.db.wait_done({"msg_gh_1"})
        self.assertEqual(done["msg_gh_1"]["last_status"], 204)
        (req,) = gh.requests()
        h = req["headers"]
        self.assertEqual((req["method"], req["path"]), ("POST", "/repos/org/ml/dispatches"))
        self.assertEqual(h["authorization"], "Bearer ghp_secret")
        self.assertEqual(h["accept"], "application/vnd.github+json")
        self.assertEqual(h["x-github-api-version"], "2022-11-28")
        self.assertTrue(h["user-agent"])
        b = req["json"]
        self.assertEqual(b["event_type"], "driftd-retrain")
        cp = b["client_payload"]
        self.assertLessEqual(len(cp), 10)
        self.assertEqual((cp["model"], cp["version"]), ("vit", "v3"))
        self.assertEqual(cp["action"]["type"], "retrain")
        self.assertTrue(cp["action"]["export_url"].startswith(
            "http://127.0.0.1:8080/api/v1/models/vit/events?version=v3"))
        self.assertNotIn("ghp_secret", self.srv.logs())

    # ---- failures ----

    def test_400_is_not_retried(self):
        bad = self.receiver("bad", default=400)
        self.db.receiver({"id": "bad", "type": "webhook", "url": bad.url + "/x"})
        self.db.queue("bad", message("msg_bad_1"), alert_id=701)
        done = self.db.wait_done({"msg_bad_1"})
        row = done["msg_bad_1"]
        self.assertEqual((row["state"], row["attempts"], row["last_status"]), ("failed", 1, 400))
        self.assertIn("400", row["last_error"])
        self.assertIn('"status": "error"', row["last_error"])  # the receiver's explanation
        time.sleep(1.5)  # no second attempt comes
        self.assertEqual(len(bad.requests()), 1)
        self.assertEqual(len(self.db.attempts("msg_bad_1")), 1)
        st, _, text = self.srv.request("GET", "/metrics")
        self.assertIn('driftd_notifications_total{receiver="bad",outcome="failed"} 1', text)

    def test_hanging_receiver_is_cut_and_holds_up_nobody(self):
        hang = self.receiver("hang", default=200, delay=30)
        fast = self.receiver("fast", default=200)
        self.db.receiver({"id": "hang", "type": "webhook", "url": hang.url + "/h"})
        self.db.receiver({"id": "fast", "type": "webhook", "url": fast.url + "/f"})
        self.db.queue("hang", message("msg_hang_1"), alert_id=801)
        time.sleep(0.3)  # the hanging send is under way
        t0 = time.time()
        self.db.queue("fast", message("msg_fast_1"), alert_id=802)
        self.db.wait_done({"msg_fast_1"}, timeout=5)
        fast_s = time.time() - t0
        self.assertLess(fast_s, 1.5)  # not behind the 2 s timeout of the other
        deadline = time.time() + 10
        while not self.db.attempts("msg_hang_1") and time.time() < deadline:
            time.sleep(0.05)
        (a,) = self.db.attempts("msg_hang_1")[:1]
        print(f"\nhang: cut after {a['elapsed_ms']} ms (timeout 2 s); the other receiver's "
              f"notification took {fast_s * 1000:.0f} ms meanwhile", file=sys.stderr)
        self.assertIsNone(a["status"])
        self.assertGreaterEqual(a["elapsed_ms"], 1950)
        self.assertLessEqual(a["elapsed_ms"], 3000)
        (row,) = self.db.rows("message_id = 'msg_hang_1'")
        self.assertEqual(row["state"], "pending")  # a timeout is retried
        self.assertGreater(row["next_attempt_at"], a["at"])
        hang.set_plan(default=200)  # let the retry through, and stop the retries
        self.db.wait_done({"msg_hang_1"}, timeout=30)

    # ---- the test endpoint, the command, the metrics ----

    def test_receiver_test_endpoint_and_command(self):
        tr = self.receiver("tr", default=202)
        self.db.receiver({"id": "tr", "type": "pagerduty", "url": tr.url + "/v2/enqueue",
                          "routing_key": "TESTKEY0123456789abcdef012345678"})
        st, _, body = self.srv.request("POST", "/api/v1/receivers/tr/test")
        self.assertEqual(st, 200, body)
        self.assertEqual(body["receiver"], "tr")
        self.assertEqual(body["type"], "pagerduty")
        self.assertEqual(body["status"], 202)
        self.assertTrue(body["delivered"])
        self.assertEqual(json.loads(body["body"])["status"], "ok")
        self.assertGreaterEqual(body["elapsed_ms"], 0)
        (req,) = tr.requests()
        self.assertEqual(req["json"]["event_action"], "trigger")
        self.assertEqual(req["json"]["payload"]["custom_details"]["test"], True)
        self.assertEqual(req["json"]["payload"]["severity"], "info")
        self.assertEqual(self.db.rows("receiver_id = 'tr'"), [])  # not an outbox row
        st, _, body = self.srv.request("POST", "/api/v1/receivers/nobody/test")
        self.assertEqual(st, 404)
        self.assertEqual(body["error"]["code"], "not_found")
        # a receiver whose port is closed: an answer that says so
        self.db.receiver({"id": "closed", "type": "webhook",
                          "url": f"http://127.0.0.1:{free_port()}/x"})
        st, _, body = self.srv.request("POST", "/api/v1/receivers/closed/test")
        self.assertEqual(st, 200)
        self.assertEqual((body["status"], body["delivered"]), (0, False))
        self.assertTrue(body["error"])
        # the command
        out = subprocess.run([dd_harness.DRIFTD, "alerts", "test", "tr", "--url",
                              f"http://127.0.0.1:{self.srv.port}"], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("202", out.stdout)
        self.assertEqual(len(tr.requests()), 2)
        out = subprocess.run([dd_harness.DRIFTD, "alerts", "test", "nobody", "--url",
                              f"http://127.0.0.1:{self.srv.port}"], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn("nobody", out.stderr)

    def test_metrics(self):
        c = self.db.conn()
        t = now_ms()
        for i, state in enumerate(("firing", "firing", "pending", "resolved")):
            c.execute("INSERT INTO alerts (rule_id, model, version, alert_key, state,"
                      " pending_since) VALUES (?, 'm', ?, 'k', ?, ?)",
                      (f"metrics-{i}", f"v{i}", state, t))
        c.close()
        # a notification that cannot go out yet: the oldest pending one
        self.db.receiver({"id": "later", "type": "webhook", "url": "http://127.0.0.1:9/x"})
        c = self.db.conn()
        c.execute("INSERT INTO outbox (message_id, receiver_id, event, message, created_at,"
                  " next_attempt_at) VALUES ('msg_later', 'later', 'firing', '{}', ?, ?)",
                  (t - 90_000, t + 3_600_000))
        c.close()
        st, h, text = self.srv.request("GET", "/metrics")
        self.assertEqual(st, 200)
        lines = text.splitlines()
        self.assertIn('driftd_alerts{state="firing"} 2', lines)
        self.assertIn('driftd_alerts{state="pending"} 1', lines)
        self.assertIn('driftd_alerts{state="resolved"} 1', lines)
        (age,) = [ln for ln in lines if ln.startswith("driftd_outbox_oldest_pending_seconds ")]
        self.assertGreaterEqual(float(age.split()[1]), 90)
        self.assertLess(float(age.split()[1]), 200)
        promtool = shutil.which("promtool")
        if promtool:
            p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        c = self.db.conn()
        c.execute("DELETE FROM outbox WHERE message_id = 'msg_later'")
        c.execute("DELETE FROM alerts WHERE rule_id LIKE 'metrics-%'")
        c.close()


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))]


class OutageTest(unittest.TestCase):
    """A receiver answers 500 for a while, then 202; driftd is killed with
    SIGKILL during the outage and restarted."""

    def test_outage_with_sigkill(self):
        tmp = tempfile.mkdtemp(prefix="driftd-outage-")
        args = ("--delivery-poll", "100ms", "--eval-interval", "1h")
        srv = Server(*args).start()
        rcv = None
        try:
            db = Db(srv.db)
            conn = srv.conn()
            batch = [{"prediction": "a", "confidence": 0.9, "features": {"x": 1.5}}]

            def ingest_p99(n=200):
                lat = []
                for i in range(n):
                    t = time.perf_counter()
                    st, _, _ = srv.request("POST", "/api/v1/models/m/events", {"events": batch},
                                           conn=conn)
                    lat.append(time.perf_counter() - t)
                    self.assertEqual(st, 202)
                return p99(lat)

            ingest_p99(50)  # warm up
            base = ingest_p99()
            rcv = Receiver(tmp, "out", before=500, until=time.time() + 3600, default=202)
            db.receiver({"id": "out", "type": "webhook", "url": rcv.url + "/hook",
                         "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
            ids = [f"msg_out_{i}" for i in range(5)]
            for i, mid in enumerate(ids):
                db.queue("out", message(mid, rule=f"r{i}"), alert_id=900 + i)
            during = ingest_p99()
            # a failed attempt of each is recorded before the kill
            deadline = time.time() + 30
            while time.time() < deadline and not all(db.attempts(m) for m in ids):
                time.sleep(0.1)
            self.assertTrue(all(db.attempts(m) for m in ids))
            srv.kill9()
            conn.close()
            n_before = len(rcv.requests())
            rcv.set_plan(before=500, until=time.time() + 2, default=202)  # outage ends in 2 s
            srv = Server(*args, db_dir=srv.dir, port=srv.port).start()
            done = Db(srv.db).wait_done(set(ids), timeout=120)
            reqs = rcv.requests()
            print(f"\noutage: ingest p99 {base * 1000:.2f} ms without, {during * 1000:.2f} ms "
                  f"during the outage; {len(reqs)} requests ({n_before} before the SIGKILL) "
                  f"for {len(ids)} notifications", file=sys.stderr)
            for mid in ids:
                self.assertEqual(done[mid]["state"], "delivered")
                mine = [r for r in reqs if r["headers"]["webhook-id"] == mid]
                self.assertGreaterEqual(len(mine), 2)  # retried, across the restart
                self.assertEqual(sum(1 for r in mine if r["status"] == 202), 1)
                # once in content: the same body but for the attempt's timestamp
                bodies = set()
                for r in mine:
                    b = r["json"]
                    b.pop("timestamp")
                    bodies.add(json.dumps(b, sort_keys=True))
                    self.assertTrue(verify_standard_webhook(
                        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", r["headers"], r["raw"]))
                self.assertEqual(len(bodies), 1)
                self.assertLessEqual(done[mid]["attempts"], len(mine))  # one may die in flight
            # A receiver that held up ingest would cost seconds (its timeout) per request;
            # the 2x target itself is a measurement (printed above), not a timed test: on a
            # loaded 2-core CI machine a p99 of ~1 ms moves by milliseconds on its own.
            self.assertLessEqual(during, 2 * base + 0.05,
                                 f"ingest p99 {during} during the outage vs {base} without")
        finally:
            if rcv:
                rcv.stop()
            srv.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    dd_harness.main()
