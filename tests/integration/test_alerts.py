"""Alert rules, receivers' configuration, silences and the alert life-cycle
(docs/alerts.md), against the real driftd.

- Bad input: malformed rules and receivers, a rule naming an unknown
  receiver, a receiver URL that is not http(s), a duplicate id, deleting a
  receiver a rule uses: clear 400s and 409s naming the member, nothing stored.
- Secrets: GET never shows a routing key, secret or token.
- Life-cycle: drift injected into live traffic (window last:200, eval every
  1 s, for 0s) makes the rule fire: GET /api/v1/alerts shows it firing with
  one pending outbox row per receiver (delivery is the worker's); traffic back
  to normal resolves it with a "resolved" row; the state survives a restart
  (SIGKILL); a silenced rule changes state but its rows are 'skipped'.
- End to end with real receivers (small http.server processes on loopback
  ports): drift in live traffic fires the rule, PagerDuty gets a trigger, the
  rollback webhook names v1 (the newest other version without drift); traffic
  back to normal resolves the alert and PagerDuty gets the resolve with the
  same dedup_key.
- The config file's "receivers" and "rules" lists are loaded at start.
"""
import base64
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import jsonschema
import yaml

import dd_harness
from dd_harness import Server, ServerTest
from dd_receiver import Receiver

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
with open(os.path.join(ROOT, "docs", "openapi.yaml"), encoding="utf-8") as f:
    SPEC = yaml.safe_load(f)


