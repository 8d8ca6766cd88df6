"""Black-box tests of ingest, the models API, errors and auth against the real
binary (docs/api.md "Errors", "Authentication", "Telemetry ingest", "Models")."""
import base64
import json
import os
import shutil
import struct
import subprocess
import time
import unittest

import dd_harness
from dd_harness import Server, ServerTest


def b64(vals):
    return base64.b64encode(struct.pack("<%df" % len(vals), *vals)).decode()


class Errors(ServerTest):
    """Every bad-input case: status, code, message path, index, nothing stored."""

    def setUp(self):
        self.model = "err-" + self.id().rsplit(".", 1)[1]
        st, _, body = self.srv.post_events(self.model, [{"id": "seed", "prediction": "cat",
                                                         "embedding": [1, 2, 3]}])
        self.assertEqual(st, 202, body)

    def reject(self, body, status, code, message_prefix=None, index=None, ctype="application/json"):
        st, hdr, resp = self.srv.request("POST", f"/api/v1/models/{self.model}/events", body,
                                         ctype=ctype)
        self.assertEqual(st, status, resp)
        self.assertEqual(resp["error"]["code"], code, resp)
        if message_prefix:
            self.assertTrue(resp["error"]["message"].startswith(message_prefix), resp)
        if index is not None:
            self.assertEqual(resp["error"].get("index"), index, resp)
        self.assertIn("X-Request-Id", hdr)
        self.assertEqual(self.srv.count(self.model), 1, "a rejected request stored something")

    def bad_event(self, ev, prefix):
        good = {"prediction": "ok"}
        self.reject({"events": [good, good, good, ev, good]}, 400, "invalid_event",
                    "events[3]" + prefix, index=3)

    def test_invalid_json(self):
        self.reject('{"events": [', 400, "invalid_json")
        self.reject('{"events": [{"confidence": NaN}]}', 400, "invalid_json")
        self.reject('{"events": [{"confidence": Infinity}]}', 400, "invalid_json")
        self.reject('{"prediction": 1}\n{broken\n', 400, "invalid_json", index=1,
                    ctype="application/x-ndjson")

    def test_one_value_a_body(self):
        """Two batches in one body, or two events on one NDJSON line, are refused whole:
        cJSON alone would store the first and drop the rest after answering 202."""
        one = '{"events": [{"id": "x1", "prediction": "a"}]}'
        self.reject(one + one.replace("x1", "x2"), 400, "invalid_json",
                    "body: not valid JSON (more after the first value, at byte 45)")
        self.reject(one + " trailing", 400, "invalid_json")
        self.reject('{"prediction": 1}\n{"prediction": 2} {"prediction": 3}\n', 400,
                    "invalid_json", "events[1] (line 2): not valid JSON (more after", index=1,
                    ctype="application/x-ndjson")
        st, _, resp = self.srv.request("PUT", f"/api/v1/models/{self.model}/settings",
                                       '{"alpha": 0.01} {"alpha": 0.2}')
        self.assertEqual((st, resp["error"]["code"]), (400, "invalid_json"), resp)
        # whitespace after the value is fine
        st, _, resp = self.srv.request("POST", f"/api/v1/models/{self.model}/events",
                                       one + " \r\n\t\n")
        self.assertEqual((st, resp), (202, {"accepted": 1, "duplicates": 0}))

    def test_unknown_query_parameter(self):
        """A typo in the query is refused, naming it, and nothing is stored."""
        for method, path, body in [
                ("POST", f"/api/v1/models/{self.model}/events?versoin=v2",
                 {"events": [{"prediction": "x"}]}),
                ("POST", f"/api/v1/models/{self.model}/labels?x=1", {"labels": []}),
                ("GET", f"/api/v1/models/{self.model}/settings?window=1h", None),
                ("PUT", f"/api/v1/models/{self.model}/settings?dry_run=1", {"alpha": 0.01}),
                ("GET", f"/api/v1/models/{self.model}/versions/default/reference?v=1", None),
                ("PUT", f"/api/v1/models/{self.model}/versions/default/reference?a=b",
                 {"events": [{"prediction": "x"}]})]:
            st, _, resp = self.srv.request(method, path, body)
            self.assertEqual(st, 400, (path, resp))
            self.assertEqual(resp["error"]["code"], "invalid_request")
            name = path.split("?")[1].split("=")[0]
            self.assertEqual(resp["error"]["message"],
                             f"unknown query parameter '{name}' (this endpoint takes none)")
        self.assertEqual(self.srv.count(self.model), 1)
        st, _, s = self.srv.request("GET", f"/api/v1/models/{self.model}/settings")
        self.assertNotEqual(s["alpha"], 0.01)

    def test_invalid_body(self):
        self.reject([1, 2], 400, "invalid_body")
        self.reject({"events": {}}, 400, "invalid_body")
        self.reject({"evnts": []}, 400, "invalid_body")
        self.reject({}, 400, "invalid_body")

    def test_invalid_event_fields(self):
        cases = [
            ({"confidence": 1.5}, ".confidence"), ({"confidence": -0.1}, ".confidence"),
            ({"confidence": "0.5"}, ".confidence"), ({"prediction": [1.5]}, ".prediction"),
            ({"prediction": True}, ".prediction"), ({"prediction": 1, "latency_ms": -1}, ".latency_ms"),
            ({"prediction": 1, "probabilities": [0.5, 1.2]}, ".probabilities[1]"),
            ({"embedding": [1, "x", 3]}, ".embedding[1]"), ({"embedding": [1, 1e300, 3]}, ".embedding[1]"),
            ({"embedding_b64": "!!!!"}, ".embedding_b64"), ({"embedding_b64": "AAA="}, ".embedding_b64"),
            ({"embedding": [1, 2, 3], "embedding_b64": b64([1, 2, 3])}, ".embedding_b64"),
            ({"prediction": 1, "colour": "red"}, ".colour"), ({"latency_ms": 4}, ": needs at least one"),
            ({"prediction": 1, "version": "a b"}, ".version"), ({"prediction": 1, "id": "x" * 129}, ".id"),
            ({"prediction": 1, "ts": "yesterday"}, ".ts"), ({"features": {"a": [1]}}, ".features.a"),
            ({"features": {}}, ".features"), ({"prediction": 1, "label": None}, ".label"),
        ]
        for ev, prefix in cases:
            with self.subTest(ev=ev):
                self.bad_event(ev, prefix)

    def test_nan_in_b64_rejected(self):
        self.bad_event({"embedding_b64": b64([1.0, float("nan"), 2.0])}, ".embedding_b64[1]")

    def test_dimension_conflict(self):
        self.reject({"events": [{"prediction": "x"}, {"embedding": [1, 2]}]}, 409, "conflict",
                    "events[1].embedding", index=1)
        self.reject({"events": [{"embedding_b64": b64([1, 2, 3, 4])}]}, 409, "conflict")
        self.reject({"events": [{"embedding": [1, 2, 3]}, {"embedding": [1, 2]}]}, 409, "conflict",
                    index=1)

    def test_media_type(self):
        self.reject('{"events": []}', 415, "unsupported_media_type", ctype="text/plain")
        self.reject('{"events": []}', 415, "unsupported_media_type", ctype=None)

    def test_paths(self):
        self.assertEqual(self.srv.error_of("GET", "/api/v1/models/nope"), (404, "not_found"))
        self.assertEqual(self.srv.error_of("GET", "/api/v1/nothing"), (404, "not_found"))
        self.assertEqual(self.srv.error_of("DELETE", "/api/v1/models"),
                         (405, "method_not_allowed"))
        self.assertEqual(self.srv.error_of("POST", "/api/v1/models/bad%20name/events",
                                           {"events": []}), (400, "invalid_query"))


