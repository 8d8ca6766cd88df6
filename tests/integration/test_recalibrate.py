"""A declared type changes a row's method after its reference was calibrated
(issue #14): the report decides that row by its Bonferroni share at once, and
the server calibrates the reference again with the model's types, after which
the row is calibrated under its new method.  Fails on the code that calibrated
once, untyped (the row stayed a Bonferroni row)."""
import random
import time
import unittest

from dd_harness import ServerTest

PATH = "/api/v1/models/rc/drift?version=v1&window=last:200"


def events(n, seed):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        z = rnd.gauss(0, 1)
        out.append({"version": "v1", "confidence": min(1.0, max(0.0, 0.8 + 0.08 * z)),
                    "prediction": "cat" if z + rnd.gauss(0, 0.5) > 0 else "dog",
                    # five levels, numeric: KS unless declared categorical
                    "features": {"rooms": rnd.randint(1, 5)}})
    return out


def poll(srv, until, seconds=120):
    """The report once until(report) holds (the last one after `seconds`)."""
    deadline = time.time() + seconds
    while True:
        st, _, rep = srv.request("GET", PATH)
        if st != 200 or until(rep) or time.time() > deadline:
            return rep
        time.sleep(0.1)


def row(rep, signal):
    return next(s for s in rep["signals"] if s["signal"] == signal and s.get("kind") == "test")


class Recalibrate(ServerTest):
    def test_declared_type_is_calibrated_again(self):
        srv = self.srv
        st, _, body = srv.post_events("rc", events(200, 2))
        self.assertEqual(st, 202, body)
        st, _, body = srv.put_reference("rc", "v1", events(600, 1))
        self.assertEqual(st, 200, body)
        rep = poll(srv, lambda r: r.get("correction") == "minp_calibrated")
        self.assertEqual(rep["correction"], "minp_calibrated", rep)
        cal = rep["calibration"]
        self.assertEqual((cal["calibrated_tests"], cal["bonferroni_tests"]), (3, 0), cal)
        self.assertEqual(row(rep, "feature:rooms")["method"], "ks")

        st, _, body = srv.request("PUT", "/api/v1/models/rc/settings",
                                  {"types": {"feature:rooms": "categorical"}})
        self.assertEqual(st, 200, body)
        # at once: chi2 on rooms, which the calibration knows only as ks
        rep = srv.request("GET", PATH)[2]
        self.assertEqual(row(rep, "feature:rooms")["method"], "chi2", rep)
        cal = rep["calibration"]
        if cal["bonferroni_tests"] == 1:  # (unless the calibrator was faster than this GET)
            self.assertEqual(cal["calibrated_tests"], 2, cal)
            self.assertAlmostEqual(row(rep, "feature:rooms")["level"], 0.05 / 3, places=12)
        # then calibrated again, with the declared type
        rep = poll(srv, lambda r: r.get("calibration", {}).get("bonferroni_tests") == 0)
        cal = rep["calibration"]
        self.assertEqual((cal["calibrated_tests"], cal["bonferroni_tests"]), (3, 0), cal)
        self.assertEqual(row(rep, "feature:rooms")["level"], cal["level"])
        logs = srv.logs()
        self.assertEqual(logs.count("reference calibrated"), 2, logs)

        # back to the guessed type: calibrated once more, ks again
        st, _, body = srv.request("PUT", "/api/v1/models/rc/settings", {"types": None})
        self.assertEqual(st, 200, body)
        rep = poll(srv, lambda r: row(r, "feature:rooms")["method"] == "ks"
                   and r["calibration"].get("bonferroni_tests") == 0)
        self.assertEqual(rep["calibration"]["calibrated_tests"], 3, rep)
        self.assertEqual(srv.logs().count("reference calibrated"), 3)


if __name__ == "__main__":
    unittest.main()
