"""GET /api/v1/models/{model}/events: the stored events as NDJSON in the ingest
format (docs/api.md "Exporting events").

- Round trip: events of every kind, posted, labelled, exported, posted to a
  fresh server and exported again give the same bytes.
- Filters (version, from <= ts < to) and the (ts, id) order, across versions.
- Streaming: chunked, keep-alive after a whole answer, a client that leaves
  mid-stream does not hold the server.
- Memory: 1,000,000 events exported with the server's resident memory growing
  by less than 50 MB (VmHWM, reset through /proc/PID/clear_refs before the export).
- Errors: unknown parameter, bad time, unknown model or version, 403 without
  the read role.
"""
import base64
import http.client
import json
import os
import random
import socket
import struct
import sys
import threading
import time
import unittest

import dd_harness
from dd_harness import Server, ServerTest

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in epoch ms


def export(srv, model, query="", conn=None):
    """(status, headers, raw body bytes)."""
    c = conn or srv.conn()
    try:
        c.request("GET", f"/api/v1/models/{model}/events{query}")
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        if conn is None:
            c.close()


def lines(body):
    return [json.loads(l) for l in body.decode("utf-8").splitlines()]


def post_ndjson(srv, model, text, conn=None):
    st, _, b = srv.request("POST", f"/api/v1/models/{model}/events", text,
                           ctype="application/x-ndjson", conn=conn)
    return st, b


def every_kind():
    """Events with every member and value kind the ingest format has."""
    rnd = random.Random(4)
    emb = [struct.pack("<4f", *[rnd.uniform(-3, 3) for _ in range(4)]) for _ in range(6)]
    return [
        {"id": "c-1", "version": "v1", "ts": T0, "prediction": "cat", "confidence": 0.93,
         "probabilities": [0.93, 0.05, 0.02], "features": {"age": 41, "country": "de"},
         "embedding_b64": base64.b64encode(emb[0]).decode(), "latency_ms": 12.5},
        # an integer class is stored as its text: it comes back as "3"
        {"id": "c-2", "version": "v1", "ts": T0 + 1, "prediction": 3, "confidence": 1,
         "embedding": list(struct.unpack("<4f", emb[1])), "features": {"x": -0.0}},
        # a regression's numbers, in the same millisecond as another event
        {"id": "r-1", "version": "v2", "ts": T0 + 1, "prediction": 2.5,
         "features": {"x": 0.1, "big": 1e300, "tiny": 5e-324, "neg": -17.25}},
        {"id": "r-2", "version": "v2", "ts": T0 + 2, "prediction": 1e20, "latency_ms": 0},
        {"id": "r-3", "version": "v2", "ts": T0 + 2, "prediction": 0.1 + 0.2},
        # missing values (JSON null) and strings that need escapes
        {"id": "m-1", "version": "v1", "ts": T0 + 3, "prediction": "dog",
         "features": {"age": None, "note": "a \"quoted\"\\ line\nbreak \u00e9\u4e2d\U0001F600",
                      "n": 7}},
        # no id: stored without one (and exported without one)
        {"version": "v1", "ts": T0 + 4, "confidence": 0.5,
         "probabilities": [1 / 3, 2 / 3], "embedding_b64": base64.b64encode(emb[2]).decode()},
        # a label sent with the event; others are joined later
        {"id": "l-1", "version": "v3", "ts": "2026-01-01T00:00:00.005+00:00",
         "prediction": "cat", "label": 7},
        {"id": "l-2", "version": "v3", "ts": T0 + 6, "prediction": "cat", "label": "dog"},
        {"id": "x-1", "version": "v1", "ts": T0 + 7, "prediction": "-0",
         "features": {"x": 1e-7, "y": 123456789012345680000.0, "z": -3}},
    ]