class Ingest(ServerTest):
    def test_batch_duplicates_and_ids(self):
        evs = [{"id": f"e{i}", "prediction": "cat", "confidence": 0.5} for i in range(10)]
        st, _, body = self.srv.post_events("dup", evs)
        self.assertEqual((st, body), (202, {"accepted": 10, "duplicates": 0}))
        st, _, body = self.srv.post_events("dup", evs)
        self.assertEqual(body, {"accepted": 0, "duplicates": 10})
        st, _, body = self.srv.post_events("dup", evs[:3] + [{"id": "new", "prediction": 1},
                                                            {"prediction": 2}, {"prediction": 2}])
        self.assertEqual(body, {"accepted": 3, "duplicates": 3})
        self.assertEqual(self.srv.count("dup"), 13)

    def test_ndjson_and_embeddings(self):
        lines = "\n".join(json.dumps(e) for e in [
            {"embedding": [0.5, -1, 2], "prediction": 7, "label": 3},
            {"embedding_b64": b64([1.5, 2.5, 3.5]), "version": "v2", "ts": "2026-11-22T10:00:00Z"},
        ]) + "\n\n"
        st, _, body = self.srv.request("POST", "/api/v1/models/emb/events", lines,
                                       ctype="application/x-ndjson")
        self.assertEqual((st, body), (202, {"accepted": 2, "duplicates": 0}))
        st, _, m = self.srv.request("GET", "/api/v1/models/emb")
        self.assertEqual(m["embedding_dim"], 3)
        self.assertEqual(m["events"], 2)
        versions = {v["name"]: v for v in m["versions"]}
        self.assertEqual(set(versions), {"default", "v2"})
        self.assertEqual(versions["v2"]["first_event"], "2026-11-22T10:00:00.000Z")
        self.assertEqual(versions["v2"]["events"], 1)
        st, _, lst = self.srv.request("GET", "/api/v1/models")
        self.assertIn("emb", [x["name"] for x in lst["models"]])

    def test_epoch_ms_and_labels(self):
        st, _, _ = self.srv.post_events("lab", [{"id": "a", "prediction": "cat", "ts": 1795341600123},
                                               {"id": "b", "prediction": "dog"}])
        self.assertEqual(st, 202)
        st, _, m = self.srv.request("GET", "/api/v1/models/lab")
        self.assertEqual(m["versions"][0]["first_event"], "2026-11-22T10:00:00.123Z")
        st, _, body = self.srv.request("POST", "/api/v1/models/lab/labels",
                                       {"labels": [{"id": "a", "label": "cat"}, {"id": "zz", "label": 1}]})
        self.assertEqual((st, body), (200, {"updated": 1, "unknown": 1, "unknown_ids": ["zz"]}))
        self.assertEqual(self.srv.error_of("POST", "/api/v1/models/nolab/labels",
                                           {"labels": [{"id": "a", "label": "cat"}]}),
                         (404, "not_found"))
        self.assertEqual(self.srv.error_of("POST", "/api/v1/models/lab/labels",
                                           {"labels": [{"id": "a"}]}),
                         (400, "invalid_body"))

    def test_health(self):
        self.assertEqual(self.srv.request("GET", "/healthz")[0], 200)
        self.assertEqual(self.srv.request("GET", "/readyz")[0], 200)


