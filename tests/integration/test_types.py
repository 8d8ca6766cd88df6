"""Typed values and the settings that name them (issue #15 item 3, the settings of item 4,
labels), against the real driftd binary:

- a feature where 10% of events send the number as a string stays numeric (KS) and its row
  reports mixed_types and the type used;
- null feature values are accepted, stored and counted, and the share of missing values is
  the signal missing:<feature> (chi2);
- a regression's numeric predictions: the prediction row is KS, and with labels the
  performance block has MAE and RMSE and the error signal's KS, checked against sklearn and
  scipy;
- epoch seconds in ts are refused with a message that says so;
- settings: types, null removes a key, unknown signals and methods that do not fit are 400
  naming the field;
- labels as NDJSON, with the unknown ids listed.

Each check fails on the code before this change (59ba24f).
Usage: test_types.py path/to/driftd
"""
import json
import os
import random
import sys
import time

try:
    import numpy as np
    from scipy import stats
    from sklearn.metrics import mean_absolute_error, mean_squared_error
except ImportError:
    # the reference values come from SciPy and scikit-learn (python3-scipy,
    # python3-sklearn): when the python3 CMake found lacks them, the system's has them
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise

import dd_harness
from dd_harness import ServerTest


def now_ms():
    return int(time.time() * 1000)


def rows(report, signal):
    return [r for r in report["signals"] if r["signal"] == signal]


