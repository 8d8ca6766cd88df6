"""Reports that say what they did (#15 items 1, 2, 6 and 8 for `driftd check`):
a top-level status in every report and exit code 3 when nothing could be
tested, effect-size rows labelled, the Holm level each row was judged at,
the automatic reference never inside the current window, MMD's permutations
enough to pass Holm's level, per-version gauges in /metrics, ?from&to on
/drift, strict query parameters and pages of /drift/history.  Each case
fails on the code before #15."""
import json
import math
import os
import random
import re
import shutil
import subprocess
import time
import unittest

import dd_harness
from dd_harness import ServerTest, write_ndjson
from dd_harness import wait_until


def events(n, shift, seed, ts0=None):
    def draw(rnd):
        return {"confidence": min(1.0, max(0.0, rnd.gauss(0.8 - shift, 0.08))),
                "prediction": rnd.choice(["cat", "dog"]),
                "features": {"age": rnd.gauss(40 + 20 * shift, 10)}}
    return dd_harness.drawn_events(n, seed, draw, ts0)


class Check(dd_harness.CheckTest):
    PREFIX = "driftd-verdict-"

    def reference_events(self):
        return events(300, 0, 1)

    def path(self, name, text):
        p = os.path.join(self.dir, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def test_empty_current_exits_3(self):
        empty = self.path("empty.ndjson", "")
        code, out, err = self.check("--current", empty)
        self.assertEqual(code, 3, err)
        rep = json.loads(out)
        self.assertEqual((rep["status"], rep["drift"]), ("insufficient_data", False))
        self.assertIn("nothing could be tested", err)
        code, out, _ = self.check("--current", empty, "--format", "text")
        self.assertEqual(code, 3)
        self.assertIn("verdict: insufficient_data", out)
        # too few rows everywhere is the same: nothing was tested
        few = os.path.join(self.dir, "few.ndjson")
        write_ndjson(few, events(10, 0, 2))
        self.assertEqual(self.check("--current", few)[0], 3)

    def test_status_and_kind_in_json(self):
        cur = os.path.join(self.dir, "cur.ndjson")
        write_ndjson(cur, events(300, 0.3, 3))
        code, out, _ = self.check("--current", cur)
        self.assertEqual(code, 1)
        rep = json.loads(out)
        self.assertEqual(rep["status"], "drift")
        kinds = {s["method"]: s["kind"] for s in rep["signals"]}
        self.assertEqual(kinds, {"ks": "test", "wasserstein": "effect_size", "chi2": "test",
                                 "psi": "effect_size"})
        same = os.path.join(self.dir, "same.ndjson")
        write_ndjson(same, events(300, 0, 4))
        code, out, _ = self.check("--current", same)
        self.assertEqual((code, json.loads(out)["status"]), (0, "ok"))

    def test_text_table_shows_holm_level(self):
        """Three tests at alpha 0.05: Holm's levels are 0.05/3, 0.05/2, 0.05 in
        ascending p order up to the first that fails; each row's p <= level
        exactly when it reads DRIFT."""
        cur = os.path.join(self.dir, "cur.ndjson")
        write_ndjson(cur, events(300, 0.3, 5))
        code, out, _ = self.check("--current", cur, "--format", "text")
        self.assertEqual(code, 1)
        head = out.splitlines()[3].split()
        self.assertEqual(head[:7], ["signal", "method", "kind", "statistic", "p_value", "level",
                                    "drift"])
        _, js, _ = self.check("--current", cur)
        rows = [s for s in json.loads(js)["signals"] if s["kind"] == "test"]
        ps = sorted(s["p_value"] for s in rows)
        levels = []
        stop = None
        for i, p in enumerate(ps):
            lv = stop if stop is not None else 0.05 / (len(ps) - i)
            levels.append(lv)
            if stop is None and not p <= lv:
                stop = lv
        rep = json.loads(js)
        for s in rows:
            if rep["correction"] == "holm":
                want = levels[ps.index(s["p_value"])]
            else:  # #14: the reference's calibrated min-p level, one for every row
                want = rep["calibration"]["level"]
            self.assertAlmostEqual(s["level"], want, places=12)
            self.assertEqual(s["drift"], s["p_value"] <= s["level"], s)
        for line in out.splitlines()[4:]:
            f = line.split()
            if len(f) > 6 and f[2] == "test" and f[6] in ("DRIFT", "ok"):
                self.assertEqual(f[6] == "DRIFT", float(f[4]) <= float(f[5]), line)
        self.assertIn("over 3 tests", out)

    def test_csv_current(self):
        rnd = random.Random(6)
        lines = ["id,confidence,prediction,age"]
        for i in range(200):
            lines.append(f"e{i},{rnd.gauss(0.5, 0.08):.4f},{rnd.choice(['cat', 'dog'])},"
                         f"{rnd.gauss(40, 10):.2f}")
        cur = self.path("cur.csv", "\n".join(lines) + "\n")
        code, out, err = self.check("--current", cur)
        self.assertEqual(code, 1, err)
        rep = json.loads(out)
        self.assertEqual(rep["window"]["events"], 200)
        ks = [s for s in rep["signals"] if (s["signal"], s["method"]) == ("confidence", "ks")]
        self.assertTrue(ks[0]["drift"])
        # --format-in csv for a name without .csv; errors name file, line and column
        bad = self.path("bad.txt", "confidence,prediction\n0.5,cat\n1.5,dog\n")
        code, _, err = self.check("--current", bad, "--format-in", "csv")
        self.assertEqual(code, 2)
        self.assertIn("bad.txt: line 3, column 1 (confidence): 1.5 is not in [0, 1]", err)
        code, _, err = self.check("--current", bad, "--format-in", "xml")
        self.assertEqual(code, 2)
        self.assertIn("--format-in 'xml': expected auto, json or csv", err)

    def test_mmd_permutations_reach_holm_level(self):
        """A clear embedding shift: with 100 permutations MMD's p is >= 1/101,
        above Holm's alpha/m; now the report raises them to ceil(2m/alpha)-1
        and MMD rejects.  The flag is a floor."""
        rnd = random.Random(7)

        def emb(n, shift):
            return [{"confidence": rnd.random(),
                     "embedding": [rnd.gauss(shift if j < 4 else 0, 1) for j in range(8)]}
                    for _ in range(n)]
        write_ndjson(self.ref, emb(200, 0))
        cur = os.path.join(self.dir, "cur.ndjson")
        write_ndjson(cur, emb(200, 1.0))
        code, out, err = self.check("--current", cur, "--methods", "embedding=mmd",
                                    "--methods", "numeric=ks", "--alpha", "0.01")
        self.assertEqual(code, 1, err)
        rep = json.loads(out)
        mmd = [s for s in rep["signals"] if s["method"] == "mmd"][0]
        m = sum(1 for s in rep["signals"] if s.get("kind") == "test")
        self.assertEqual(m, 2)
        self.assertEqual(mmd["permutations"], math.ceil(2 * m / 0.01) - 1)
        self.assertLessEqual(mmd["p_value"], 0.01 / m)
        self.assertTrue(mmd["drift"])
        code, out, _ = self.check("--current", cur, "--methods", "embedding=mmd",
                                  "--mmd-permutations", "1000")
        self.assertEqual([s["permutations"] for s in json.loads(out)["signals"]
                          if s["method"] == "mmd"], [1000])
        code, _, err = self.check("--current", cur, "--mmd-permutations", "abc")
        self.assertEqual(code, 2)
        self.assertIn("--mmd-permutations 'abc': expected an integer in 10..100000", err)

    def test_methods_that_do_not_apply(self):
        code, _, err = self.check("--current", self.ref, "--methods", "numeric=chi2")
        self.assertEqual(code, 2)
        self.assertIn("--methods 'numeric=chi2': chi2 does not apply to numeric signals", err)


class Server(ServerTest):
    SERVER_ARGS = ("--eval-interval", "1s")

    def test_auto_reference_never_in_window(self):
        """1,500 events in one batch share one time (no "ts"): the first 1,000
        are the automatic reference and the window holds the other 500."""
        st = self.srv.post_events("over", events(1500, 0, 10))[0]
        self.assertEqual(st, 202)
        st, _, rep = self.srv.request("GET", "/api/v1/models/over/drift?window=1h")
        self.assertEqual(st, 200, rep)
        self.assertEqual(rep["reference"]["events"], 1000)
        self.assertEqual(rep["window"]["events"], 500)
        self.assertEqual(rep["window"]["excluded_reference_events"], 1000)
        self.assertEqual(rep["status"], "ok")
        # last:N too: the last 600 hold 100 reference events
        st, _, rep = self.srv.request("GET", "/api/v1/models/over/drift?window=last:600")
        self.assertEqual((rep["window"]["events"], rep["window"]["excluded_reference_events"]),
                         (500, 100))
        # a version with fewer events than its reference: nothing to compare
        self.assertEqual(self.srv.post_events("young", events(50, 0, 11))[0], 202)
        st, _, rep = self.srv.request("GET", "/api/v1/models/young/drift?window=1h")
        self.assertEqual((rep["window"]["events"], rep["status"], rep["drift"]),
                         (0, "insufficient_data", False))

    def test_reference_without_traffic_is_insufficient_data(self):
        st, _, _ = self.srv.put_reference("quiet", "v1", events(100, 0, 12))
        self.assertEqual(st, 200)
        st, _, rep = self.srv.request("GET", "/api/v1/models/quiet/drift?version=v1")
        self.assertEqual((st, rep["status"], rep["window"]["events"]),
                         (200, "insufficient_data", 0))
        status = wait_until(lambda: self.srv.request("GET", "/api/v1/models/quiet")[2]
                            ["versions"][0]["status"], lambda s: s == "insufficient_data", timeout=20)
        self.assertEqual(status, "insufficient_data")

    def test_metrics_version_gauges(self):
        now = int(time.time() * 1000)
        self.srv.put_reference("gauge", "v1", events(200, 0, 13))
        self.assertEqual(self.srv.post_events("gauge", [dict(e, version="v1") for e in
                                                        events(200, 0.3, 14, now - 5000)])[0], 202)

        def metrics():
            return self.srv.request("GET", "/metrics")[2]
        text = wait_until(metrics, lambda t: 'driftd_version_status{model="gauge",version="v1",'
                          'status="drift"} 1' in t, timeout=20)
        for s, v in (("ok", 0), ("drift", 1), ("insufficient_data", 0), ("no_reference", 0)):
            self.assertIn(f'driftd_version_status{{model="gauge",version="v1",status="{s}"}} {v}',
                          text)
        m = re.search(r'driftd_last_event_timestamp_seconds\{model="gauge",version="v1"\} '
                      r'([0-9.]+)', text)
        self.assertIsNotNone(m, text)
        self.assertAlmostEqual(float(m.group(1)), (now - 5000 + 199) / 1000, places=3)
        self.assertIn('driftd_drift_detected{model="gauge",version="v1",signal="confidence",'
                      'method="wasserstein",kind="effect_size"}', text)
        self.assertIn('driftd_drift_detected{model="gauge",version="v1",signal="confidence",'
                      'method="ks",kind="test"} 1', text)
        promtool = shutil.which("promtool")
        if promtool:
            r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_drift_over_a_past_period(self):
        now = int(time.time() * 1000)
        day = 24 * 3600 * 1000
        self.srv.put_reference("past", "v", events(300, 0, 15))
        old = [dict(e, version="v") for e in events(300, 0.3, 16, now - 3 * day)]
        new = [dict(e, version="v") for e in events(300, 0, 17, now - 60000)]
        self.assertEqual(self.srv.post_events("past", old + new)[0], 202)
        t0, t1 = now - 3 * day, now - 3 * day + 300
        st, _, rep = self.srv.request("GET", f"/api/v1/models/past/drift?version=v&from={t0}"
                                      f"&to={t1}")
        self.assertEqual(st, 200, rep)
        self.assertEqual((rep["window"]["events"], rep["status"]), (300, "drift"))
        # to is exclusive: the last event (t0 + 299) left out
        st, _, rep = self.srv.request("GET", f"/api/v1/models/past/drift?version=v&from={t0}"
                                      f"&to={t1 - 1}")
        self.assertEqual(rep["window"]["events"], 299)
        st, _, rep = self.srv.request("GET", "/api/v1/models/past/drift?version=v&window=1h")
        self.assertEqual((rep["window"]["events"], rep["status"]), (300, "ok"))
        # an empty past period: insufficient_data, not a silent "drift": false
        st, _, rep = self.srv.request("GET", f"/api/v1/models/past/drift?version=v&from={t0 - day}"
                                      f"&to={t0 - day + 1000}")
        self.assertEqual((st, rep["status"], rep["window"]["events"]),
                         (200, "insufficient_data", 0))

    def test_strict_query_parameters(self):
        self.srv.put_reference("strict", "v", events(50, 0, 18))
        cases = [
            ("/drift?versoin=v", "versoin"),
            ("/drift?version=v&version=v", "version"),
            ("/drift?version=v&window=1h&from=0&to=1000", "window and from/to"),
            ("/drift?version=v&from=1000", "to: required with from"),
            ("/drift?version=v&from=2000&to=1000", "from: must be before to"),
            ("/drift?version=v&from=yesterday&to=1000", "from: 'yesterday' is not a time"),
            ("/drift/history?version=v&signal=confidence&method=ks&limit=0",
             "limit: '0' is not an integer in 1..1000"),
            ("/drift/history?version=v&signal=confidence&method=ks&cursor=zz",
             "cursor: 'zz' is not a cursor"),
            ("/drift/history?version=v&signal=confidence&method=ks&page=2", "page"),
            ("/distributions?version=v&windw=1h", "windw"),
        ]
        for path, needle in cases:
            with self.subTest(path=path):
                st, _, body = self.srv.request("GET", "/api/v1/models/strict" + path)
                self.assertEqual(st, 400, body)
                self.assertIn(needle, body["error"]["message"])

    def test_history_pages(self):
        self.srv.put_reference("hist", "v", events(100, 0, 19))
        self.assertEqual(self.srv.post_events("hist", [dict(e, version="v") for e in
                                                       events(100, 0, 20)])[0], 202)
        base = "/api/v1/models/hist/drift/history?version=v&signal=confidence&method=ks"
        pts = wait_until(lambda: self.srv.request("GET", base)[2]["points"],
                         lambda p: len(p) >= 5, timeout=30)
        self.assertGreaterEqual(len(pts), 5)
        to = pts[4]["t"]
        whole = self.srv.request("GET", base + "&to=" + to)[2]
        self.assertIsNone(whole["next_cursor"])
        seen, cursor = [], None
        for _ in range(10):
            path = base + "&limit=2&to=" + to + (f"&cursor={cursor}" if cursor else "")
            st, _, page = self.srv.request("GET", path)
            self.assertEqual(st, 200, page)
            self.assertLessEqual(len(page["points"]), 2)
            seen += page["points"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(seen, whole["points"])
        self.assertEqual([p["t"] for p in seen], sorted(p["t"] for p in seen))


if __name__ == "__main__":
    dd_harness.main()
