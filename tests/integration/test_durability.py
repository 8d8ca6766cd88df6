"""Durability: SIGKILL during concurrent ingest never loses an acknowledged
event; SIGTERM answers in-flight requests and commits them; a full queue answers
503 overloaded with Retry-After and loses nothing it acknowledged."""
import random
import threading
import time
import unittest

import dd_harness
from dd_harness import Server

BATCH = 200


def client(srv, model, prefix, acked, stop, errors):
    conn = None
    n = 0
    while not stop.is_set():
        batch = [{"id": f"{prefix}-{n}-{i}", "prediction": "cat", "confidence": random.random(),
                  "features": {"x": i}} for i in range(BATCH)]
        n += 1
        try:
            conn = conn or srv.conn()
            st, hdrs, body = srv.request("POST", f"/api/v1/models/{model}/events",
                                         {"events": batch}, conn=conn)
        except (OSError, Exception):  # the server died under us: this batch is unacknowledged
            conn = None
            if stop.is_set() or srv.proc.poll() is not None:
                return
            time.sleep(0.01)
            continue
        if st == 202 and "Content-Length" not in hdrs:
            # The kill cut the answer inside its head: http.client takes the
            # lines it got for a whole head.  Not an acknowledgement.
            conn = None
            continue
        if st == 202:
            if body != {"accepted": BATCH, "duplicates": 0}:
                errors.append(body)
            acked.append(batch)
        elif st != 503:
            errors.append((st, body))
    if conn:
        conn.close()


def run_clients(srv, model, n, acked, errors, seconds=None):
    stop = threading.Event()
    threads = [threading.Thread(target=client, args=(srv, model, f"c{k}-{random.random()}", acked,
                                                     stop, errors)) for k in range(n)]
    for t in threads:
        t.start()
    return stop, threads


class Durability(unittest.TestCase):
    def verify(self, srv, model, acked):
        for batch in acked:
            st, _, body = srv.post_events(model, batch)
            self.assertEqual(st, 202)
            self.assertEqual(body, {"accepted": 0, "duplicates": BATCH},
                             "an acknowledged batch was not stored whole")
        self.assertGreaterEqual(srv.count(model), BATCH * len(acked))

    def test_kill9_loses_no_acknowledged_event(self):
        srv = Server()
        self.addCleanup(srv.cleanup)
        total = 0
        for rnd in range(5):
            srv.start()
            acked, errors = [], []
            stop, threads = run_clients(srv, "crash", 4, acked, errors)
            deadline = time.time() + 20  # under sanitizers and load the first commit can be slow
            while not acked and time.time() < deadline:
                time.sleep(0.02)
            time.sleep(random.uniform(0.1, 1.0))
            srv.kill9()
            stop.set()
            for t in threads:
                t.join(30)
            self.assertEqual(errors, [])
            self.assertGreater(len(acked), 0, "no batch was acknowledged before the kill")
            srv.start()
            self.verify(srv, "crash", acked)
            total += len(acked)
            srv.stop()
        print(f"{total} acknowledged batches survived 5 SIGKILLs")

    def test_sigterm_answers_and_commits_in_flight(self):
        srv = Server().start()
        self.addCleanup(srv.cleanup)
        acked, errors = [], []
        stop, threads = run_clients(srv, "term", 4, acked, errors)
        deadline = time.time() + 20
        while not acked and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        code = srv.stop()  # SIGTERM while clients post
        stop.set()
        for t in threads:
            t.join(30)
        self.assertEqual(code, 0, srv.logs())
        self.assertEqual(errors, [])
        self.assertIn('msg="stopped"', srv.logs())
        srv.start()
        self.verify(srv, "term", acked)

    def test_overload_answers_503_and_keeps_acknowledged(self):
        srv = Server("--queue-max-jobs", "1").start()
        self.addCleanup(srv.cleanup)
        results = []
        lock = threading.Lock()

        def hammer(k):
            conn = srv.conn()
            for n in range(15):
                batch = [{"id": f"o{k}-{n}-{i}", "prediction": "x" * 50, "features": {"a": i}}
                         for i in range(2000)]
                st, hdr, body = srv.request("POST", "/api/v1/models/over/events",
                                            {"events": batch}, conn=conn)
                with lock:
                    results.append((st, hdr, body, batch))
            conn.close()

        threads = [threading.Thread(target=hammer, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        overloaded = 0
        for st, hdr, body, batch in results:
            self.assertIn(st, (202, 503), body)
            if st == 503:
                overloaded += 1
                self.assertEqual(body["error"]["code"], "overloaded")
                self.assertGreaterEqual(int(hdr["Retry-After"]), 1)
        acked = [b for st, _, _, b in results if st == 202]
        ids = {e["id"] for b in acked for e in b}
        self.assertEqual(srv.count("over"), len(ids))
        print(f"{len(acked)} accepted, {overloaded} answered 503 overloaded")


if __name__ == "__main__":
    dd_harness.main()
