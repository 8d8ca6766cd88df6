"""The verdict of issue #14 end to end: `min_samples` as a model setting and a
`driftd check --min-samples` flag, and the calibrated min-p verdict
("correction": "minp_calibrated") in check and the server, with Holm as the
stated fallback.  Each case fails on the code before #14."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import dd_harness
from dd_harness import ServerTest, write_ndjson


def events(n, shift, seed, ts0=None):
    def draw(rnd):
        z = rnd.gauss(0, 1)
        return {"confidence": min(1.0, max(0.0, 0.8 - shift + 0.08 * z)),
                "prediction": "cat" if z + rnd.gauss(0, 0.5) > 0 else "dog",
                "features": {"age": 40 + 20 * shift + 10 * (0.9 * z + 0.44 * rnd.gauss(0, 1))}}
    return dd_harness.drawn_events(n, seed, draw, ts0)


class Check(dd_harness.CheckTest):
    PREFIX = "driftd-calibrated-"

    def reference_events(self):
        return events(400, 0, 1)

    def cur(self, n, shift, seed):
        p = os.path.join(self.dir, f"cur-{n}-{shift}-{seed}.ndjson")
        write_ndjson(p, events(n, shift, seed))
        return p

    def test_min_samples_flag(self):
        few = self.cur(15, 0, 2)
        code, out, err = self.check("--current", few)
        self.assertEqual(code, 3, err)  # 15 < the default 20: nothing tested
        self.assertIn("at least 20 on each side", err)
        code, out, err = self.check("--current", few, "--min-samples", "10")
        self.assertIn(code, (0, 1), err)
        rep = json.loads(out)
        tests = [s for s in rep["signals"] if s.get("kind") == "test"]
        self.assertTrue(tests)
        self.assertTrue(all("p_value" in s and s["n_cur"] == 15 for s in tests))
        code, out, err = self.check("--current", self.cur(100, 0, 3), "--min-samples", "200")
        self.assertEqual(code, 3, err)
        self.assertIn("at least 200 on each side", err)
        for bad in ("1", "0", "-3", "x", "1000001"):
            code, _, err = self.check("--current", few, "--min-samples", bad)
            self.assertEqual(code, 2)
            self.assertIn(f"--min-samples '{bad}': expected an integer in 2..1000000", err)


def poll_calibrated(srv, path, seconds=60):
    """The report at path once the calibrated verdict decides it (the last one after
    `seconds`: a calibration takes about a second here, far more under ASan)."""
    deadline = time.time() + seconds
    while True:
        st, _, rep = srv.request("GET", path)
        if st != 200 or rep.get("correction") == "minp_calibrated" or time.time() > deadline:
            return rep
        time.sleep(0.1)


class Settings(ServerTest):
    def test_min_samples_setting(self):
        srv = self.srv
        st, _, body = srv.request("PUT", "/api/v1/models/ms/settings", {"min_samples": 50})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["min_samples"], 50)
        self.assertEqual(srv.request("GET", "/api/v1/models/ms/settings")[2]["min_samples"], 50)
        for bad in (1, 0, 2.5, "20", 1000001):
            st, _, body = srv.request("PUT", "/api/v1/models/ms/settings", {"min_samples": bad})
            self.assertEqual(st, 400, body)
            self.assertIn("min_samples: ", body["error"]["message"])
            self.assertIn("is not an integer from 2 to 1000000", body["error"]["message"])
        self.assertEqual(srv.request("GET", "/api/v1/models/ms/settings")[2]["min_samples"], 50)
        # a window of 40 events: not tested at min_samples 50, tested at the default 20
        st, _, body = srv.put_reference("ms", "v1", events(300, 0, 5))
        self.assertEqual(st, 200, body)
        st, _, body = srv.post_events("ms", [dict(e, version="v1") for e in events(40, 0, 6)])
        self.assertEqual(st, 202, body)
        path = "/api/v1/models/ms/drift?version=v1&window=last:40"
        rep = srv.request("GET", path)[2]
        self.assertEqual(rep["status"], "insufficient_data", rep)
        st, _, body = srv.request("PUT", "/api/v1/models/ms/settings", {"min_samples": None})
        self.assertEqual(body["min_samples"], 20)
        rep = srv.request("GET", path)[2]
        self.assertIn(rep["status"], ("ok", "drift"), rep)
        # the PUT reference is calibrated in the background: then the calibrated verdict decides
        rep = poll_calibrated(srv, path)
        self.assertEqual(rep["correction"], "minp_calibrated", rep)
        cal = rep["calibration"]
        self.assertEqual(cal["trials"], 1000)
        self.assertEqual(cal["calibrated_tests"], 3)  # confidence, prediction, feature:age
        tests = [s for s in rep["signals"] if s.get("kind") == "test"]
        self.assertTrue(all(s["level"] == cal["level"] for s in tests), rep)
        self.assertTrue(all(s["drift"] == (s["p_value"] <= s["level"]) for s in tests))


class Background(unittest.TestCase):
    """A PUT answers before its reference is calibrated: Holm decides and says
    "calibrating" until the background calibration is stored; a restart before
    it is done calibrates again."""
    PATH = "/api/v1/models/bg/drift?version=v1&window=last:100"

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="driftd-calibrated-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def server(self, delay_ms=None):
        env = {"DRIFTD_CALIBRATE_DELAY_MS": str(delay_ms)} if delay_ms else {}
        srv = dd_harness.Server(db_dir=self.dir, env=env).start()
        self.addCleanup(srv.stop)
        return srv

    def put_and_check_pending(self, srv):
        # the window's events first, so the report right after the PUT needs no other request
        st, _, body = srv.post_events("bg", [dict(e, version="v1") for e in events(100, 0, 8)])
        self.assertEqual(st, 202, body)
        st, _, body = srv.put_reference("bg", "v1", events(400, 0, 7))
        self.assertEqual(st, 200, body)
        rep = srv.request("GET", self.PATH)[2]
        self.assertEqual(rep["correction"], "holm", rep)
        self.assertEqual(rep["calibration"]["fallback"], "calibrating", rep)
        tests = [s for s in rep["signals"] if s.get("kind") == "test"]
        self.assertEqual(len(tests), 3, rep)

    def test_put_then_calibrated(self):
        srv = self.server(delay_ms=3000)
        self.put_and_check_pending(srv)
        rep = poll_calibrated(srv, self.PATH)
        self.assertEqual(rep["correction"], "minp_calibrated", rep)
        self.assertEqual(rep["calibration"]["calibrated_tests"], 3, rep)
        self.assertIn("reference calibrated", srv.logs())
        # the same events, the same seed: the calibration a restart computes is this one
        level = rep["calibration"]["level"]
        srv.stop()
        srv = self.server()
        rep = srv.request("GET", self.PATH)[2]  # loaded from the stored summary at once
        self.assertEqual(rep["correction"], "minp_calibrated", rep)
        self.assertEqual(rep["calibration"]["level"], level)

    def test_restart_mid_calibration(self):
        srv = self.server(delay_ms=600000)  # never calibrates before the stop
        self.put_and_check_pending(srv)
        self.assertEqual(srv.stop(), 0)  # a job waiting to start does not hold the stop up
        self.assertNotIn("reference calibrated", srv.logs())
        srv = self.server()
        rep = srv.request("GET", self.PATH)[2]
        self.assertIn(rep["calibration"].get("fallback"), ("calibrating", None), rep)
        rep = poll_calibrated(srv, self.PATH)
        self.assertEqual(rep["correction"], "minp_calibrated", rep)
        self.assertIn("reference calibrated", srv.logs())
        srv.stop()
        srv = self.server()  # and it was stored this time
        self.assertEqual(srv.request("GET", self.PATH)[2]["correction"], "minp_calibrated")


class Verdict(unittest.TestCase):
    """driftd check calibrates its in-process reference."""
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="driftd-calibrated-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def run_check(self, ref, cur, *args):
        paths = []
        for name, evs in (("ref", ref), ("cur", cur)):
            p = os.path.join(self.dir, name + ".ndjson")
            write_ndjson(p, evs)
            paths.append(p)
        r = subprocess.run([dd_harness.DRIFTD, "check", "--reference", paths[0], "--current",
                            paths[1], *args], capture_output=True, text=True, timeout=120)
        return r.returncode, json.loads(r.stdout) if r.stdout.startswith("{") else r.stdout

    def test_calibrated_and_fallbacks(self):
        code, rep = self.run_check(events(1000, 0, 1), events(200, 0.15, 2))
        self.assertEqual(rep["correction"], "minp_calibrated", rep)
        cal = rep["calibration"]
        self.assertEqual(cal["sizes"], [200, 500])  # 2·1000·200/1200 = 333
        self.assertAlmostEqual(cal["effective_size"], 2000 * 200 / 1200, places=6)
        # three correlated tests: the calibrated level is looser than Holm's alpha/3
        self.assertGreater(cal["level"], 0.05 / 3)
        self.assertEqual(code, 1 if rep["drift"] else 0)
        self.assertEqual(rep["drift"], cal["p_value"] <= 0.05)
        self.assertTrue(0 <= cal["acat_p_value"] <= 1)
        # a reference of 30 events is too small to calibrate: Holm, and it says so
        code, rep = self.run_check(events(30, 0, 3), events(30, 0, 4))
        self.assertEqual(rep["correction"], "holm", rep)
        self.assertEqual(rep["calibration"]["fallback"], "not_calibrated")
        # a window far below the smallest calibrated size: Holm, and it says so
        code, rep = self.run_check(events(1000, 0, 5), events(8, 0, 6), "--min-samples", "5")
        self.assertEqual(rep["correction"], "holm", rep)
        self.assertEqual(rep["calibration"]["fallback"], "size_outside")


if __name__ == "__main__":
    dd_harness.main()