class BodyLimit(ServerTest):
    SERVER_ARGS = ("--body-limit", "65536")

    def test_413(self):
        big = {"events": [{"prediction": "x" * 200, "id": str(i)} for i in range(400)]}
        self.assertEqual(self.srv.error_of("POST", "/api/v1/models/big/events", big),
                         (413, "payload_too_large"))
        self.assertEqual(self.srv.count("big"), 0)
        # chunked transfer: no Content-Length, the limit still holds
        c = self.srv.conn()
        c.putrequest("POST", "/api/v1/models/big/events")
        c.putheader("Content-Type", "application/json")
        c.putheader("Transfer-Encoding", "chunked")
        c.endheaders()
        data = json.dumps(big).encode()
        try:
            for i in range(0, len(data), 8192):
                chunk = data[i:i + 8192]
                c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            c.send(b"0\r\n\r\n")
        except OSError:
            pass
        r = c.getresponse()
        self.assertEqual(r.status, 413)
        c.close()
        st, _, body = self.srv.post_events("big", [{"prediction": "small"}])
        self.assertEqual(st, 202)


class Auth(ServerTest):
    ROUTES = [("POST", "/api/v1/models/auth/events", {"events": [{"prediction": "a"}]}, "ingest"),
              ("POST", "/api/v1/models/auth/labels", {"labels": [{"id": "a", "label": "b"}]}, "ingest"),
              ("GET", "/api/v1/models", None, "read"), ("GET", "/api/v1/models/auth", None, "read"),
              ("GET", "/api/v1/models/auth/drift?window=last:10", None, "read"),
              ("GET", "/metrics", None, "read"),
              ("PUT", "/api/v1/models/auth/versions/default/reference", {"events": [{"prediction": "a"}]}, "admin"),
              ("GET", "/api/v1/models/auth/versions/default/reference", None, "read")]

    def test_roles(self):
        # open mode first: loopback and no key
        st, _, _ = self.srv.post_events("auth", [{"id": "a", "prediction": "a"}])
        self.assertEqual(st, 202)
        keys = {}
        for role in ("ingest", "read", "admin"):
            rc, key, err = self.srv.keys("create", "--role", role)
            self.assertEqual(rc, 0, err)
            self.assertTrue(key.startswith("dd_") and len(key) == 43, key)
            keys[role] = key
        time.sleep(1.3)  # the server reloads keys every second
        for method, path, body, need in self.ROUTES:
            with self.subTest(path=path, method=method):
                self.assertEqual(self.srv.error_of(method, path, body), (401, "unauthorized"))
                st, _, b = self.srv.request(method, path, body, key="dd_" + "0" * 40)
                self.assertEqual(st, 401)
                for role, key in keys.items():
                    st, _, b = self.srv.request(method, path, body, key=key)
                    allowed = role == "admin" or role == need
                    if allowed:
                        self.assertLess(st, 400, (role, b))
                    else:
                        self.assertEqual((st, b["error"]["code"]), (403, "forbidden"), role)
        self.assertEqual(self.srv.request("GET", "/healthz")[0], 200)
        self.assertEqual(self.srv.request("GET", "/readyz")[0], 200)
        rc, listing, _ = self.srv.keys("list")
        self.assertEqual(rc, 0)
        key_id = [l.split()[0] for l in listing.splitlines() if " read " in l][0]
        rc, _, _ = self.srv.keys("revoke", key_id)
        self.assertEqual(rc, 0)
        time.sleep(1.3)
        self.assertEqual(self.srv.request("GET", "/api/v1/models", key=keys["read"])[0], 401)
        self.assertEqual(self.srv.keys("revoke", key_id)[0], 1)
        self.assertEqual(self.srv.keys("create", "--role", "boss")[0], 2)