def check_schema(name, obj):
    """obj matches components/schemas/<name> of docs/openapi.yaml."""
    jsonschema.Draft202012Validator(dict(SPEC, **{"$ref": "#/components/schemas/" + name})) \
        .validate(obj)

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def dead_url():
    """A loopback URL nobody listens on: delivery keeps retrying (rows stay pending)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/hook"


def events(version, n, lo, hi, seed, start):
    rnd = random.Random(seed)
    return [{"id": f"{version}-{seed}-{i}", "version": version, "ts": start + i,
             "prediction": "cat", "confidence": rnd.uniform(lo, hi)} for i in range(n)]


class BadInput(ServerTest):
    SERVER_ARGS = ("--eval-interval", "1s")

    def count(self, what):
        st, _, body = self.srv.request("GET", f"/api/v1/{what}")
        self.assertEqual(st, 200, body)
        return len(body[what])

    def refused(self, method, path, body, status, code, words):
        st, _, resp = self.srv.request(method, path, body)
        self.assertEqual(st, status, resp)
        self.assertEqual(resp["error"]["code"], code, resp)
        for w in words:
            self.assertIn(w, resp["error"]["message"])
        return resp

    def test_receivers_refused_nothing_stored(self):
        before = self.count("receivers")
        self.refused("POST", "/api/v1/receivers",
                     {"id": "wh", "type": "webhook", "url": "ftp://example.com/x"},
                     400, "invalid_body", ["url", "http"])
        self.refused("POST", "/api/v1/receivers", {"id": "pd", "type": "pagerduty"},
                     400, "invalid_body", ["routing_key"])
        self.refused("POST", "/api/v1/receivers", {"id": "x", "type": "carrier-pigeon",
                                                   "url": "http://a/"},
                     400, "invalid_body", ["type"])
        self.refused("POST", "/api/v1/receivers", "{not json", 400, "invalid_json", [])
        self.refused("POST", "/api/v1/rules", "[1,", 400, "invalid_json", [])
        self.refused("POST", "/api/v1/rules", "[1]", 400, "invalid_body", ["object"])
        self.assertEqual(self.count("receivers"), before)

    def test_rules_refused_nothing_stored(self):
        st, _, _ = self.srv.request("POST", "/api/v1/receivers",
                                    {"id": "ok-hook", "type": "webhook", "url": dead_url()})
        self.assertEqual(st, 201)
        before = self.count("rules")
        base = {"id": "r1", "model": "m", "signal": "confidence", "method": "ks",
                "condition": "p_value < 0.01", "receivers": ["ok-hook"]}
        cases = [
            (dict(base, condition="p_value <= 0.01"), ["condition", "'<'"]),
            (dict(base, condition="latency > 3"), ["condition"]),
            (dict(base, severity="fatal"), ["severity", "fatal"]),
            (dict(base, **{"for": "soon"}), ["for", "soon"]),
            (dict(base, repeat="0s"), ["repeat"]),
            (dict(base, model="bad model"), ["model"]),
            (dict(base, labels={"team": 3}), ["labels.team"]),
            (dict(base, colour="red"), ["colour", "unknown member"]),
            ({k: v for k, v in base.items() if k != "id"}, ["id", "required"]),
            ({"id": "r1", "model": "m", "signal": "performance", "condition": "p_value < 0.1"},
             ["condition", "accuracy"]),
            (dict(base, signal="performance"), ["method", "performance"]),
            ({"id": "r1", "model": "m", "condition": "p_value < 0.1"}, ["condition", "verdict"]),
            (dict(base, receivers="ok-hook"), ["receivers"]),
        ]
        for body, words in cases:
            with self.subTest(body=body):
                self.refused("POST", "/api/v1/rules", body, 400, "invalid_body", words)
        # an unknown receiver id is named
        self.refused("POST", "/api/v1/rules", dict(base, receivers=["ok-hook", "nobody"]),
                     400, "invalid_body", ["receivers", "'nobody'"])
        self.assertEqual(self.count("rules"), before)
        st, _, _ = self.srv.request("GET", "/api/v1/rules/r1")
        self.assertEqual(st, 404)

    def test_conflicts_and_in_use(self):
        rcv = {"id": "pd-main", "type": "pagerduty", "routing_key": "R0UT1NGKEY", "url": dead_url()}
        st, _, body = self.srv.request("POST", "/api/v1/receivers", rcv)
        self.assertEqual(st, 201, body)
        self.assertEqual(body["routing_key"], "set")
        self.assertEqual(body["source"], "api")
        check_schema("Receiver", body)
        self.refused("POST", "/api/v1/receivers", rcv, 409, "conflict", ["pd-main"])
        rule = {"id": "uses-pd", "model": "*", "receivers": ["pd-main"]}
        st, _, body = self.srv.request("POST", "/api/v1/rules", rule)
        self.assertEqual(st, 201, body)
        check_schema("Rule", body)
        self.assertEqual(body["condition"], "drift")
        self.assertEqual(body["severity"], "warning")
        self.assertEqual(body["repeat"], "4h")
        self.assertEqual(body["for"], "0s")
        self.refused("POST", "/api/v1/rules", rule, 409, "conflict", ["uses-pd"])
        self.refused("DELETE", "/api/v1/receivers/pd-main", None, 409, "conflict", ["uses-pd"])
        st, _, body = self.srv.request("GET", "/api/v1/receivers/pd-main")
        self.assertEqual(st, 200)
        self.assertNotIn("R0UT1NGKEY", json.dumps(body))
        # PUT replaces, with the id from the path
        st, _, body = self.srv.request("PUT", "/api/v1/rules/uses-pd",
                                       {"model": "m2", "receivers": ["pd-main"],
                                        "severity": "critical", "for": "5m"})
        self.assertEqual(st, 200, body)
        self.assertEqual((body["model"], body["severity"], body["for"]), ("m2", "critical", "5m"))
        self.refused("PUT", "/api/v1/rules/uses-pd", {"id": "other", "model": "m"}, 400,
                     "invalid_body", ["id"])
        st, _, _ = self.srv.request("DELETE", "/api/v1/rules/uses-pd")
        self.assertEqual(st, 200)
        st, _, _ = self.srv.request("DELETE", "/api/v1/receivers/pd-main")
        self.assertEqual(st, 200)
        self.refused("DELETE", "/api/v1/receivers/pd-main", None, 404, "not_found", ["pd-main"])
        self.refused("DELETE", "/api/v1/rules/uses-pd", None, 404, "not_found", ["uses-pd"])

    def test_secrets_never_shown(self):
        secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        st, _, body = self.srv.request("POST", "/api/v1/receivers",
                                       {"id": "signed", "type": "webhook", "url": dead_url(),
                                        "secret": secret, "action": "rollback"})
        self.assertEqual(st, 201, body)
        st, _, body = self.srv.request("GET", "/api/v1/receivers")
        self.assertNotIn(secret, json.dumps(body))
        one = [r for r in body["receivers"] if r["id"] == "signed"][0]
        self.assertEqual(one["secret"], "set")
        self.assertEqual(one["action"], "rollback")
        self.assertNotIn(secret, self.srv.logs())

    def test_silences(self):
        st, _, body = self.srv.request("POST", "/api/v1/silences",
                                       {"matchers": {"model": "vit"}, "ends_at": "2020-01-01T00:00:00Z"})
        self.assertEqual(st, 400)
        self.assertIn("ends_at", body["error"]["message"])
        st, _, body = self.srv.request("POST", "/api/v1/silences",
                                       {"matchers": {}, "ends_at": "2099-01-01T00:00:00Z"})
        self.assertEqual(st, 400)
        self.assertIn("matchers", body["error"]["message"])
        st, _, body = self.srv.request("POST", "/api/v1/silences",
                                       {"matchers": {"model": "vit", "team": "ml"},
                                        "ends_at": "2099-01-01T00:00:00Z", "comment": "deploy"})
        self.assertEqual(st, 201, body)
        self.assertRegex(body["id"], r"^sil_[0-9a-f]{16}$")
        check_schema("Silence", body)
        self.assertEqual(body["matchers"], {"model": "vit", "team": "ml"})
        self.assertTrue(body["active"])
        st, _, lst = self.srv.request("GET", "/api/v1/silences")
        self.assertIn(body["id"], [s["id"] for s in lst["silences"]])
        st, _, _ = self.srv.request("DELETE", f"/api/v1/silences/{body['id']}")
        self.assertEqual(st, 200)
        st, _, _ = self.srv.request("DELETE", f"/api/v1/silences/{body['id']}")
        self.assertEqual(st, 404)

    def test_alerts_query_checked(self):
        st, _, body = self.srv.request("GET", "/api/v1/alerts?state=burning")
        self.assertEqual(st, 400)
        self.assertIn("state", body["error"]["message"])
        st, _, body = self.srv.request("GET", "/api/v1/alerts?cursor=zz")
        self.assertEqual(st, 400)
        st, _, body = self.srv.request("GET", "/api/v1/alerts?stat=firing")
        self.assertEqual(st, 400)
        st, _, body = self.srv.request("GET", "/api/v1/alerts")
        self.assertEqual((st, body["alerts"], body["next_cursor"]), (200, [], None))


def wait_for(fn, timeout=30.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"condition not met in {timeout} s (last: {last})")


class LifeCycle(unittest.TestCase):
    def setUp(self):
        self.srv = Server("--eval-interval", "1s").start()

    def tearDown(self):
        code = self.srv.stop()
        logs = self.srv.logs()
        self.srv.cleanup()
        self.assertEqual(code, 0, logs)
        self.assertNotIn("AddressSanitizer", logs)

    def alerts(self, query=""):
        st, _, body = self.srv.request("GET", f"/api/v1/alerts{query}")
        self.assertEqual(st, 200, body)
        return body["alerts"]

    def setup_model(self, model, srv=None):
        srv = srv or self.srv
        # a good older version (the rollback target) and the live one
        for v in ("v1", "v2"):
            st, _, b = srv.put_reference(model, v, events(v, 300, 0.6, 0.95, 1, T0))
            self.assertEqual(st, 200, b)
        st, _, b = srv.request("PUT", f"/api/v1/models/{model}/settings", {"window": "last:200"})
        self.assertEqual(st, 200, b)
        now = int(time.time() * 1000)
        st, _, b = srv.post_events(model, events("v1", 200, 0.6, 0.95, 2, now - 60_000))
        self.assertEqual(st, 202, b)
        time.sleep(0.01)
        st, _, b = srv.post_events(model, events("v2", 200, 0.6, 0.95, 3, now - 50_000))
        self.assertEqual(st, 202, b)

    def test_fire_resolve_restart_silence(self):
        srv = self.srv
        model = "vit"
        for rid in ("oncall", "deploy"):
            st, _, b = srv.request("POST", "/api/v1/receivers",
                                   {"id": rid, "type": "webhook", "url": dead_url(),
                                    "action": "rollback" if rid == "deploy" else "notify"})
            self.assertEqual(st, 201, b)
        st, _, b = srv.request("POST", "/api/v1/rules",
                               {"id": "vit-conf", "model": model, "version": "v2",
                                "signal": "confidence", "method": "ks",
                                "condition": "p_value < 0.01", "for": "0s",
                                "severity": "critical", "receivers": ["oncall", "deploy"],
                                "labels": {"team": "vision"}})
        self.assertEqual(st, 201, b)
        self.setup_model(model)
        time.sleep(2.5)  # a few rounds over normal traffic: nothing
        self.assertEqual(self.alerts(), [])

        # drift: v2's confidence collapses
        now = int(time.time() * 1000)
        st, _, b = srv.post_events(model, events("v2", 200, 0.05, 0.3, 4, now))
        self.assertEqual(st, 202, b)
        firing = wait_for(lambda: [a for a in self.alerts("?state=firing")])
        check_schema("AlertPage", srv.request("GET", "/api/v1/alerts")[2])
        a = firing[0]
        self.assertEqual((a["rule"], a["model"], a["version"], a["state"]),
                         ("vit-conf", model, "v2", "firing"))
        self.assertEqual(a["labels"], {"team": "vision"})
        self.assertLess(a["value"], 0.01)
        self.assertIsNotNone(a["started_at"])
        self.assertIsNone(a["resolved_at"])
        self.assertEqual(a["alert_key"], "driftd/vit-conf/vit/v2")
        notes = a["notifications"]
        self.assertEqual(sorted(n["receiver"] for n in notes), ["deploy", "oncall"])
        for n in notes:
            self.assertEqual((n["event"], n["state"]), ("firing", "pending"))
            self.assertRegex(n["message_id"], r"^msg_[0-9a-f]{32}$")
        self.assertNotEqual(notes[0]["message_id"], notes[1]["message_id"])
        self.assertEqual(self.alerts("?state=resolved"), [])
        self.assertEqual(len(self.alerts("?model=vit&rule=vit-conf")), 1)
        self.assertEqual(self.alerts("?model=other"), [])
        # one alert, however many rounds pass (repeat is 4h)
        time.sleep(2.5)
        again = self.alerts()
        self.assertEqual(len(again), 1)
        self.assertEqual(len(again[0]["notifications"]), 2)
        msg = self.outbox_message(a["id"], "deploy")
        self.assertEqual(msg["rollback_to"], "v1")
        self.assertEqual(msg["severity"], "critical")
        self.assertEqual(msg["signal"], "confidence")
        self.assertEqual(msg["method"], "ks")
        self.assertIn("/api/v1/models/vit/drift?version=v2", msg["report_url"])
        self.assertIn("/api/v1/models/vit/events?version=v2&from=", msg["export_url"])

        # the state survives a crash
        srv.kill9()
        srv.start()
        after = self.alerts()
        self.assertEqual([(x["id"], x["state"]) for x in after], [(a["id"], "firing")])

        # back to normal: resolved, with a resolve row per receiver
        now = int(time.time() * 1000)
        st, _, b = srv.post_events(model, events("v2", 200, 0.6, 0.95, 5, now))
        self.assertEqual(st, 202, b)
        resolved = wait_for(lambda: self.alerts("?state=resolved"))
        check_schema("AlertPage", srv.request("GET", "/api/v1/alerts")[2])
        r = resolved[0]
        self.assertEqual(r["id"], a["id"])
        self.assertIsNotNone(r["resolved_at"])
        ev = sorted((n["receiver"], n["event"]) for n in r["notifications"])
        self.assertEqual(ev, [("deploy", "firing"), ("deploy", "resolved"),
                              ("oncall", "firing"), ("oncall", "resolved")])

        # a rule moved to another version closes its alert there, quietly
        st, _, b = srv.request("POST", "/api/v1/rules",
                               {"id": "moved", "model": model, "version": "v2",
                                "signal": "confidence", "condition": "p_value < 0.01"})
        self.assertEqual(st, 201, b)
        now = int(time.time() * 1000)
        st, _, b = srv.post_events(model, events("v2", 200, 0.05, 0.3, 9, now))
        moved = wait_for(lambda: self.alerts("?rule=moved&state=firing"))
        st, _, b = srv.request("PUT", "/api/v1/rules/moved",
                               {"model": model, "version": "v1", "signal": "confidence",
                                "condition": "p_value < 0.01"})
        self.assertEqual(st, 200, b)
        after = self.alerts("?rule=moved")
        self.assertEqual([(x["id"], x["state"]) for x in after], [(moved[0]["id"], "resolved")])
        st, _, b = srv.request("DELETE", "/api/v1/rules/moved")
        self.assertEqual(st, 200, b)
        st, _, b = srv.post_events(model, events("v2", 200, 0.6, 0.95, 10, int(time.time() * 1000)))
        wait_for(lambda: not self.alerts("?state=firing"))

        # silenced: the next episode changes state, its rows are skipped
        st, _, b = srv.request("POST", "/api/v1/silences",
                               {"matchers": {"rule": "vit-conf", "team": "vision"},
                                "ends_at": "2099-01-01T00:00:00Z"})
        self.assertEqual(st, 201, b)
        now = int(time.time() * 1000)
        st, _, b = srv.post_events(model, events("v2", 200, 0.05, 0.3, 6, now))
        self.assertEqual(st, 202, b)
        second = wait_for(lambda: self.alerts("?state=firing"))
        self.assertNotEqual(second[0]["id"], a["id"])
        self.assertEqual([n["state"] for n in second[0]["notifications"]], ["skipped", "skipped"])
        # newest first, and pages of one that give the same list
        allp = [x["id"] for x in self.alerts()]
        self.assertEqual(allp, sorted(allp, reverse=True))
        self.assertEqual((allp[0], allp[-1]), (second[0]["id"], a["id"]))
        self.assertEqual(len(allp), 4)  # vit-conf twice before the silence, moved, silenced
        paged, cursor = [], ""
        while True:
            st, _, page = srv.request("GET", "/api/v1/alerts?limit=1" + cursor)
            self.assertEqual(st, 200, page)
            paged += [x["id"] for x in page["alerts"]]
            if page["next_cursor"] is None:
                break
            cursor = "&cursor=" + page["next_cursor"]
        self.assertEqual(paged, allp)

    def outbox_message(self, alert_id, receiver):
        import sqlite3
        db = sqlite3.connect(self.srv.db)
        try:
            row = db.execute("SELECT message FROM outbox WHERE alert_id = ? AND receiver_id = ?"
                             " ORDER BY id LIMIT 1", (alert_id, receiver)).fetchone()
        finally:
            db.close()
        return json.loads(row[0])


class EndToEnd(unittest.TestCase):
    def test_drift_pages_rolls_back_and_resolves(self):
        folder = tempfile.mkdtemp(prefix="driftd-e2e-")
        pd, hook = Receiver(folder, "pd"), Receiver(folder, "hook")
        srv = Server("--eval-interval", "1s").start()
        try:
            for body in ({"id": "pd", "type": "pagerduty", "routing_key": "R0UT1NGKEY",
                          "url": pd.url + "/v2/enqueue"},
                         {"id": "deploy", "type": "webhook", "url": hook.url + "/rollback",
                          "action": "rollback"}):
                st, _, b = srv.request("POST", "/api/v1/receivers", body)
                self.assertEqual(st, 201, b)
            st, _, b = srv.request("POST", "/api/v1/rules",
                                   {"id": "conf", "model": "shop", "version": "v2",
                                    "signal": "confidence", "condition": "p_value < 0.01",
                                    "severity": "critical", "receivers": ["pd", "deploy"]})
            self.assertEqual(st, 201, b)
            LifeCycle.setup_model(self, "shop", srv)
            time.sleep(2)
            self.assertEqual(pd.requests(), [])
            t_drift = time.time()
            now = int(t_drift * 1000)
            self.assertEqual(srv.post_events("shop", events("v2", 200, 0.05, 0.3, 7, now))[0], 202)
            trig = wait_for(lambda: [r["json"] for r in pd.requests()])[0]
            # with eval_interval 1s: a round, the commit, the worker's poll, the request
            page_s = pd.requests()[0]["t"] - t_drift
            self.assertLess(page_s, 10)
            print(f"drift posted -> PagerDuty trigger: {page_s:.2f} s", file=sys.stderr)
            self.assertEqual(trig["event_action"], "trigger")
            self.assertEqual(trig["routing_key"], "R0UT1NGKEY")
            self.assertEqual(trig["dedup_key"], "driftd/conf/shop/v2")
            self.assertEqual(trig["payload"]["severity"], "critical")
            self.assertIn("shop", trig["payload"]["summary"])
            self.assertIn("v2", trig["payload"]["summary"])
            rb = wait_for(lambda: [r["json"] for r in hook.requests()])[0]
            self.assertEqual(rb["type"], "alert.firing")
            self.assertEqual(rb["action"]["type"], "rollback")
            self.assertEqual(rb["action"]["model"], "shop")
            self.assertEqual(rb["action"]["from_version"], "v2")
            self.assertEqual(rb["action"]["to_version"], "v1")
            delivered = wait_for(lambda: [n for a in srv.request("GET", "/api/v1/alerts")[2]["alerts"]
                                          for n in a["notifications"] if n["state"] == "delivered"])
            self.assertEqual(sorted(n["receiver"] for n in delivered), ["deploy", "pd"])
            self.assertEqual({n["last_status"] for n in delivered}, {202})
            # back to normal: resolved, PagerDuty closes the incident with the same key
            now = int(time.time() * 1000)
            self.assertEqual(srv.post_events("shop", events("v2", 200, 0.6, 0.95, 8, now))[0], 202)
            res = wait_for(lambda: [r["json"] for r in pd.requests()
                                    if r["json"]["event_action"] == "resolve"])
            self.assertEqual(res[0]["dedup_key"], trig["dedup_key"])
            st, _, b = srv.request("GET", "/api/v1/alerts?state=resolved")
            self.assertEqual([a["rule"] for a in b["alerts"]], ["conf"])
            self.assertEqual(len(pd.requests()), 2)
        finally:
            code = srv.stop()
            logs = srv.logs()
            srv.cleanup()
            pd.stop()
            hook.stop()
            subprocess.run(["rm", "-rf", folder])
        self.assertEqual(code, 0, logs)


class ConfigLists(unittest.TestCase):
    def test_config_rules_and_receivers(self):
        srv = Server()
        try:
            cfg = {"eval_interval": "1s",
                   "receivers": [{"id": "cfg-pd", "type": "pagerduty", "routing_key": "K3Y",
                                  "url": dead_url()}],
                   "rules": [{"id": "cfg-rule", "model": "*", "receivers": ["cfg-pd"],
                              "severity": "error"}]}
            path = os.path.join(srv.dir, "driftd.json")
            with open(path, "w") as f:
                json.dump(cfg, f)
            srv.args += ["--config", path]
            srv.start()
            st, _, b = srv.request("GET", "/api/v1/rules/cfg-rule")
            self.assertEqual((st, b["source"], b["severity"]), (200, "config", "error"))
            st, _, b = srv.request("GET", "/api/v1/receivers/cfg-pd")
            self.assertEqual((st, b["source"], b["routing_key"]), (200, "config", "set"))
            srv.stop()
            # a rule naming an unknown receiver stops the start, naming it
            cfg["rules"][0]["receivers"] = ["nope"]
            cfg["receivers"] = []
            with open(path, "w") as f:
                json.dump(cfg, f)
            with self.assertRaises(RuntimeError) as ctx:
                srv.start()
            self.assertIn("'nope'", str(ctx.exception))
            cfg["rules"][0]["severity"] = "loud"
            with open(path, "w") as f:
                json.dump(cfg, f)
            with self.assertRaises(RuntimeError) as ctx:
                srv.start()
            self.assertIn("rules", str(ctx.exception))
            self.assertIn("severity", str(ctx.exception))
        finally:
            srv.cleanup()


if __name__ == "__main__":
    dd_harness.main()