class Export(ServerTest):
    def test_round_trip(self):
        evs = every_kind()
        st, b = post_ndjson(self.srv, "rt", "\n".join(json.dumps(e) for e in evs))
        self.assertEqual((st, b), (202, {"accepted": len(evs), "duplicates": 0}))
        st, _, b = self.srv.request("POST", "/api/v1/models/rt/labels", {"labels": [
            {"id": "c-1", "label": "cat"}, {"id": "r-1", "label": 2.75},
            {"id": "m-1", "label": 0}, {"id": "nope", "label": "x"}]})
        self.assertEqual((st, b["updated"]), (200, 3))
        st, h, first = export(self.srv, "rt")
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "application/x-ndjson")
        self.assertEqual(h["transfer-encoding"], "chunked")
        self.assertNotIn("content-length", h)
        got = lines(first)
        self.assertEqual(len(got), len(evs))
        by_id = {e.get("id"): e for e in got}
        # what each kind came back as
        self.assertEqual(by_id["c-1"]["label"], "cat")
        self.assertEqual(by_id["c-1"]["ts"], "2026-01-01T00:00:00.000Z")
        self.assertEqual(by_id["c-1"]["embedding_b64"], evs[0]["embedding_b64"])
        self.assertEqual(by_id["c-1"]["probabilities"], [0.93, 0.05, 0.02])
        self.assertEqual(by_id["c-1"]["features"], {"age": 41, "country": "de"})
        self.assertEqual(by_id["c-1"]["latency_ms"], 12.5)
        self.assertEqual(by_id["c-2"]["prediction"], "3")
        self.assertEqual(base64.b64decode(by_id["c-2"]["embedding_b64"]),
                         struct.pack("<4f", *evs[1]["embedding"]))
        self.assertEqual(str(by_id["c-2"]["features"]["x"]), "-0.0")
        self.assertEqual(by_id["r-1"]["prediction"], 2.5)
        self.assertEqual(by_id["r-1"]["label"], "2.75")
        self.assertEqual(by_id["r-1"]["features"]["tiny"], 5e-324)
        self.assertEqual(by_id["r-2"]["prediction"], 1e20)
        self.assertEqual(by_id["r-3"]["prediction"], 0.1 + 0.2)
        self.assertEqual(by_id["m-1"]["features"]["age"], None)
        self.assertEqual(by_id["m-1"]["features"]["note"], evs[5]["features"]["note"])
        self.assertEqual(by_id["m-1"]["label"], "0")
        self.assertNotIn("id", by_id[None])
        self.assertEqual(by_id["l-1"]["label"], "7")
        self.assertEqual(by_id["x-1"]["prediction"], "-0")
        for e in got:
            self.assertEqual(set(e) - {"id", "version", "ts", "prediction", "confidence",
                                       "latency_ms", "label", "probabilities", "embedding_b64",
                                       "features"}, set())
        # the export, posted to a fresh server, is the same stored events
        other = Server()
        try:
            other.start()
            st, b = post_ndjson(other, "rt", first)
            self.assertEqual((st, b), (202, {"accepted": len(evs), "duplicates": 0}))
            st, _, second = export(other, "rt")
            self.assertEqual(st, 200)
            self.assertEqual(second, first)
            # and JSON bodies take the lines too
            st, _, _ = other.post_events("rt2", lines(first))
            self.assertEqual(st, 202)
            self.assertEqual(export(other, "rt2")[2], first)
        finally:
            other.stop()
            other.cleanup()

    def test_order_and_filters(self):
        rnd = random.Random(7)
        evs = []
        for i in range(3000):  # three pages and more, ts shuffled, many equal ts, 3 versions
            evs.append({"id": f"o-{i}", "version": f"v{i % 3}", "ts": T0 + rnd.randrange(500),
                        "prediction": rnd.choice(["a", "b"])})
        for k in range(0, len(evs), 1000):  # in three batches: ids grow with the batch
            self.assertEqual(self.srv.post_events("ord", evs[k:k + 1000])[0], 202)
        # one version holds 1,500 events of one millisecond: pages end inside it
        same = [{"id": f"s-{i}", "version": "v1", "ts": T0 + 250, "prediction": "s"}
                for i in range(1500)]
        self.assertEqual(self.srv.post_events("ord", same)[0], 202)
        stored_order = {e["id"]: n for n, e in enumerate(evs + same)}

        def key(e):
            return (e["ts"], stored_order[e["id"]])

        st, _, body = export(self.srv, "ord")
        got = lines(body)
        self.assertEqual(st, 200)
        self.assertEqual(len(got), len(evs) + len(same))
        want = sorted(evs + same, key=lambda e: (e["ts"], stored_order[e["id"]]))
        self.assertEqual([e["id"] for e in got], [e["id"] for e in want])
        self.assertEqual(len({e["id"] for e in got}), len(got))

        def ids(query):
            st, _, b = export(self.srv, "ord", query)
            self.assertEqual(st, 200, b)
            return [e["id"] for e in lines(b)]

        def expect(pred):
            return [e["id"] for e in want if pred(e)]

        self.assertEqual(ids("?version=v1"), expect(lambda e: e["version"] == "v1"))
        lo, hi = T0 + 100, T0 + 250
        self.assertEqual(ids(f"?from={lo}&to={hi}"), expect(lambda e: lo <= e["ts"] < hi))
        self.assertEqual(ids("?from=2026-01-01T00:00:00.250Z&version=v1"),
                         expect(lambda e: e["ts"] >= T0 + 250 and e["version"] == "v1"))
        self.assertEqual(ids("?to=2026-01-01T01:00:00%2B01:00"), [])  # = T0: nothing before
        self.assertEqual(ids(f"?from={hi}&to={hi}"), [])
        self.assertEqual(ids(f"?from={T0 + 499}"), expect(lambda e: e["ts"] >= T0 + 499))
        # a model without events in range, and one that has a version without
        st, _, b = export(self.srv, "ord", f"?from={T0 + 10_000}")
        self.assertEqual((st, b), (200, b""))

    def test_many_versions(self):
        # 120 versions: each reads 16 rows at a time, and the merge crosses them all
        rnd = random.Random(9)
        evs = [{"id": f"mv-{i}", "version": f"v{rnd.randrange(120)}", "ts": T0 + rnd.randrange(900),
                "confidence": 0.5} for i in range(6000)]
        for k in range(0, len(evs), 2000):
            self.assertEqual(self.srv.post_events("many", evs[k:k + 2000])[0], 202)
        order = {e["id"]: n for n, e in enumerate(evs)}
        st, _, body = export(self.srv, "many")
        got = [e["id"] for e in lines(body)]
        self.assertEqual(got, [e["id"] for e in sorted(evs, key=lambda e: (e["ts"], order[e["id"]]))])

    def test_stream_keep_alive_and_head(self):
        self.assertEqual(self.srv.post_events("ka", [{"id": "k", "ts": T0, "prediction": "a"}])[0],
                         202)
        c = self.srv.conn()
        try:
            for _ in range(3):  # one connection: the chunked answers end cleanly
                st, h, b = export(self.srv, "ka", conn=c)
                self.assertEqual((st, len(lines(b))), (200, 1))
                self.assertNotEqual(h.get("connection"), "close")
            c.request("HEAD", "/api/v1/models/ka/events")
            r = c.getresponse()
            self.assertEqual((r.status, r.read()), (200, b""))
            self.assertEqual(r.getheader("Content-Type"), "application/x-ndjson")
            self.assertEqual(self.srv.request("GET", "/healthz", conn=c)[0], 200)
        finally:
            c.close()

    def test_client_leaves_mid_stream(self):
        batch = "\n".join(json.dumps({"ts": T0 + i, "prediction": "p", "features": {
            "f": "x" * 200}}) for i in range(20000))
        for _ in range(5):  # 100,000 events, about 30 MB of NDJSON
            self.assertEqual(post_ndjson(self.srv, "leave", batch)[0], 202)
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", self.srv.port))
            s.sendall(b"GET /api/v1/models/leave/events HTTP/1.1\r\nHost: x\r\n\r\n")
            got = s.recv(65536)
            self.assertTrue(got.startswith(b"HTTP/1.1 200"), got[:100])
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()  # a reset: the server's next writes fail
        # the server stops each export promptly and answers the rest at once
        deadline = time.time() + 10
        while time.time() < deadline and self.srv.logs().count("export cut") < 3:
            time.sleep(0.05)
        self.assertEqual(self.srv.logs().count("export cut"), 3, self.srv.logs()[-2000:])
        t = time.time()
        self.assertEqual(self.srv.request("GET", "/api/v1/models/leave")[0], 200)
        self.assertLess(time.time() - t, 1.0)

    def test_errors(self):
        self.assertEqual(self.srv.post_events("err", [{"version": "v1", "prediction": "a"}])[0],
                         202)
        cases = [
            ("err", "?verison=v1", 400, "invalid_request", "verison"),
            ("err", "?version=v1&version=v2", 400, "invalid_request", "twice"),
            ("err", "?from=yesterday", 400, "invalid_query", "from"),
            ("err", "?to=1767225600", 400, "invalid_query", "to: 1767225600 looks like epoch "
                                                              "seconds"),
            ("err", f"?from={T0 + 1}&to={T0}", 400, "invalid_query", "from"),
            ("err", "?version=..", 400, "invalid_query", "version"),
            ("nope", "", 404, "not_found", "model 'nope' not found"),
            ("err", "?version=v9", 404, "not_found", "model 'err' has no version 'v9'"),
        ]
        for model, q, status, code, text in cases:
            with self.subTest(q=q, model=model):
                st, h, b = export(self.srv, model, q)
                err = json.loads(b)["error"]
                self.assertEqual((st, err["code"]), (status, code), err)
                self.assertIn(text, err["message"])
                self.assertTrue(h["content-type"].startswith("application/json"))


