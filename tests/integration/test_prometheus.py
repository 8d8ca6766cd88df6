"""driftd scraped by a real Prometheus (#13, "Prometheus, for real").

Debian's prometheus (scripts/deps.sh --test) runs on a free loopback port with
its own storage folder and a generated config that scrapes a `driftd serve
--demo --eval-interval 1s` every second and loads docs/prometheus/alerts.yml.
After two scrapes, Prometheus's HTTP API must answer
driftd_drift_p_value{model="demo-classifier"} and the per-model ingest
counter driftd_events_ingested_total{model="demo-classifier"} with values,
the example rules must load healthy (and the drift rule go pending for the
always-drifted demo-classifier v2), `promtool check metrics` must pass on
the scraped text and `promtool check rules` on the example rules.  The other
cases prove the stale-series rule (docs/prometheus.md): a deleted version's
or model's series leave /metrics at once and Prometheus marks them stale, and
a version whose last event is over 24 h old has none."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import dd_harness
from dd_harness import ServerTest, free_port, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
ALERTS = os.path.join(HERE, "..", "..", "docs", "prometheus", "alerts.yml")
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
DAY_MS = 24 * 3600 * 1000


def events(n, ts0, version="v1"):
    return [{"ts": ts0 + i, "version": version, "confidence": 0.5 + (i % 50) / 100,
             "prediction": "ab"[i % 2]} for i in range(n)]


class Prometheus:
    """One prometheus process scraping driftd_port every second."""

    def __init__(self, driftd_port):
        self.dir = tempfile.mkdtemp(prefix="driftd-prom-")
        self.port = free_port()
        rules = os.path.join(self.dir, "alerts.yml")
        shutil.copy(ALERTS, rules)
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - {rules}
scrape_configs:
  - job_name: driftd
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:{driftd_port}"]
""")
        self.log = open(os.path.join(self.dir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={self.config}",
             f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=self.log, stderr=self.log)

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return json.loads(r.read())
        except OSError:
            return None  # not listening yet

    def query(self, q):
        """The instant vector of q: [(labels, float value)]."""
        got = self.api("/api/v1/query", query=q)
        if not got or got.get("status") != "success":
            return []
        return [(s["metric"], float(s["value"][1])) for s in got["data"]["result"]]

    def target(self):
        got = self.api("/api/v1/targets")
        targets = got["data"]["activeTargets"] if got else []
        return targets[0] if targets else {}

    def logs(self):
        with open(os.path.join(self.dir, "prometheus.log"), "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Scraped(ServerTest):
    SERVER_ARGS = ("--demo", "--eval-interval", "1s")

    @classmethod
    def setUpClass(cls):
        if not os.access(PROMETHEUS, os.X_OK) or not os.access(PROMTOOL, os.X_OK):
            raise AssertionError("prometheus and promtool are needed: scripts/deps.sh --test "
                                 "installs Debian's prometheus")
        super().setUpClass()
        cls.prom = Prometheus(cls.srv.port)
        try:
            cls.wait_two_scrapes()
        except BaseException:
            cls.prom.stop()
            super().tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.prom.stop()
        finally:
            super().tearDownClass()

    @classmethod
    def wait_two_scrapes(cls):
        first = wait_until(cls.prom.target, lambda t: t.get("health") == "up", timeout=20,
                           step=0.2)
        if first.get("health") != "up":
            raise AssertionError(f"target never up: {first}\n{cls.prom.logs()}")
        second = wait_until(cls.prom.target,
                            lambda t: t.get("health") == "up" and
                            t.get("lastScrape") != first["lastScrape"], timeout=10, step=0.2)
        if second.get("lastScrape") == first["lastScrape"]:
            raise AssertionError(f"no second scrape: {second}\n{cls.prom.logs()}")

    def metrics(self):
        st, headers, text = self.srv.request("GET", "/metrics")
        self.assertEqual(st, 200)
        return text

    def test_drift_and_ingest_series_in_prometheus(self):
        p = wait_until(lambda: self.prom.query('driftd_drift_p_value{model="demo-classifier"}'),
                       timeout=20, step=0.5)
        self.assertTrue(p, "no driftd_drift_p_value{model=\"demo-classifier\"} in Prometheus\n"
                        + self.prom.logs())
        self.assertEqual({s["version"] for s, _ in p}, {"v1", "v2"})
        for labels, v in p:
            self.assertEqual(labels["job"], "driftd")
            self.assertIn(labels["kind"], ("test", "effect_size"))
            self.assertTrue(0 <= v <= 1, (labels, v))
        # v2 is drifted on every signal the demo moves: a tiny p-value somewhere
        self.assertLess(min(v for s, v in p if s["version"] == "v2"), 1e-3)
        n = self.prom.query('driftd_events_ingested_total{model="demo-classifier"}')
        self.assertEqual(len(n), 1, n)
        self.assertGreater(n[0][1], 0)
        # the per-model counters count what the unlabelled total counts (less the
        # models deleted by the other cases)
        both = self.prom.query('sum(driftd_events_ingested_total) <= bool '
                               'sum(driftd_ingest_events_accepted_total)')
        self.assertEqual([v for _, v in both], [1.0])
        grown = wait_until(
            lambda: self.prom.query('increase(driftd_events_ingested_total'
                                    '{model="demo-classifier"}[5s])'),
            lambda r: r and r[0][1] > 0, timeout=10)
        self.assertTrue(grown and grown[0][1] > 0, grown)

    def test_promtool_check_metrics(self):
        text = wait_until(self.metrics, lambda t: "driftd_drift_p_value{" in t, timeout=20)
        self.assertIn('driftd_events_ingested_total{model="demo-classifier"} ', text)
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout + r.stderr, "")  # not even a lint warning

    def test_alert_rules(self):
        r = subprocess.run([PROMTOOL, "check", "rules", ALERTS], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS: 6 rules found", r.stdout)
        groups = wait_until(lambda: (self.prom.api("/api/v1/rules") or {}).get("data", {})
                            .get("groups", []), timeout=10)
        rules = {r["name"]: r for g in groups for r in g["rules"]}
        self.assertIn("DriftdVersionDrift", rules)
        for name, rule in rules.items():
            self.assertEqual(rule["health"], "ok", (name, rule))
        # demo-classifier v2 drifts all the time: its alert waits out its 10 m 'for'
        # (demo-embedder drifts in phases, so its alert may be pending too); v1 never drifts
        def pending():
            alerts = (self.prom.api("/api/v1/alerts") or {}).get("data", {}).get("alerts", [])
            return {(a["labels"]["model"], a["labels"]["version"], a["state"]) for a in alerts
                    if a["labels"]["alertname"] == "DriftdVersionDrift"}
        seen = wait_until(pending, lambda p: ("demo-classifier", "v2", "pending") in p,
                          timeout=20, step=0.5)
        self.assertIn(("demo-classifier", "v2", "pending"), seen)
        self.assertNotIn("v1", {v for m, v, _ in seen if m == "demo-classifier"})

    def test_deleted_series_leave(self):
        now = int(time.time() * 1000)
        for v in ("v1", "v2"):
            self.assertEqual(self.srv.put_reference("gone", v, events(300, now - 60000, v))[0],
                             200)
            self.assertEqual(self.srv.post_events("gone", events(300, now - 5000, v))[0], 202)
        # 202 means queued: the counter counts commits and the other series come from
        # rounds, so wait for every one of them, not for the first to show
        expect = ('driftd_drift_statistic{model="gone",version="v1"',
                  'driftd_drift_statistic{model="gone",version="v2"',
                  'driftd_version_status{model="gone",version="v2"',
                  'driftd_last_event_timestamp_seconds{model="gone",version="v2"}',
                  'driftd_events_ingested_total{model="gone"} 600')
        text = wait_until(self.metrics, lambda t: all(s in t for s in expect), timeout=20)
        for series in expect:
            self.assertIn(series, text)
        seen = wait_until(lambda: self.prom.query('driftd_version_status{model="gone"}'),
                          lambda r: {s["version"] for s, _ in r} == {"v1", "v2"}, timeout=10)
        self.assertEqual({s["version"] for s, _ in seen}, {"v1", "v2"})

        st, _, _ = self.srv.request("DELETE", "/api/v1/models/gone/versions/v2")
        self.assertEqual(st, 200)
        text = self.metrics()  # at once, not after the next round
        self.assertNotIn('model="gone",version="v2"', text)
        self.assertIn('driftd_version_status{model="gone",version="v1"', text)
        self.assertIn('driftd_events_ingested_total{model="gone"} 600', text)
        # later rounds do not bring it back
        rounds = self.round_count()
        wait_until(self.round_count, lambda n: n >= rounds + 2, timeout=10)
        self.assertNotIn('model="gone",version="v2"', self.metrics())
        # Prometheus marks it stale at its next scrape: gone from instant queries
        left = wait_until(lambda: self.prom.query('driftd_version_status{model="gone"}'),
                          lambda r: {s["version"] for s, _ in r} == {"v1"}, timeout=10)
        self.assertEqual({s["version"] for s, _ in left}, {"v1"})

        st, _, _ = self.srv.request("DELETE", "/api/v1/models/gone")
        self.assertEqual(st, 200)
        self.assertNotIn('model="gone"', self.metrics())
        rounds = self.round_count()
        wait_until(self.round_count, lambda n: n >= rounds + 2, timeout=10)
        self.assertNotIn('model="gone"', self.metrics())
        left = wait_until(lambda: self.prom.query('{model="gone"}'), lambda r: r == [],
                          timeout=10)
        self.assertEqual(left, [])

    def test_inactive_version_has_no_series(self):
        now = int(time.time() * 1000)
        old = now - 2 * DAY_MS
        self.assertEqual(self.srv.put_reference("asleep", "v1", events(300, old - 60000))[0], 200)
        self.assertEqual(self.srv.post_events("asleep", events(300, old))[0], 202)
        self.assertEqual(self.srv.put_reference("awake", "v1", events(300, now - 60000))[0], 200)
        self.assertEqual(self.srv.post_events("awake", events(300, now - 5000))[0], 202)
        # a round evaluates both (the old one until its window is empty) ...
        status = wait_until(lambda: self.srv.request("GET", "/api/v1/models/asleep")[2]
                            ["versions"][0]["status"], lambda s: s != "", timeout=20)
        self.assertNotEqual(status, "")
        text = wait_until(self.metrics, lambda t: 'driftd_version_status{model="awake"' in t,
                          timeout=20)
        # ... and only the one with events in the last 24 h has version series
        self.assertNotIn('{model="asleep",version=', text)
        self.assertIn('driftd_last_event_timestamp_seconds{model="awake",version="v1"}', text)
        # its ingest counter is not a version series: it stays
        self.assertIn('driftd_events_ingested_total{model="asleep"} 300', text)

    def round_count(self):
        for line in self.metrics().splitlines():
            if line.startswith("driftd_evaluation_rounds_total "):
                return int(line.split()[1])
        return -1


if __name__ == "__main__":
    dd_harness.main()
