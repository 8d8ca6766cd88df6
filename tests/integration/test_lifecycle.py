"""Lifecycle against the real binary (docs/api.md "Deleting data", "Pages",
`driftd keys`): deletes of a model, a version, a reference and a range of
events leave the counts, the lists and /metrics right and survive a restart;
the model and version lists come in pages that walk 1,000 models without a
duplicate or a gap; keys have names and expiry; `driftd keys` finds the
database the way `serve` does and creates its folder."""
import json
import os
import subprocess
import tempfile
import threading
import time
import unittest

import dd_harness
from dd_harness import Server, ServerTest

T0 = 1795341600000  # 2026-11-22T10:00:00Z in epoch ms


def events(n, version="v1", t0=T0, step=1000, prefix="e", conf=0.5):
    """n events of version; t0=None: no ts (the server's clock)."""
    out = [{"id": f"{prefix}{i}", "version": version, "ts": (t0 or 0) + i * step,
            "prediction": "cat" if i % 3 else "dog", "confidence": conf,
            "features": {"age": 20 + i % 40}} for i in range(n)]
    if t0 is None:
        for e in out:
            del e["ts"]
    return out


def ndjson(evs):
    return "\n".join(json.dumps(e) for e in evs) + "\n"


class Pages(ServerTest):
    def walk(self, path, key, limit):
        seen, cursor, pages = [], None, 0
        while True:
            q = f"{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            st, _, body = self.srv.request("GET", q)
            self.assertEqual(st, 200, body)
            seen += [m["name"] for m in body[key]]
            self.assertLessEqual(len(body[key]), limit)
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                return seen, pages

    def test_1000_models_in_pages(self):
        names = [f"m{i:04d}" for i in range(1000)]
        conn = self.srv.conn()
        for n in names:
            st, _, body = self.srv.post_events(n, events(1, prefix=n), conn=conn)
            self.assertEqual(st, 202, body)
        conn.close()
        seen, pages = self.walk("/api/v1/models", "models", 37)
        self.assertEqual(len(seen), len(set(seen)))  # no duplicates
        self.assertEqual(sorted(set(seen) & set(names)), names)  # no gaps
        self.assertEqual(seen, sorted(seen))
        self.assertEqual(pages, -(-len(seen) // 37))
        # the default page is 100, and a page says where the next one starts
        st, _, body = self.srv.request("GET", "/api/v1/models")
        self.assertEqual(len(body["models"]), 100)
        self.assertEqual(body["models"][0]["name"], "m0000")
        self.assertIsInstance(body["next_cursor"], str)
        st, _, body2 = self.srv.request("GET", f"/api/v1/models?cursor={body['next_cursor']}")
        self.assertEqual(body2["models"][0]["name"], "m0100")
        self.assertEqual(body2["models"][0]["events"], 1)
        self.assertEqual(body2["models"][0]["versions"], ["v1"])

    def test_bad_page_parameters_are_named(self):
        for q, word in (("limit=0", "limit"), ("limit=1001", "limit"), ("limit=x", "limit"),
                        ("cursor=%21%21", "cursor"), ("cursor=Zm9vIGJhcg", "cursor")):
            st, _, body = self.srv.request("GET", f"/api/v1/models?{q}")
            self.assertEqual(st, 400, (q, body))
            self.assertEqual(body["error"]["code"], "invalid_query", q)
            self.assertIn(word, body["error"]["message"], q)
        st, _, body = self.srv.request("GET", "/api/v1/models?limt=5")
        self.assertEqual((st, body["error"]["code"]), (400, "invalid_request"))
        self.assertIn("limt", body["error"]["message"])
        st, _, body = self.srv.request("GET", "/api/v1/models?limit=5&limit=6")
        self.assertEqual(st, 400)
        st, _, body = self.srv.request("GET", "/api/v1/models/m0001?version=v1")
        self.assertEqual(st, 400)
        self.assertIn("version", body["error"]["message"])

    def test_versions_list_and_get(self):
        evs = []
        for k, v in enumerate(["b", "a", "c", "d", "e"]):
            evs += events(3 + k, version=v, prefix=f"{v}-", t0=T0 + k * 10**6)
        st, _, body = self.srv.post_events("vers", evs)
        self.assertEqual(st, 202, body)
        got, cursor = [], None
        while True:
            st, _, body = self.srv.request(
                "GET", "/api/v1/models/vers/versions?limit=2" + (f"&cursor={cursor}" if cursor else ""))
            self.assertEqual(st, 200, body)
            self.assertEqual(body["model"], "vers")
            got += body["versions"]
            cursor = body["next_cursor"]
            if not cursor:
                break
        self.assertEqual([v["name"] for v in got], ["a", "b", "c", "d", "e"])
        self.assertEqual([v["events"] for v in got], [4, 3, 5, 6, 7])
        st, _, one = self.srv.request("GET", "/api/v1/models/vers/versions/c")
        self.assertEqual(st, 200, one)
        self.assertEqual(one, got[2])
        self.assertEqual(one["first_event"], "2026-11-22T10:33:20.000Z")
        self.assertEqual(one["reference"], {"source": "auto", "events": 5})
        self.assertEqual(self.srv.error_of("GET", "/api/v1/models/vers/versions/zz"),
                         (404, "not_found"))
        self.assertEqual(self.srv.error_of("GET", "/api/v1/models/nope/versions"),
                         (404, "not_found"))
        self.assertEqual(self.srv.error_of("GET", "/api/v1/models/vers/versions?x=1"),
                         (400, "invalid_request"))


class Deletes(ServerTest):
    SERVER_ARGS = ("--eval-interval", "1s")

    def model(self, name):
        st, _, body = self.srv.request("GET", f"/api/v1/models/{name}")
        return body if st == 200 else None

    def delete(self, path):
        return self.srv.request("DELETE", path)

    def test_delete_events_range(self):
        evs = events(100, "v1", prefix="a") + events(50, "v2", prefix="b")
        self.assertEqual(self.srv.post_events("rng", evs)[0], 202)
        # v1's events 10..29: ts from T0+10 s (included) to T0+30 s (excluded)
        st, _, body = self.delete(f"/api/v1/models/rng/events?from={T0 + 10000}"
                                  f"&to=2026-11-22T10:00:30Z&version=v1")
        self.assertEqual(st, 200, body)
        self.assertEqual(body, {"deleted": {"events": 20}})
        m = self.model("rng")
        self.assertEqual(m["events"], 130)
        v1 = next(v for v in m["versions"] if v["name"] == "v1")
        self.assertEqual(v1["events"], 80)
        # every version: the first 5 s of both go, and the counters follow
        st, _, body = self.delete(f"/api/v1/models/rng/events?from={T0}&to={T0 + 5000}")
        self.assertEqual(body, {"deleted": {"events": 10}})
        st, _, vs = self.srv.request("GET", "/api/v1/models/rng/versions")
        self.assertEqual([(v["name"], v["events"], v["first_event"]) for v in vs["versions"]],
                         [("v1", 75, "2026-11-22T10:00:05.000Z"),
                          ("v2", 45, "2026-11-22T10:00:05.000Z")])
        # the last events: last_event moves back
        st, _, body = self.delete(f"/api/v1/models/rng/events?from={T0 + 45000}&to={T0 + 10**9}"
                                  "&version=v2")
        self.assertEqual(body, {"deleted": {"events": 5}})
        st, _, v2 = self.srv.request("GET", "/api/v1/models/rng/versions/v2")
        self.assertEqual((v2["events"], v2["last_event"]), (40, "2026-11-22T10:00:44.000Z"))
        # ids of deleted events are free again: the same events are stored anew
        st, _, body = self.srv.post_events("rng", events(5, "v1", prefix="a"))
        self.assertEqual(body, {"accepted": 5, "duplicates": 0})
        self.assertEqual(self.model("rng")["events"], 120)  # 150 - 20 - 10 - 5 + 5

    def test_delete_events_errors_name_the_parameter(self):
        self.assertEqual(self.srv.post_events("rerr", events(3))[0], 202)
        cases = [("from=1&to=2", "from", "seconds"),
                 (f"from={T0}", "to", "required"),
                 (f"to={T0}", "from", "required"),
                 (f"from={T0 + 1}&to={T0}", "from", "after"),
                 (f"from=yesterday&to={T0}", "from", "yesterday"),
                 (f"from=1764558000&to={T0}", "from", "1764558000000")]
        for q, name, word in cases:
            st, _, body = self.delete(f"/api/v1/models/rerr/events?{q}")
            self.assertEqual((st, body["error"]["code"]), (400, "invalid_query"), q)
            self.assertTrue(body["error"]["message"].startswith(name + ":"), (q, body))
            self.assertIn(word, body["error"]["message"], q)
        st, _, body = self.delete(f"/api/v1/models/rerr/events?from={T0}&to={T0 + 1}&window=1h")
        self.assertEqual((st, body["error"]["code"]), (400, "invalid_request"))
        self.assertIn("window", body["error"]["message"])
        self.assertEqual(self.srv.error_of(
            "DELETE", f"/api/v1/models/nope/events?from={T0}&to={T0 + 1}"), (404, "not_found"))
        self.assertEqual(self.srv.error_of(
            "DELETE", f"/api/v1/models/rerr/events?from={T0}&to={T0 + 1}&version=v9"),
            (404, "not_found"))
        self.assertEqual(self.model("rerr")["events"], 3)

    def test_delete_reference(self):
        self.assertEqual(self.srv.post_events("refd", events(30))[0], 202)
        st, _, body = self.srv.put_reference("refd", "v1", events(250, prefix="r"))
        self.assertEqual(st, 200, body)
        st, _, body = self.delete("/api/v1/models/refd/versions/v1/reference")
        self.assertEqual((st, body), (200, {"deleted": {"reference_events": 250}}))
        st, _, ref = self.srv.request("GET", "/api/v1/models/refd/versions/v1/reference")
        self.assertEqual(ref["source"], "auto")
        self.assertEqual(ref["events"], 30)
        self.assertEqual(self.model("refd")["events"], 30)  # its events stay
        self.assertEqual(self.srv.error_of("DELETE", "/api/v1/models/refd/versions/v1/reference"),
                         (404, "not_found"))

    def metrics_lines(self, model):
        st, _, text = self.srv.request("GET", "/metrics")
        self.assertEqual(st, 200)
        return [line for line in text.splitlines() if f'model="{model}"' in line]

    def wait_for(self, cond, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if cond():
                return True
            time.sleep(0.2)
        return False

    def test_delete_version(self):
        # no ts: the events are recent, so the evaluator's rounds take them
        evs = events(60, "old", prefix="o", t0=None) + events(40, "new", prefix="n", t0=None)
        self.assertEqual(self.srv.post_events("verd", evs)[0], 202)
        self.assertEqual(self.srv.put_reference("verd", "old", events(40, prefix="r"))[0], 200)
        self.assertTrue(self.wait_for(lambda: any("version=\"old\"" in line
                                                  for line in self.metrics_lines("verd"))),
                        "the evaluator never evaluated version old")
        st, _, body = self.delete("/api/v1/models/verd/versions/old")
        self.assertEqual(st, 200, body)
        d = body["deleted"]
        self.assertEqual((d["versions"], d["events"], d["reference_events"]), (1, 60, 40))
        self.assertGreaterEqual(d["evaluations"], 1)
        m = self.model("verd")
        self.assertEqual((m["events"], [v["name"] for v in m["versions"]]), (40, ["new"]))
        self.assertEqual(self.srv.error_of("GET", "/api/v1/models/verd/versions/old"),
                         (404, "not_found"))
        self.assertEqual(self.srv.error_of("DELETE", "/api/v1/models/verd/versions/old"),
                         (404, "not_found"))
        # its drift gauges are gone after the next round; the other version's stay
        self.assertTrue(self.wait_for(lambda: not any("version=\"old\"" in line
                                                      for line in self.metrics_lines("verd"))),
                        self.metrics_lines("verd"))
        st, _, body = self.srv.request("GET", "/api/v1/models/verd/drift?version=old")
        self.assertEqual(st, 404, body)

    def test_delete_model_in_batches_then_fresh(self):
        # 25,000 events: three batches of the writer (STORE_DELETE_BATCH 10,000)
        big = events(25000, "v1", prefix="x", step=10)
        self.assertEqual(self.srv.request("POST", "/api/v1/models/big/events", ndjson(big),
                                          ctype="application/x-ndjson")[0], 202)
        self.assertEqual(self.srv.request("PUT", "/api/v1/models/big/settings",
                                          {"alpha": 0.01})[0], 200)
        other = events(10, prefix="k")
        self.assertEqual(self.srv.post_events("keep", other)[0], 202)
        # ingest into another model goes on while the delete runs
        latencies, stop = [], threading.Event()

        def ingest():
            conn, i = self.srv.conn(), 0
            while not stop.is_set():
                t = time.monotonic()
                st, _, _ = self.srv.post_events("keep", events(1, prefix=f"c{i}-"), conn=conn)
                latencies.append((st, time.monotonic() - t))
                i += 1
            conn.close()
        th = threading.Thread(target=ingest)
        th.start()
        t = time.monotonic()
        st, _, body = self.delete("/api/v1/models/big")
        took = time.monotonic() - t
        stop.set()
        th.join()
        self.assertEqual(st, 200, body)
        self.assertEqual(body["deleted"]["versions"], 1)
        self.assertEqual(body["deleted"]["events"], 25000)
        self.assertEqual(body["deleted"]["reference_events"] % 1000, 0)  # the automatic one, if frozen
        self.assertTrue(all(s == 202 for s, _ in latencies))
        print(f"\n  delete of 25,000 events: {took:.3f} s; {len(latencies)} ingest requests "
              f"meanwhile, slowest {max((x for _, x in latencies), default=0):.3f} s")
        self.assertIsNone(self.model("big"))
        st, _, lst = self.srv.request("GET", "/api/v1/models?limit=1000")
        self.assertNotIn("big", [m["name"] for m in lst["models"]])
        self.assertEqual(self.srv.error_of("GET", "/api/v1/models/big/settings"),
                         (404, "not_found"))
        self.assertEqual(self.srv.error_of("DELETE", "/api/v1/models/big"), (404, "not_found"))
        # re-ingest starts fresh: the old ids are new again, settings are the defaults
        st, _, body = self.srv.post_events("big", events(5, prefix="x"))
        self.assertEqual(body, {"accepted": 5, "duplicates": 0})
        m = self.model("big")
        self.assertEqual((m["events"], m["versions"][0]["reference"]), (5, {"source": "auto", "events": 5}))
        st, _, s = self.srv.request("GET", "/api/v1/models/big/settings")
        self.assertEqual(s["alpha"], 0.05)


class Restart(unittest.TestCase):
    """Deletes are committed: a restart shows the same counts."""

    def test_deletes_survive_a_restart(self):
        srv = Server().start()
        try:
            evs = events(300, "v1", prefix="a") + events(200, "v2", prefix="b")
            self.assertEqual(srv.post_events("keep", evs)[0], 202)
            self.assertEqual(srv.post_events("gone", events(50))[0], 202)
            self.assertEqual(srv.put_reference("keep", "v1", events(30, prefix="r"))[0], 200)
            self.assertEqual(srv.request("DELETE", "/api/v1/models/gone")[0], 200)
            self.assertEqual(srv.request("DELETE", "/api/v1/models/keep/versions/v2")[0], 200)
            self.assertEqual(srv.request("DELETE", "/api/v1/models/keep/versions/v1/reference")[0], 200)
            st, _, body = srv.request("DELETE", f"/api/v1/models/keep/events?from={T0}&to={T0 + 100000}")
            self.assertEqual(body, {"deleted": {"events": 100}})
            before = srv.request("GET", "/api/v1/models")[2]
            self.assertEqual(srv.stop(), 0)
            srv2 = Server(db_dir=srv.dir, port=srv.port).start()
            try:
                after = srv2.request("GET", "/api/v1/models")[2]
                # the counts, names and times, not the status: the evaluator may
                # have judged a version in between (no_reference -> insufficient_data)
                unjudged = lambda b: [{k: v for k, v in m.items() if k != "status"}
                                      for m in b["models"]]
                self.assertEqual(unjudged(before), unjudged(after))
                self.assertEqual([m["name"] for m in after["models"]], ["keep"])
                self.assertEqual(after["models"][0]["events"], 200)
                self.assertEqual(after["models"][0]["versions"], ["v1"])
                st, _, v1 = srv2.request("GET", "/api/v1/models/keep/versions/v1")
                self.assertEqual(v1["first_event"], "2026-11-22T10:01:40.000Z")
                self.assertEqual(v1["reference"]["source"], "auto")
                self.assertEqual(srv2.error_of("GET", "/api/v1/models/gone"), (404, "not_found"))
            finally:
                srv2.cleanup()
        finally:
            srv.cleanup()


class Keys(unittest.TestCase):
    def run_keys(self, *args, env=None, cwd=None):
        out = subprocess.run([dd_harness.DRIFTD, "keys", *args], capture_output=True, text=True,
                             timeout=30, env=dict(os.environ, **(env or {})), cwd=cwd)
        return out.returncode, out.stdout.strip(), out.stderr

    def test_serve_refusal_names_the_db_and_creates_its_folder(self):
        """Without keys a non-loopback server refuses to start (before it binds
        anything) and its hint is a command that works: it names the --db."""
        with tempfile.TemporaryDirectory() as d:
            db = os.path.join(d, "deep", "er", "x.db")
            out = subprocess.run([dd_harness.DRIFTD, "serve", "--listen", "0.0.0.0:1",
                                  "--db", db], capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 1, out.stderr)
            self.assertIn(f"'driftd keys create --role admin --db {db}'", out.stderr)
            self.assertTrue(os.path.isdir(os.path.dirname(db)))

    def test_keys_find_the_database_like_serve_and_create_its_folder(self):
        with tempfile.TemporaryDirectory() as d:
            # the default, data/driftd.db, in a fresh folder
            rc, key, err = self.run_keys("create", "--role", "admin", cwd=d)
            self.assertEqual(rc, 0, err)
            self.assertTrue(os.path.exists(os.path.join(d, "data", "driftd.db")))
            self.assertIn("'data/driftd.db'", err)
            # DRIFTD_DB, a folder two levels deep
            db = os.path.join(d, "a", "b", "x.db")
            rc, _, err = self.run_keys("create", "--role", "read", env={"DRIFTD_DB": db}, cwd=d)
            self.assertEqual(rc, 0, err)
            self.assertTrue(os.path.exists(db))
            # the config file's db
            cfg = os.path.join(d, "c.json")
            db2 = os.path.join(d, "cfg", "y.db")
            with open(cfg, "w") as f:
                json.dump({"db": db2}, f)
            rc, _, err = self.run_keys("create", "--role", "read", "--config", cfg, cwd=d)
            self.assertEqual(rc, 0, err)
            rc, out, err = self.run_keys("list", env={"DRIFTD_CONFIG": cfg}, cwd=d)
            self.assertEqual(rc, 0, err)
            self.assertEqual(len(out.splitlines()), 2)  # header and the one key
            rc, _, err = self.run_keys("revoke", "key_0000000000", "--db", db2)
            self.assertEqual(rc, 1)
            self.assertIn(f"--db {db2}", err)

    def test_bad_key_flags_name_the_value(self):
        with tempfile.TemporaryDirectory() as d:
            db = os.path.join(d, "k.db")
            for args, words in ((["--role", "root"], ["--role", "'root'"]),
                                (["--role", "read", "--expires", "soon"], ["--expires", "'soon'"]),
                                (["--role", "read", "--expires", "2001-01-01T00:00:00Z"],
                                 ["--expires", "future"]),
                                (["--role", "read", "--name", "a b"], ["--name", "'a b'"])):
                rc, _, err = self.run_keys("create", *args, "--db", db)
                self.assertEqual(rc, 2, (args, err))
                for w in words:
                    self.assertIn(w, err, args)

    def test_names_expiry_and_the_first_key_log_line(self):
        srv = Server().start()
        try:
            self.assertEqual(srv.request("GET", "/api/v1/models")[0], 200)  # open on loopback
            rc, key, err = srv.keys("create", "--role", "admin", "--name", "ci-bot",
                                    "--expires", "3s")
            self.assertEqual(rc, 0, err)
            self.assertIn("ci-bot", err)
            rc, forever, err = srv.keys("create", "--role", "read", "--name", "dash")
            self.assertEqual(rc, 0, err)
            rc, out, err = srv.keys("list")
            lines = out.splitlines()
            self.assertIn("NAME", lines[0])
            self.assertIn("EXPIRES", lines[0])
            row = next(line for line in lines if "ci-bot" in line)
            self.assertRegex(row, r" admin +ci-bot +\S+Z +\S+Z +-$")
            self.assertRegex(next(line for line in lines if "dash" in line), r" never +-$")
            deadline = time.time() + 5
            while time.time() < deadline and srv.request("GET", "/api/v1/models")[0] != 401:
                time.sleep(0.1)
            self.assertEqual(srv.request("GET", "/api/v1/models")[0], 401)
            self.assertEqual(srv.request("GET", "/api/v1/models", key=key)[0], 200)
            self.assertIn("the first API key was created: the API now requires a key (was open)",
                          srv.logs())
            time.sleep(3.2)
            st, hdrs, body = srv.request("GET", "/api/v1/models", key=key)
            self.assertEqual((st, body["error"]["code"]), (401, "unauthorized"))
            self.assertEqual(srv.request("GET", "/api/v1/models", key=forever)[0], 200)
            rc, out, _ = srv.keys("list")
            self.assertIn("(expired)", next(line for line in out.splitlines() if "ci-bot" in line))
        finally:
            srv.cleanup()


if __name__ == "__main__":
    dd_harness.main()
