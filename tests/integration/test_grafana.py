"""The Grafana JSON datasource (/grafana/, docs/grafana.md) against the real binary,
with the bodies the plugin simpod-json-datasource 0.6.x sends (and the legacy
grafana-simple-json-datasource's): every endpoint, annotations (verdict changes and
alerts), variables, ad hoc filters, CORS preflights, keys as Bearer and as the
basic-auth password, bad bodies, downsampling of a long stored history to
maxDataPoints, and the dashboard in docs/grafana/ naming only offered metrics."""
import base64
import json
import os
import random
import sqlite3
import time
import unittest

import dd_harness
from dd_harness import Server, ServerTest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DAY = 86_400_000


def events(n, shift, seed, version, ts0=None, step=1, latency=None, label=False):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        pred = rnd.choice(["cat", "dog", "cow"] + (["dog"] * 3 if shift else []))
        e = {"version": version,
             "confidence": min(1.0, max(0.0, rnd.gauss(0.8 - shift, 0.08))),
             "prediction": pred}
        if ts0 is not None:
            e["ts"] = ts0 + i * step
        if latency is not None:
            e["latency_ms"] = latency
        if label:
            e["label"] = pred if i % 4 else "other"  # 3 in 4 right
        out.append(e)
    return out


def wait_until(get, done=bool, timeout=20, step=0.2):
    """dd_harness.wait_until() with this suite's longer timeout and shorter step."""
    return dd_harness.wait_until(get, done, timeout, step)


def now_ms():
    return int(time.time() * 1000)


def grange(span_ms=3_600_000):
    """A panel's range as Grafana sends it (ISO strings)."""
    to = now_ms() + 60_000
    iso = lambda ms: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + ".000Z"
    return {"from": iso(to - span_ms), "to": iso(to), "raw": {"from": "now-1h", "to": "now"}}


def query(srv, targets, **extra):
    body = {"panelId": 2, "range": grange(), "intervalMs": 1000, "maxDataPoints": 500,
            "targets": targets, "scopedVars": {}}
    body.update(extra)
    return srv.request("POST", "/grafana/query", body)


def series(frames):
    """{display name: [(t, v), ...]} of typed frames."""
    out = {}
    for f in frames:
        t, v = f["fields"][0]["values"], f["fields"][1]["values"]
        out[f["fields"][1]["config"]["displayNameFromDS"]] = list(zip(t, v))
    return out


