"""End to end (#11 "How it is shown"): drift injected into live traffic fires a
rule; PagerDuty gets a trigger and the rollback webhook names the version to go
back to (the other version, whose latest evaluation had no drift); traffic
returns to normal, the alert resolves, and PagerDuty gets the resolve with the
same dedup_key.  The receivers are one Python HTTP server on loopback that
records what arrives; the server evaluates every second and delivers at once."""
import base64
import hashlib
import hmac
import http.server
import json
import random
import threading
import time
import unittest

import dd_harness
from dd_harness import ServerTest

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Recorder(http.server.ThreadingHTTPServer):
    def __init__(self):
        self.got = []  # (path, headers, body bytes)
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                with outer.lock:
                    outer.got.append((self.path, dict(self.headers), body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def bodies(self, path):
        with self.lock:
            return [(h, json.loads(b)) for p, h, b in self.got if p == path]


def now_ms():
    return int(time.time() * 1000)


def events(n, version, shift, seed):
    rnd = random.Random(seed)
    t = now_ms()
    return [{"version": version, "ts": t,
             "confidence": min(1.0, max(0.0, rnd.gauss(0.8 - 0.3 * shift, 0.05))),
             "features": {"x": rnd.gauss(3 * shift, 1)}} for _ in range(n)]


class AlertsEndToEnd(ServerTest):
    SERVER_ARGS = ("--eval-interval", "1s", "--delivery-poll", "100ms")

    def wait_for(self, what, fn, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = fn()
            if v:
                return v
            time.sleep(0.2)
        self.fail(f"timed out waiting for {what}; alerts: "
                  f"{self.srv.request('GET', '/api/v1/alerts')[2]}")

    def test_drift_fires_rolls_back_and_resolves(self):
        rec = Recorder()
        self.addCleanup(rec.shutdown)
        base = f"http://127.0.0.1:{rec.server_address[1]}"
        post = lambda path, body: self.srv.request("POST", path, body)
        self.assertEqual(post("/api/v1/receivers", {"id": "pd", "type": "pagerduty",
                                                    "routing_key": "R" * 32,
                                                    "url": base + "/pd"})[0], 201)
        self.assertEqual(post("/api/v1/receivers", {"id": "deploy", "type": "webhook",
                                                    "url": base + "/hook", "secret": SECRET,
                                                    "action": "rollback"})[0], 201)
        self.assertEqual(self.srv.request("PUT", "/api/v1/models/shop/settings",
                                          {"window": "last:300"})[0], 200)
        for v in ("v1", "v2"):
            st, _, body = self.srv.put_reference("shop", v, events(300, v, 0, seed=1))
            self.assertEqual(st, 200, body)
        st, _, body = post("/api/v1/rules", {"id": "shop-drift", "model": "shop",
                                             "receivers": ["pd", "deploy"]})
        self.assertEqual(st, 201, body)

        # v1 stays normal; v2 drifts
        self.assertEqual(self.srv.post_events("shop", events(300, "v1", 0, seed=2))[0], 202)
        self.wait_for("v1 evaluated ok", lambda: any(
            v["name"] == "v1" and v["status"] == "ok"
            for v in self.srv.request("GET", "/api/v1/models/shop")[2]["versions"]))
        self.assertEqual(self.srv.post_events("shop", events(300, "v2", 1, seed=3))[0], 202)

        hook = self.wait_for("the rollback webhook", lambda: [
            (h, b) for h, b in rec.bodies("/hook") if b["type"] == "alert.firing"])
        headers, fired = hook[0]
        self.assertEqual(fired["action"], {"type": "rollback", "model": "shop",
                                           "from_version": "v2", "to_version": "v1"})
        # signed per Standard Webhooks over the exact bytes sent
        raw = [b for p, h, b in rec.got if p == "/hook"][0]
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + raw
        key = base64.b64decode(SECRET[len("whsec_"):])
        want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        self.assertIn("v1," + want, headers["webhook-signature"].split(" "))

        trig = self.wait_for("the PagerDuty trigger", lambda: [
            b for _, b in rec.bodies("/pd") if b["event_action"] == "trigger"])
        self.assertEqual(len(trig), 1, trig)
        self.assertIn("shop", trig[0]["payload"]["summary"])
        self.assertIn("v2", trig[0]["payload"]["summary"])
        key_pd = trig[0]["dedup_key"]
        alerts = self.srv.request("GET", "/api/v1/alerts?state=firing")[2]["alerts"]
        self.assertEqual([(a["rule"], a["model"], a["version"]) for a in alerts],
                         [("shop-drift", "shop", "v2")])

        # back to normal: the last 300 events of v2 are undrifted
        self.assertEqual(self.srv.post_events("shop", events(300, "v2", 0, seed=4))[0], 202)
        res = self.wait_for("the PagerDuty resolve", lambda: [
            b for _, b in rec.bodies("/pd") if b["event_action"] == "resolve"])
        self.assertEqual(res[0], {"routing_key": "R" * 32, "dedup_key": key_pd,
                                  "event_action": "resolve"})
        alerts = self.srv.request("GET", "/api/v1/alerts?state=resolved")[2]["alerts"]
        self.assertEqual([(a["model"], a["version"]) for a in alerts], [("shop", "v2")])
        self.assertIsNotNone(alerts[0]["resolved_at"])
        # v1 never fired
        self.assertFalse(any(a["version"] == "v1"
                             for a in self.srv.request("GET", "/api/v1/alerts")[2]["alerts"]))


if __name__ == "__main__":
    dd_harness.main()