class ExportStop(unittest.TestCase):
    def test_stop_cuts_a_running_export(self):
        """SIGTERM during an export that a client reads slowly: the server stops
        within seconds, and the client sees a cut body (no last chunk)."""
        srv = Server()
        try:
            srv.start()
            batch = "\n".join(json.dumps({"ts": T0 + i, "prediction": "p", "features": {
                "f": "y" * 250}}) for i in range(20000))
            for _ in range(3):
                self.assertEqual(post_ndjson(srv, "stop", batch)[0], 202)
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"GET /api/v1/models/stop/events HTTP/1.1\r\nHost: x\r\n\r\n")
            got = []

            def read_slowly():  # about 1.3 MB/s: the 20 MB export takes 15 s
                s.settimeout(30)
                while True:
                    try:
                        chunk = s.recv(1 << 16)
                    except OSError:
                        break
                    if not chunk:
                        break
                    got.append(chunk)
                    time.sleep(0.05)

            reader = threading.Thread(target=read_slowly)
            reader.start()
            time.sleep(0.5)
            t = time.time()
            srv.proc.send_signal(15)
            self.assertEqual(srv.proc.wait(timeout=30), 0)
            stop_s = time.time() - t
            reader.join(60)
            s.close()
            body = b"".join(got)
            self.assertTrue(body.startswith(b"HTTP/1.1 200"), body[:100])
            self.assertLess(stop_s, 5)
            self.assertFalse(body.endswith(b"\r\n0\r\n\r\n"))  # cut: no last chunk
            self.assertNotIn("AddressSanitizer", srv.logs())
            self.assertIn("export cut", srv.logs())
        finally:
            srv.stop()
            srv.cleanup()