class Grafana(ServerTest):
    """One server: model gm, version v1 drifted and v2 quiet, evaluated every second."""
    SERVER_ARGS = ("--eval-interval", "1s", "--grafana-cors-origin", "https://grafana.example/")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        srv = cls.srv
        t0 = now_ms() - 20 * 60_000
        for v, seed in (("v1", 1), ("v2", 2)):
            st = srv.put_reference("gm", v, events(300, 0, seed, v))[0]
            assert st == 200, st
        # v1: shifted, latency 5 ms; v2: quiet, latency 20 ms, labelled; one event a second
        assert srv.post_events("gm", events(600, 0.2, 3, "v1", t0, 1000, latency=5))[0] == 202
        assert srv.post_events("gm", events(600, 0, 4, "v2", t0, 1000, latency=20,
                                            label=True))[0] == 202
        assert srv.post_events("other", events(30, 0, 5, "a"))[0] == 202
        # the verdict alert on v1 (annotations)
        st, _, body = srv.request("POST", "/api/v1/rules", {
            "id": "gm-drift", "model": "gm", "version": "v1", "condition": "drift", "for": "0s"})
        assert st == 201, (st, body)
        path = "/api/v1/alerts?state=firing"
        got = wait_until(lambda: srv.request("GET", path)[2]["alerts"])
        assert got, srv.request("GET", "/api/v1/alerts")
        for v in ("v1", "v2"):
            wait_until(lambda: srv.request("GET", f"/api/v1/models/gm/drift/history?version={v}"
                                           "&signal=confidence&method=ks")[2]["points"])

    def test_save_and_test(self):
        for path in ("/grafana", "/grafana/"):
            st, _, body = self.srv.request("GET", path)
            self.assertEqual((st, body["status"]), (200, "ok"))
        # another method on a datasource path: 405; an unknown path under it: 404
        self.assertEqual(self.srv.error_of("GET", "/grafana/query"), (405, "method_not_allowed"))
        self.assertEqual(self.srv.request("POST", "/grafana/nope", {})[0], 404)

    def test_trailing_slash_url(self):
        """A datasource URL saved as http://host/grafana/: the plugin asks for
        /grafana//query, answered like /grafana/query (runs of slashes folded
        under /grafana/ only)."""
        target = {"refId": "A", "target": "drift_p_value",
                  "payload": {"model": "gm", "version": "v1", "signal": "confidence",
                              "method": "ks"}}
        body = {"range": grange(), "intervalMs": 1000, "maxDataPoints": 500,
                "targets": [target]}
        st, _, want = self.srv.request("POST", "/grafana/query", body)
        self.assertEqual(st, 200, want)
        self.assertEqual(list(series(want)), ["gm/v1 confidence ks"])
        for path in ("/grafana//query", "/grafana///query"):
            st, _, got = self.srv.request("POST", path, body)
            self.assertEqual(st, 200, (path, got))
            self.assertEqual(list(series(got)), ["gm/v1 confidence ks"], path)
        st, _, got = self.srv.request("GET", "/grafana//")
        self.assertEqual((st, got["status"]), (200, "ok"))
        st, _, got = self.srv.request("POST", "/grafana//metrics", {})
        self.assertEqual(st, 200, got)
        self.assertIn("drift_p_value", [m["value"] for m in got])
        # the method still matters, and an unknown path is still unknown
        self.assertEqual(self.srv.error_of("GET", "/grafana//query"), (405, "method_not_allowed"))
        self.assertEqual(self.srv.request("POST", "/grafana//nope", {})[0], 404)
        # outside /grafana/ nothing is folded
        self.assertEqual(self.srv.request("GET", "/api/v1//models")[0], 404)

    def test_metrics_and_payload_options(self):
        for body in ({}, {"metric": "drift_p_value", "payload": {"model": "gm"}}, None):
            st, _, ms = self.srv.request("POST", "/grafana/metrics", body)
            self.assertEqual(st, 200)
            names = [m["value"] for m in ms]
            for want in ("drift_statistic", "drift_p_value", "drift_flag", "drift_verdict",
                         "event_rate", "latency_p50", "latency_p99", "confidence_mean",
                         "accuracy", "drift_report", "alerts", "verdict_changes"):
                self.assertIn(want, names)
        p = {m["value"]: [x["name"] for x in m["payloads"]] for m in ms}
        self.assertEqual(p["drift_p_value"], ["model", "version", "signal", "method"])
        self.assertEqual(p["event_rate"], ["model", "version"])

        def options(name, payload, metric="drift_p_value"):
            st, _, body = self.srv.request("POST", "/grafana/metric-payload-options",
                                           {"metric": metric, "payload": payload, "name": name})
            self.assertEqual(st, 200, body)
            return [o["value"] for o in body]
        self.assertEqual(options("model", {}), ["gm", "other"])
        self.assertEqual(options("version", {"model": "gm"}), ["v1", "v2"])
        # the field's own choice does not narrow its options
        self.assertEqual(options("version", {"model": "gm", "version": "v1"}), ["v1", "v2"])
        sigs = options("signal", {"model": "gm", "version": "v1"})
        self.assertIn("confidence", sigs)
        self.assertIn("prediction", sigs)
        self.assertIn("ks", options("method", {"model": "gm", "version": "v1",
                                               "signal": "confidence"}))
        self.assertNotIn("chi2", options("method", {"model": "gm", "signal": "confidence"}))
        st, _, body = self.srv.request("POST", "/grafana/metric-payload-options",
                                       {"metric": "nope", "payload": {}, "name": "model"})
        self.assertEqual((st, body["error"]["code"]), (400, "invalid_query"))
        self.assertIn("'nope'", body["error"]["message"])
        st, _, body = self.srv.request("POST", "/grafana/metric-payload-options",
                                       {"metric": "event_rate", "payload": {}, "name": "signal"})
        self.assertEqual(st, 400)
        self.assertIn("signal", body["error"]["message"])

    def test_variables(self):
        def var(payload):
            st, _, body = self.srv.request("POST", "/grafana/variable",
                                           {"payload": payload, "range": grange()})
            self.assertEqual(st, 200, body)
            self.assertTrue(all(x["__text"] == x["__value"] for x in body))
            return [x["__value"] for x in body]
        self.assertEqual(var({"target": "models"}), ["gm", "other"])
        self.assertEqual(var({"target": "versions gm"}), ["v1", "v2"])
        self.assertEqual(var("versions gm"), ["v1", "v2"])
        # raw JSON mode: members instead of words
        self.assertEqual(var({"target": "versions", "model": "other"}), ["a"])
        # what Grafana's regex format makes of a multi-value variable
        self.assertEqual(var({"target": "versions (gm|other)"}), ["a", "v1", "v2"])
        self.assertIn("confidence", var({"target": "signals gm v1"}))
        self.assertIn("ks", var({"target": "methods gm v1 confidence"}))
        self.assertIn("drift_p_value", var({"target": "metrics"}))
        st, _, body = self.srv.request("POST", "/grafana/variable", {"payload": {"target": "cows"}})
        self.assertEqual(st, 400)
        self.assertIn("'cows'", body["error"]["message"])
        st, _, body = self.srv.request("POST", "/grafana/variable",
                                       {"payload": {"target": "versions b@d"}})
        self.assertEqual(st, 400)
        self.assertIn("b@d", body["error"]["message"])

    def test_tag_keys_and_values(self):
        st, _, keys = self.srv.request("POST", "/grafana/tag-keys", {})
        self.assertEqual((st, [k["text"] for k in keys]), (200, ["model", "version", "signal",
                                                                  "method"]))
        self.assertTrue(all(k["type"] == "string" for k in keys))
        st, _, vals = self.srv.request("POST", "/grafana/tag-values", {"key": "model"})
        self.assertEqual((st, vals), (200, [{"text": "gm"}, {"text": "other"}]))
        st, _, vals = self.srv.request("POST", "/grafana/tag-values", {
            "key": "version", "filters": [{"key": "model", "operator": "=", "value": "gm"}]})
        self.assertEqual(vals, [{"text": "v1"}, {"text": "v2"}])
        st, _, body = self.srv.request("POST", "/grafana/tag-values", {"key": "colour"})
        self.assertEqual(st, 400)
        self.assertIn("colour", body["error"]["message"])

    def test_drift_series(self):
        st, _, frames = query(self.srv, [
            {"refId": "A", "target": "drift_p_value", "datasource": {"type": "simpod-json-datasource"},
             "payload": {"model": "gm", "signal": "confidence", "method": "ks"}, "editorMode": "builder"},
            {"refId": "B", "target": "drift_statistic", "payload": {"model": "gm"}, "hide": True}])
        self.assertEqual(st, 200, frames)
        self.assertEqual([f["refId"] for f in frames], ["A", "A"])  # B is hidden
        s = series(frames)
        self.assertEqual(sorted(s), ["gm/v1 confidence ks", "gm/v2 confidence ks"])
        v1 = [v for _, v in s["gm/v1 confidence ks"]]
        v2 = [v for _, v in s["gm/v2 confidence ks"]]
        self.assertTrue(v1 and max(v1) < 1e-6, v1)  # shifted by 0.2: tiny p-values
        self.assertTrue(v2 and min(v2) > 1e-3, v2)
        f = frames[0]
        self.assertEqual(f["fields"][0]["type"], "time")
        self.assertEqual(f["fields"][1]["labels"]["signal"], "confidence")
        times = f["fields"][0]["values"]
        self.assertEqual(times, sorted(times))
        # drift flag and the version's verdict
        st, _, frames = query(self.srv, [
            {"refId": "F", "target": "drift_flag", "payload": {"model": "gm", "version": "v1",
                                                                 "signal": "confidence"}},
            {"refId": "V", "target": "drift_verdict", "payload": {"model": "gm"}}])
        s = series(frames)
        self.assertEqual(set(v for _, v in s["gm/v1 confidence ks"]), {1})
        self.assertEqual(set(v for _, v in s["gm/v1"]), {1})
        self.assertEqual(set(v for _, v in s["gm/v2"]), {0})

    def test_event_series(self):
        st, _, frames = query(self.srv, [
            {"refId": "R", "target": "event_rate", "payload": {"model": "gm"}},
            {"refId": "L", "target": "latency_p99", "payload": {"model": "gm"}},
            {"refId": "C", "target": "confidence_mean", "payload": {"model": "gm", "version": "v1"}},
            {"refId": "Acc", "target": "accuracy", "payload": {"model": "gm"}}],
            intervalMs=60_000)
        self.assertEqual(st, 200, frames)
        by_ref = {}
        for f in frames:
            by_ref.setdefault(f["refId"], {})[f["fields"][1]["config"]["displayNameFromDS"]] = \
                f["fields"][1]["values"]
        # 600 events a version, one a second: 1/s in every full minute
        rates = by_ref["R"]["gm/v1"]
        self.assertAlmostEqual(sum(r * 60 for r in rates), 600, delta=1e-6)
        self.assertIn(1.0, rates)
        self.assertEqual(set(by_ref["L"]["gm/v1"]), {5})
        self.assertEqual(set(by_ref["L"]["gm/v2"]), {20})
        self.assertTrue(all(0.4 < c < 0.8 for c in by_ref["C"]["gm/v1"]))
        self.assertNotIn("gm/v1", by_ref["Acc"])  # no labels: no series
        acc = by_ref["Acc"]["gm/v2"]  # 3 in 4 right; a partial minute at either end
        self.assertEqual(sorted(acc)[len(acc) // 2], 0.75, acc)
        self.assertTrue(all(0.5 <= a <= 1 for a in acc), acc)

    def test_table(self):
        st, _, frames = query(self.srv, [{"refId": "T", "target": "drift_report",
                                          "payload": {"model": "gm", "version": "v1"}}])
        self.assertEqual(st, 200, frames)
        t = frames[0]
        self.assertEqual(t["type"], "table")
        cols = [c["text"] for c in t["columns"]]
        self.assertEqual(cols[:5], ["Time", "model", "version", "signal", "method"])
        rows = {(r[3], r[4]): dict(zip(cols, r)) for r in t["rows"]}
        ks = rows[("confidence", "ks")]
        self.assertEqual((ks["model"], ks["version"], ks["drift"]), ("gm", "v1", 1))
        self.assertLess(ks["p_value"], 1e-6)
        self.assertEqual(ks["n_ref"], 300)

    def test_adhoc_filters(self):
        base = [{"refId": "A", "target": "drift_p_value", "payload": {"signal": "confidence",
                                                                      "method": "ks"}}]
        for key in ("filters", "adhocFilters"):
            st, _, frames = query(self.srv, base, **{key: [
                {"key": "model", "operator": "=", "value": "gm"},
                {"key": "version", "operator": "!=", "value": "v1"}]})
            self.assertEqual(st, 200, frames)
            self.assertEqual(list(series(frames)), ["gm/v2 confidence ks"], key)
        st, _, body = query(self.srv, base, filters=[{"key": "team", "operator": "=",
                                                      "value": "x"}])
        self.assertEqual(st, 400)
        self.assertIn("filters[0].key", body["error"]["message"])

    def test_annotations(self):
        st, _, frames = query(self.srv, [{"refId": "Anno", "target": "", "payload": {}}],
                              range=grange(2 * 3_600_000))
        self.assertEqual(st, 200, frames)
        f = frames[0]
        self.assertEqual([x["name"] for x in f["fields"]],
                         ["time", "timeEnd", "title", "text", "tags"])
        rows = list(zip(*[x["values"] for x in f["fields"]]))
        titles = [r[2] for r in rows]
        self.assertIn("gm/v1: drift detected", titles)
        alerts = [r for r in rows if "alert" in r[4].split(",")]
        self.assertEqual(len(alerts), 1, rows)
        self.assertIn("gm-drift", alerts[0][2])
        self.assertGreaterEqual(alerts[0][1], alerts[0][0])  # a region up to now
        # one kind only, and narrowed to a version
        st, _, frames = query(self.srv, [{"refId": "Anno", "target": "alerts",
                                          "payload": {"model": "gm", "version": "v2"}}])
        self.assertEqual(frames[0]["fields"][0]["values"], [])

    def test_legacy_plugin(self):
        st, _, names = self.srv.request("POST", "/grafana/search", {"target": ""})
        self.assertEqual(st, 200)
        self.assertIn("drift_p_value", names)
        st, _, names = self.srv.request("POST", "/grafana/search", {"target": "versions gm"})
        self.assertEqual(names, ["v1", "v2"])
        st, _, out = query(self.srv, [
            {"refId": "A", "target": "drift_p_value", "type": "timeserie",
             "data": {"model": "gm", "version": "v1", "signal": "confidence", "method": "ks"}},
            {"refId": "B", "target": "drift_report", "type": "table", "data": {"model": "gm"}}])
        self.assertEqual(st, 200, out)
        self.assertEqual(out[0]["target"], "gm/v1 confidence ks")
        self.assertTrue(all(len(p) == 2 and p[0] < 1e-6 for p in out[0]["datapoints"]))
        self.assertEqual(out[1]["type"], "table")
        st, _, annos = self.srv.request("POST", "/grafana/annotations", {
            "range": grange(), "rangeRaw": {"from": "now-1h", "to": "now"},
            "annotation": {"name": "drift", "datasource": "driftd", "enable": True,
                           "iconColor": "red", "query": "verdict_changes gm v1"}})
        self.assertEqual(st, 200, annos)
        self.assertIn("gm/v1: drift detected", [a["title"] for a in annos])
        self.assertTrue(all("verdict" in a["tags"] for a in annos))

    def test_bad_bodies(self):
        cases = [
            ("{not json", "invalid_json", "not JSON"),
            ("[1, 2]", "invalid_body", "object"),
            ({"targets": {"refId": "A"}}, "invalid_body", "targets"),
            ({"targets": [{"refId": "A", "target": "drift_p_valu"}]}, "invalid_query",
             "'drift_p_valu'"),
            ({"range": {"from": "yesterday", "to": "2026-12-01T10:00:00Z"}, "targets": []}, "invalid_body",
             "range.from"),
            ({"targets": [{"refId": "A", "target": "drift_p_value",
                           "payload": {"model": "b d"}}]}, "invalid_body",
             "targets[0].payload.model"),
            ({"targets": [{"refId": "A", "target": "drift_p_value",
                           "payload": {"version": {"x": 1}}}]}, "invalid_body",
             "targets[0].payload.version"),
            ({"filters": [{"key": "model", "operator": "<", "value": "x"}]}, "invalid_body",
             "operator"),
        ]
        for body, code, words in cases:
            st, _, resp = self.srv.request("POST", "/grafana/query", body)
            self.assertEqual((st, resp["error"]["code"]), (400, code), body)
            self.assertIn(words, resp["error"]["message"], body)
        # lenient: an empty body, unknown members, a placeholder target
        st, _, resp = self.srv.request("POST", "/grafana/query", "", ctype=None)
        self.assertEqual((st, resp), (200, []))
        st, _, resp = query(self.srv, [{"refId": "A"}], app="dashboard", requestId="Q1")
        self.assertEqual((st, resp), (200, []))

    def test_cors(self):
        origin = {"Origin": "https://grafana.example",
                  "Access-Control-Request-Method": "POST",
                  "Access-Control-Request-Headers": "authorization,content-type"}
        st, h, _ = self.srv.request("OPTIONS", "/grafana/query", headers=origin)
        self.assertEqual(st, 200)
        self.assertEqual(h["Access-Control-Allow-Origin"], "https://grafana.example")
        self.assertIn("POST", h["Access-Control-Allow-Methods"])
        self.assertEqual(h["Access-Control-Allow-Headers"], "authorization,content-type")
        self.assertEqual(h["Access-Control-Allow-Credentials"], "true")
        # the answer itself carries the origin too (errors included)
        st, h, _ = self.srv.request("POST", "/grafana/metrics", {},
                                    headers={"Origin": "https://grafana.example"})
        self.assertEqual((st, h.get("Access-Control-Allow-Origin")), (200, "https://grafana.example"))
        st, h, _ = self.srv.request("POST", "/grafana/query", "{",
                                    headers={"Origin": "https://grafana.example"})
        self.assertEqual((st, h.get("Access-Control-Allow-Origin")), (400, "https://grafana.example"))
        # another origin: refused, and no CORS header on answers
        st, h, body = self.srv.request("OPTIONS", "/grafana/query",
                                       headers=dict(origin, Origin="https://evil.example"))
        self.assertEqual(st, 403)
        self.assertIn("grafana_cors_origin", body["error"]["message"])
        st, h, _ = self.srv.request("POST", "/grafana/metrics", {},
                                    headers={"Origin": "https://evil.example"})
        self.assertNotIn("Access-Control-Allow-Origin", h)
        # not under /grafana/: no CORS
        st, h, _ = self.srv.request("GET", "/api/v1/models",
                                    headers={"Origin": "https://grafana.example"})
        self.assertNotIn("Access-Control-Allow-Origin", h)


class GrafanaKeysAndNoOrigin(ServerTest):
    """Keys on, no CORS origin configured (the default)."""

    @classmethod
    def before_start(cls, srv):
        cls.read = srv.keys("create", "--role", "read")[1].split()[0]
        cls.ingest = srv.keys("create", "--role", "ingest")[1].split()[0]

    def test_keys(self):
        srv = self.srv
        basic = lambda user, key: "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()
        cases = [(None, 401), ("Bearer " + self.read, 200), (basic("grafana", self.read), 200),
                 (basic("", self.read), 200), (basic("grafana", "dd_wrong"), 401),
                 (basic("grafana", self.ingest), 403), ("Basic !!!", 401)]
        for authz, want in cases:
            h = {"Authorization": authz} if authz else {}
            for method, path in (("GET", "/grafana/"), ("POST", "/grafana/metrics")):
                st, _, _ = srv.request(method, path, {} if method == "POST" else None, headers=h)
                self.assertEqual(st, want, (authz, path))
        # a preflight carries no credentials: never 401
        st, _, _ = srv.request("OPTIONS", "/grafana/query")
        self.assertEqual(st, 200)
        st, h, body = srv.request("OPTIONS", "/grafana/query",
                                  headers={"Origin": "https://grafana.example"})
        self.assertEqual(st, 403)
        self.assertNotIn("Access-Control-Allow-Origin", h)


class GrafanaDownsampling(unittest.TestCase):
    """30 days of stored history answered in at most maxDataPoints points."""

    def test_long_range(self):
        srv = Server("--eval-interval", "1h")
        self.addCleanup(srv.cleanup)
        srv.start()
        t_end = now_ms()
        t0 = t_end - 30 * DAY
        # 3,000 events spread over the 30 days (one every 860 s, the first an hour in:
        # retention deletes what is 30 days old)
        evs = events(3000, 0, 9, "v", t0 + 3_600_000, 860_000)
        self.assertEqual(srv.post_events("ds", evs)[0], 202)
        self.assertEqual(srv.stop(), 0)
        # 20,000 stored evaluations over the 30 days, written as the evaluator writes them
        n = 20_000
        step = 30 * DAY // n
        db = sqlite3.connect(srv.db)
        vid = db.execute("SELECT v.id FROM versions v JOIN models m ON m.id = v.model_id"
                         " WHERE m.name = 'ds' AND v.name = 'v'").fetchone()[0]
        rnd = random.Random(3)
        pvals = [rnd.random() for _ in range(n)]
        with db:
            for i in range(n):
                t = t0 + i * step
                status = "drift" if pvals[i] < 0.01 else "ok"
                cur = db.execute("INSERT INTO evaluations (version_id, window, computed_at, status,"
                                 " body) VALUES (?, '1h', ?, ?, ?)",
                                 (vid, t, status, json.dumps({"signals": [
                                     {"signal": "confidence", "method": "ks", "statistic": 1 - pvals[i],
                                      "p_value": pvals[i], "drift": pvals[i] < 0.01}]})))
                db.execute("INSERT INTO drift_results (evaluation_id, version_id, computed_at, signal,"
                           " method, statistic, p_value, threshold, drift, n_ref, n_cur) VALUES"
                           " (?, ?, ?, 'confidence', 'ks', ?, ?, 0.05, ?, 100, 100)",
                           (cur.lastrowid, vid, t, 1 - pvals[i], pvals[i], int(pvals[i] < 0.01)))
        db.close()
        srv.start()
        for max_points in (500, 37, 1):
            body = {"range": {"from": t0, "to": t_end}, "intervalMs": 1000,
                    "maxDataPoints": max_points,
                    "targets": [{"refId": "P", "target": "drift_p_value", "payload": {"model": "ds"}},
                                {"refId": "V", "target": "drift_verdict", "payload": {"model": "ds"}},
                                {"refId": "R", "target": "event_rate", "payload": {"model": "ds"}}]}
            st, _, frames = srv.request("POST", "/grafana/query", body)
            self.assertEqual(st, 200, frames)
            by_ref = {f["refId"]: f for f in frames}
            p = by_ref["P"]["fields"]
            self.assertLessEqual(len(p[0]["values"]), max_points)
            self.assertGreaterEqual(len(p[0]["values"]), max_points // 2)
            # the smallest p-value of each bucket is kept: the series' minimum is the data's
            self.assertAlmostEqual(min(p[1]["values"]), min(pvals), places=12)
            self.assertTrue(all(x is not None and 0 <= x <= 1 for x in p[1]["values"]))
            v = by_ref["V"]["fields"]
            self.assertLessEqual(len(v[0]["values"]), max_points)
            self.assertEqual(max(v[1]["values"]), 1)  # some bucket drifted
            r = by_ref["R"]["fields"]
            self.assertLessEqual(len(r[0]["values"]), max_points)
            bucket = (r[0]["values"][1] - r[0]["values"][0]) if len(r[0]["values"]) > 1 else None
            if bucket:
                self.assertAlmostEqual(sum(x * bucket / 1000 for x in r[1]["values"]), 3000,
                                       delta=1e-6)
        # a short range is not downsampled: the stored times themselves
        body = {"range": {"from": t0, "to": t0 + 10 * step}, "intervalMs": 1, "maxDataPoints": 500,
                "targets": [{"refId": "P", "target": "drift_p_value", "payload": {"model": "ds"}}]}
        st, _, frames = srv.request("POST", "/grafana/query", body)
        f = frames[0]["fields"]
        self.assertEqual(f[0]["values"], [t0 + i * step for i in range(11)])
        self.assertEqual(f[1]["values"], pvals[:11])


class GrafanaDashboard(ServerTest):
    """docs/grafana/driftd.json parses and names only metrics the datasource offers."""

    def test_dashboard_metrics_are_offered(self):
        with open(os.path.join(ROOT, "docs", "grafana", "driftd.json")) as f:
            dash = json.load(f)
        st, _, ms = self.srv.request("POST", "/grafana/metrics", {})
        offered = {m["value"] for m in ms}
        used = []
        for panel in dash["panels"]:
            for t in panel.get("targets", []):
                used.append(t["target"])
        for a in dash["annotations"]["list"]:
            if a.get("datasource", {}).get("type") == "simpod-json-datasource":
                used.append(a["target"]["target"])
        self.assertTrue(used)
        self.assertEqual(sorted(set(used) - offered), [])
        for want in ("drift_report", "drift_p_value", "drift_statistic", "event_rate", "alerts"):
            self.assertIn(want, used)
        names = [v["name"] for v in dash["templating"]["list"]]
        self.assertEqual(names[:2], ["model", "version"])
        # every panel query is answered (an empty server: no frames, but no error)
        for panel in dash["panels"]:
            targets = panel.get("targets", [])
            if targets:
                st, _, body = query(self.srv, targets)
                self.assertEqual(st, 200, (panel["title"], body))


if __name__ == "__main__":
    dd_harness.main()