class Types(ServerTest):
    def drift(self, model, query="window=last:1000"):
        st, _, rep = self.srv.request("GET", f"/api/v1/models/{model}/drift?{query}")
        self.assertEqual(st, 200, rep)
        return rep

    def test_mixed_feature_stays_numeric_and_is_reported(self):
        rnd = random.Random(7)
        ref = [{"features": {"age": round(rnd.gauss(40, 5), 1)}} for _ in range(500)]
        cur = []
        for i in range(500):
            age = round(rnd.gauss(55, 5), 1)  # shifted: KS must see it
            cur.append({"features": {"age": str(age) if i % 10 == 0 else age}})
        self.assertEqual(self.srv.put_reference("mix", "v1", ref)[0], 200)
        self.assertEqual(self.srv.post_events("mix", [dict(e, version="v1") for e in cur])[0], 202)
        rep = self.drift("mix", "version=v1&window=last:1000")
        ks = [r for r in rows(rep, "feature:age") if r["method"] == "ks"]
        self.assertEqual(len(ks), 1, rows(rep, "feature:age"))
        self.assertEqual(ks[0]["type"], "numeric")
        self.assertEqual(ks[0]["mixed_types"], 50)  # the strings: the rarer type
        ref_ages = [e["features"]["age"] for e in ref]
        cur_ages = [float(e["features"]["age"]) for e in cur]
        want = stats.ks_2samp(ref_ages, cur_ages)
        self.assertAlmostEqual(ks[0]["statistic"], want.statistic, places=12)
        self.assertLess(ks[0]["p_value"], 1e-20)
        self.assertEqual(ks[0]["n_cur"], 500)

    def test_declared_type_decides_the_report(self):
        """A feature whose values are numbers is tested as numbers until the
        model's settings declare it categorical: then chi2/psi, not ks."""
        rnd = random.Random(3)
        ref = [{"features": {"code": rnd.choice([1, 2, 3])}} for _ in range(400)]
        cur = [{"features": {"code": rnd.choice([1, 2, 3, 3, 3])}} for _ in range(400)]
        self.assertEqual(self.srv.put_reference("decl", "v1", ref)[0], 200)
        self.assertEqual(self.srv.post_events("decl", [dict(e, version="v1") for e in cur])[0], 202)
        methods = lambda: sorted(r["method"] for r in rows(self.drift("decl", "version=v1&window=last:1000"), "feature:code"))
        self.assertEqual(methods(), ["ks", "wasserstein"])
        st, _, body = self.srv.request("PUT", "/api/v1/models/decl/settings",
                                       {"types": {"feature:code": "categorical"}})
        self.assertEqual(st, 200, body)
        self.assertEqual(methods(), ["chi2", "psi"])
        st, _, dist = self.srv.request("GET", "/api/v1/models/decl/distributions?version=v1&signal=feature:code&window=last:1000")
        self.assertEqual(st, 200, dist)
        self.assertEqual(dist["signals"][0]["kind"], "categorical", dist)

    def test_null_is_missing_and_counted(self):
        t = now_ms()
        ref = [{"features": {"x": 1.0 * i, "c": "a"}} for i in range(200)]
        ref += [{"features": {"x": None, "c": "a"}} for _ in range(10)]  # 10 of 210 missing
        cur = [{"ts": t, "features": {"x": 1.0 * i, "c": "a"}} for i in range(100)]
        cur += [{"ts": t, "features": {"x": None, "c": None}} for _ in range(100)]  # half
        self.assertEqual(self.srv.put_reference("nul", "default", ref)[0], 200)
        st, _, body = self.srv.post_events("nul", cur)
        self.assertEqual((st, body), (202, {"accepted": 200, "duplicates": 0}))
        rep = self.drift("nul")
        miss = rows(rep, "missing:x")
        self.assertEqual([r["method"] for r in miss], ["chi2"])
        self.assertEqual((miss[0]["n_ref"], miss[0]["n_cur"]), (210, 200))
        table = np.array([[200, 10], [100, 100]])
        chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
        self.assertAlmostEqual(miss[0]["statistic"], chi2, places=9)
        self.assertEqual(miss[0]["df"], dof)
        # c: never missing in the reference, all of the last 100 missing now
        self.assertEqual(rows(rep, "missing:c")[0]["n_cur"], 200)
        # the values: 200 reference numbers of x, 100 current ones
        x = [r for r in rows(rep, "feature:x") if r["method"] == "ks"][0]
        self.assertEqual((x["n_ref"], x["n_cur"]), (200, 100))

    def test_regression_performance(self):
        rnd = random.Random(11)
        t = now_ms()
        ref, cur = [], []
        for i in range(300):
            y = rnd.uniform(0, 100)
            ref.append({"prediction": y + rnd.gauss(0, 2) + 0.001, "label": round(y, 3)})
        for i in range(300):
            y = rnd.uniform(0, 100)
            cur.append({"id": f"r{i}", "ts": t, "prediction": y + rnd.gauss(3, 6) + 0.001,
                        "label": round(y, 3)})
        cur[5]["label"] = "n/a"  # not a number: counted, left out
        self.assertEqual(self.srv.put_reference("reg", "default", ref)[0], 200)
        self.assertEqual(self.srv.post_events("reg", cur)[0], 202)
        rep = self.drift("reg")
        used = [e for e in cur if not isinstance(e["label"], str)]
        yt = [e["label"] for e in used]
        yp = [e["prediction"] for e in used]
        perf = rep["performance"]["current"]
        self.assertTrue(perf["regression"])
        self.assertEqual((perf["labeled"], perf["used"], perf["labels_not_numeric"]), (300, 299, 1))
        self.assertAlmostEqual(perf["mae"], mean_absolute_error(yt, yp), places=9)
        self.assertAlmostEqual(perf["rmse"], mean_squared_error(yt, yp) ** 0.5, places=9)
        ref_perf = rep["performance"]["reference"]
        self.assertAlmostEqual(
            ref_perf["mae"],
            mean_absolute_error([e["label"] for e in ref], [e["prediction"] for e in ref]),
            places=9)
        pred = [r for r in rows(rep, "prediction") if r["method"] == "ks"]
        self.assertEqual(len(pred), 1, rows(rep, "prediction"))
        want = stats.ks_2samp([e["prediction"] for e in ref], [e["prediction"] for e in cur])
        self.assertAlmostEqual(pred[0]["statistic"], want.statistic, places=12)
        err = rows(rep, "error")
        self.assertEqual([r["method"] for r in err], ["ks"])
        want = stats.ks_2samp([e["prediction"] - e["label"] for e in ref],
                              [p - y for p, y in zip(yp, yt)])
        self.assertAlmostEqual(err[0]["statistic"], want.statistic, places=12)
        self.assertAlmostEqual(err[0]["p_value"], want.pvalue, delta=want.pvalue * 1e-6 + 1e-300)
        self.assertEqual(rows(rep, "performance"), [])  # no correct/incorrect for numbers

    def test_epoch_seconds_refused(self):
        st, _, body = self.srv.post_events(
            "sec", [{"prediction": 1}, {"prediction": 1}, {"prediction": 1},
                    {"prediction": 1, "ts": 1764558000}])
        self.assertEqual(st, 400)
        self.assertEqual(body["error"]["message"],
                         "events[3].ts: 1764558000 looks like epoch seconds; send milliseconds "
                         "(1764558000000) or RFC 3339")
        self.assertEqual(self.srv.count("sec"), 0)

    def test_settings_types_null_and_strictness(self):
        t = now_ms()
        ev = [{"ts": t, "prediction": "a", "features": {"age": 30 + i % 7, "city": "x"}}
              for i in range(30)]
        self.assertEqual(self.srv.post_events("set", ev)[0], 202)
        put = lambda body: self.srv.request("PUT", "/api/v1/models/set/settings", body)
        st, _, body = put({"types": {"feature:age": "categorical"}, "window": "30m"})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["types"], {"feature:age": "categorical"})
        self.assertEqual(body["window"], "30m")
        # null removes: back to the default window, the type gone
        st, _, body = put({"window": None, "types": {"feature:age": None}})
        self.assertEqual(st, 200, body)
        self.assertEqual((body["window"], body["types"]), ("1h", {}))
        # a method that does not fit what the values were, naming the field
        st, _, body = put({"methods": {"feature:age": ["chi2"]}})
        self.assertEqual(st, 400)
        self.assertTrue(body["error"]["message"].startswith(
            "methods.feature:age: 'chi2' does not apply: its values were numeric"), body)
        # a misspelt signal
        st, _, body = put({"methods": {"feature:agee": ["ks"]}})
        self.assertEqual(st, 400)
        self.assertIn("methods.feature:agee: no event of model 'set' has had this signal",
                      body["error"]["message"])
        self.assertIn("feature:age", body["error"]["message"])
        st, _, body = put({"types": {"feature:agee": "numeric"}})
        self.assertEqual(st, 400)
        self.assertTrue(body["error"]["message"].startswith("types.feature:agee: no event"))
        # declared numeric, then a categorical method for it
        st, _, body = put({"types": {"feature:city": "numeric"}, "methods": {"feature:city": ["chi2"]}})
        self.assertEqual(st, 400)
        self.assertEqual(body["error"]["message"],
                         "methods.feature:city: 'chi2' does not apply to a numeric signal "
                         "(types.feature:city)")
        st, _, body = put({"types": {"confidence": "categorical"}})
        self.assertEqual(st, 400)
        self.assertTrue(body["error"]["message"].startswith("types.confidence: only prediction"))
        st, _, body = put({"types": {"feature:age": "float"}})
        self.assertEqual(st, 400)
        self.assertTrue(body["error"]["message"].startswith("types.feature:age: 'float' is not"))
        st, _, body = put({"typos": 1})
        self.assertEqual(st, 400)
        self.assertTrue(body["error"]["message"].startswith("typos: unknown setting"))
        # a model without events takes any well-formed name
        st, _, body = self.srv.request("PUT", "/api/v1/models/fresh/settings",
                                       {"types": {"feature:later": "numeric"}})
        self.assertEqual(st, 200, body)

    def test_labels_ndjson_and_unknown_ids(self):
        t = now_ms()
        ev = [{"id": f"e{i}", "ts": t, "prediction": "a"} for i in range(3)]
        self.assertEqual(self.srv.post_events("lab", ev)[0], 202)
        nd = "\n".join(json.dumps({"id": i, "label": "a"}) for i in ["e0", "x1", "e2", "x2"])
        st, _, body = self.srv.request("POST", "/api/v1/models/lab/labels", nd,
                                       ctype="application/x-ndjson")
        self.assertEqual((st, body), (200, {"updated": 2, "unknown": 2,
                                            "unknown_ids": ["x1", "x2"]}))
        many = {"labels": [{"id": f"u{i}", "label": 1.5} for i in range(150)]}
        st, _, body = self.srv.request("POST", "/api/v1/models/lab/labels", many)
        self.assertEqual((st, body["updated"], body["unknown"]), (200, 0, 150))
        self.assertEqual(body["unknown_ids"], [f"u{i}" for i in range(100)])
        st, _, body = self.srv.request("POST", "/api/v1/models/lab/labels",
                                       '{"id":"e0","label":1}\n{"id":"e1"}\n',
                                       ctype="application/x-ndjson")
        self.assertEqual(st, 400)
        self.assertEqual(body["error"]["message"], 'labels[1] (line 2): must be {"id", "label"}')


if __name__ == "__main__":
    dd_harness.main()