class Startup(unittest.TestCase):
    def run_driftd(self, *args, env=None, timeout=10):
        return subprocess.run([dd_harness.DRIFTD, *args], capture_output=True, text=True,
                              timeout=timeout, env=dict(os.environ, **(env or {})))

    def test_non_loopback_needs_key_or_insecure(self):
        s = Server()
        r = self.run_driftd("serve", "--listen", f"0.0.0.0:{s.port}", "--db", s.db)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--insecure", r.stderr)
        s.args = ["--insecure"]
        s.start(wait=False)
        self.addCleanup(s.cleanup)
        time.sleep(0.8)
        self.assertIsNone(s.proc.poll(), s.logs())
        s.cleanup()

    def test_config_env_flags(self):
        import tempfile
        s = Server()
        cfg_dir = tempfile.mkdtemp(prefix="driftd-cfg-")
        self.addCleanup(shutil.rmtree, cfg_dir, True)
        cfg = os.path.join(cfg_dir, "driftd.json")
        with open(cfg, "w") as f:
            json.dump({"body_limit": "2KiB", "threads": 4}, f)
        s.args = ["--config", cfg]
        s.start()
        big = {"events": [{"prediction": "x" * 100} for _ in range(40)]}
        self.assertEqual(s.request("POST", "/api/v1/models/c/events", big)[0], 413)
        s.cleanup()
        s = Server("--config", cfg, env={"DRIFTD_BODY_LIMIT": "1MiB"}).start()
        self.assertEqual(s.request("POST", "/api/v1/models/c/events", big)[0], 202)
        s.cleanup()
        s = Server("--config", cfg, "--body-limit", "2KiB", env={"DRIFTD_BODY_LIMIT": "1MiB"}).start()
        self.assertEqual(s.request("POST", "/api/v1/models/c/events", big)[0], 413)
        s.cleanup()
        r = self.run_driftd("serve", "--threads", "lots")
        self.assertEqual(r.returncode, 2)
        self.assertIn("threads", r.stderr)
        r = self.run_driftd("serve", "--db", "/tmp/x.db", env={"DRIFTD_SYNCHRONOUS": "sometimes"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("DRIFTD_SYNCHRONOUS", r.stderr)
        self.assertEqual(self.run_driftd("frobnicate").returncode, 2)
        self.assertEqual(self.run_driftd("help").returncode, 0)

    def test_newer_schema_refused(self):
        s = Server().start()
        s.stop()
        import sqlite3
        db = sqlite3.connect(s.db)
        db.execute("INSERT INTO schema_migrations VALUES (999, 0)")
        db.commit()
        db.close()
        r = self.run_driftd("serve", "--db", s.db, "--listen", f"127.0.0.1:{s.port}")
        self.assertEqual(r.returncode, 1)
        self.assertIn("newer", r.stderr)
        s.cleanup()


if __name__ == "__main__":
    dd_harness.main()