class ExportRoles(ServerTest):
    @classmethod
    def before_start(cls, srv):
        cls.keys = {}
        for role in ("ingest", "read", "admin"):
            rc, key, err = srv.keys("create", "--role", role)
            assert rc == 0, err
            cls.keys[role] = key

    def test_roles(self):
        st, _, _ = self.srv.post_events("r", [{"id": "a", "prediction": "a"}],
                                        key=self.keys["ingest"])
        self.assertEqual(st, 202)
        path = "/api/v1/models/r/events"
        self.assertEqual(self.srv.error_of("GET", path), (401, "unauthorized"))
        st, _, b = self.srv.request("GET", path, key=self.keys["ingest"])
        self.assertEqual((st, b["error"]["code"]), (403, "forbidden"))
        for role in ("read", "admin"):
            st, _, b = self.srv.request("GET", path, key=self.keys[role])
            self.assertEqual(st, 200, role)
            self.assertEqual(b["id"], "a")  # one line: the harness reads it as JSON


def sanitized():
    """True when the binary under test is an AddressSanitizer build."""
    with open(dd_harness.DRIFTD, "rb") as f:
        return b"__asan_init" in f.read()


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class ExportMemory(ServerTest):
    N = 1_000_000
    BATCH = 10_000

    def test_million_events_bounded_memory(self):
        pid = self.srv.proc.pid
        c = self.srv.conn()
        t = time.time()
        for k in range(0, self.N, self.BATCH):
            body = "".join('{"ts":%d,"prediction":"%s","confidence":0.%d}\n'
                           % (T0 + i, "ab"[i % 2], i % 10) for i in range(k, k + self.BATCH))
            st, b = post_ndjson(self.srv, "big", body, conn=c)
            self.assertEqual(st, 202, b)
        c.close()
        ingest_s = time.time() - t
        time.sleep(0.5)  # the writer's last commit, the checkpointer
        rss0, hwm0 = status_kib(pid, "VmRSS"), status_kib(pid, "VmHWM")
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        c = self.srv.conn()
        t = time.time()
        c.request("GET", "/api/v1/models/big/events")
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        n, size, tail, last_ts = 0, 0, b"", -1
        while True:
            chunk = r.read(1 << 16)
            if not chunk:
                break
            size += len(chunk)
            parts = (tail + chunk).split(b"\n")
            tail = parts.pop()
            n += len(parts)
            if parts:
                last_ts = json.loads(parts[-1])["ts"]
        export_s = time.time() - t
        c.close()
        hwm1, rss1 = status_kib(pid, "VmHWM"), status_kib(pid, "VmRSS")
        self.assertEqual((n, tail), (self.N, b""))
        self.assertEqual(last_ts, "2026-01-01T00:16:39.999Z")
        growth_mb = (hwm1 - rss0) / 1024
        print(f"\nexport memory: VmRSS before {rss0 / 1024:.1f} MB (VmHWM {hwm0 / 1024:.1f} MB "
              f"after ingest), VmHWM during the export {hwm1 / 1024:.1f} MB, VmRSS after "
              f"{rss1 / 1024:.1f} MB: growth {growth_mb:.1f} MB; "
              f"ingest {self.N / ingest_s:,.0f} events/s, export {self.N / export_s:,.0f} events/s "
              f"({size / export_s / 1e6:.0f} MB/s, {size / 1e6:.0f} MB)", file=sys.stderr)
        if sanitized():
            self.skipTest("AddressSanitizer keeps freed memory in quarantine (256 MB): RSS "
                          "measures nothing here")
        self.assertLess(growth_mb, 50)


if __name__ == "__main__":
    dd_harness.main()
