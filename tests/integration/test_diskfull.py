"""Disk full: the database on a small tmpfs, filled up.  Writes are refused with
503 storage_full and Retry-After (nothing of a refused batch stored), /readyz
answers 503 and the metric says so; once space is freed, readiness comes back by
itself (no client writes), retried batches are stored once, and the stored count
equals what was acknowledged, also after a restart.

Needs root to mount the tmpfs: without it the test fails, unless
DRIFTD_TEST_NO_MOUNT=1 (then it is skipped)."""
import base64
import os
import random
import re
import shutil
import struct
import subprocess
import tempfile
import time
import unittest

import dd_harness
from dd_harness import Server

MiB = 1 << 20
TMPFS_MB = 64
WARM_BYTES = 20 * MiB   # past the 16 MiB WAL that wakes the checkpointer
LEAVE_BYTES = 2 * MiB   # room left beside the filler
DIM = 768
BATCH = 200             # ~600 KiB stored per batch
MODEL = "full"


def emb_b64(rng):
    return base64.b64encode(struct.pack(f"<{DIM}f", *(rng.random() for _ in range(DIM)))).decode()


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def metric(text, name):
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


class DiskFull(unittest.TestCase):
    def setUp(self):
        if os.environ.get("DRIFTD_TEST_NO_MOUNT") == "1":
            self.skipTest("DRIFTD_TEST_NO_MOUNT=1: no tmpfs mount")
        self.mnt = tempfile.mkdtemp(prefix="driftd-full-")
        self.logdir = tempfile.mkdtemp(prefix="driftd-full-log-")
        self.mounted = False
        try:
            r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m", "tmpfs",
                                self.mnt], capture_output=True, text=True)
            why = (r.stderr or r.stdout).strip() if r.returncode != 0 else None
        except OSError as e:
            why = str(e)
        if why is not None:
            self.tearDown()
            self.fail(f"cannot mount a {TMPFS_MB} MiB tmpfs on {self.mnt}: {why} (this test "
                      "runs as root; set DRIFTD_TEST_NO_MOUNT=1 to skip it where mounting is "
                      "impossible)")
        self.mounted = True
        self.srv = None

    def tearDown(self):
        if getattr(self, "srv", None):
            self.srv.stop()
        if self.mounted:
            r = subprocess.run(["umount", self.mnt], capture_output=True, text=True)
            if r.returncode != 0:
                subprocess.run(["umount", "-l", self.mnt], capture_output=True)
            self.mounted = False
        shutil.rmtree(self.mnt, ignore_errors=True)
        shutil.rmtree(self.logdir, ignore_errors=True)

    def start(self):
        srv = Server("--eval-interval", "1h", db_dir=self.mnt)
        srv.log_path = os.path.join(self.logdir, "driftd.log")  # not on the full disk
        self.srv = srv.start()
        return srv

    def post(self, batch, conn=None):
        return self.srv.request("POST", f"/api/v1/models/{MODEL}/events", {"events": batch},
                                conn=conn)

    def test_disk_full(self):
        t0 = time.monotonic()
        rng = random.Random(7)
        srv = self.start()
        acked = set()   # ids answered 202
        seq = [0]

        def batch():
            seq[0] += 1
            return [{"id": f"b{seq[0]}-{i}", "prediction": "cat", "confidence": 0.5,
                     "embedding_b64": emb_b64(rng)} for i in range(BATCH)]

        conn = srv.conn()
        # warm up: enough for the checkpointer to copy pages into the main file
        warm = 0
        while warm < WARM_BYTES:
            b = batch()
            st, _, body = self.post(b, conn)
            self.assertEqual(st, 202, body)
            acked.update(e["id"] for e in b)
            warm += BATCH * DIM * 4

        filler = os.path.join(self.mnt, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * max(0, free_bytes(self.mnt) - LEAVE_BYTES))
            f.flush()
            os.fsync(f.fileno())

        # fill until refused
        refused = []
        for _ in range(200):
            b = batch()
            st, hdrs, body = self.post(b, conn)
            if st == 202:
                acked.update(e["id"] for e in b)
                continue
            self.assertEqual(st, 503, body)
            refused.append(b)
            break
        self.assertTrue(refused, "the disk never filled up")
        self.assertEqual(body["error"]["code"], "storage_full", body)
        self.assertIn("full", body["error"]["message"])
        self.assertEqual(hdrs.get("Retry-After"), "10")
        # nothing of the refused batch was stored
        self.assertEqual(srv.count(MODEL), len(acked))

        st, _, text = srv.request("GET", "/readyz")
        self.assertEqual(st, 503)
        self.assertIn("storage full", text)
        st, _, text = srv.request("GET", "/metrics")
        self.assertEqual(metric(text, "driftd_storage_full"), 1)
        self.assertGreaterEqual(metric(text, "driftd_storage_full_refused_total"), 1)
        self.assertGreaterEqual(
            metric(text, 'driftd_ingest_requests_rejected_total{code="storage_full"}'), 1)

        # more refusals: all storage_full, one log line for the whole episode
        for _ in range(3):
            b = batch()
            st, hdrs, body = self.post(b, conn)
            if st == 202:  # a batch that fits in what the WAL already holds
                acked.update(e["id"] for e in b)
                continue
            self.assertEqual((st, body["error"]["code"]), (503, "storage_full"), body)
            self.assertIn("Retry-After", hdrs)
            refused.append(b)
        # a reference bigger than any batch cannot fit either
        ref = [{"confidence": 0.5, "embedding_b64": emb_b64(rng)} for _ in range(3 * BATCH)]
        st, hdrs, body = srv.request("PUT", f"/api/v1/models/{MODEL}/versions/default/reference",
                                     {"events": ref})
        self.assertEqual((st, body["error"]["code"]), (503, "storage_full"), body)
        self.assertEqual(hdrs.get("Retry-After"), "10")
        st, _, _ = srv.request("GET", "/readyz")
        self.assertEqual(st, 503)
        logs = read(srv.log_path)
        self.assertEqual(logs.count('msg="storage full"'), 1, logs[-3000:])
        self.assertIn(f'db="{srv.db}"', logs)
        self.assertNotIn('msg="storage writable again"', logs)

        # free the space: readiness comes back without any client write
        os.unlink(filler)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if srv.request("GET", "/readyz")[0] == 200:
                break
            time.sleep(0.2)
        else:
            self.fail("/readyz did not return to 200 within 10 s of freeing space:\n"
                      + srv.logs())
        st, _, text = srv.request("GET", "/metrics")
        self.assertEqual(metric(text, "driftd_storage_full"), 0)
        logs = read(srv.log_path)
        self.assertEqual(logs.count('msg="storage writable again"'), 1)

        # clients retry: every refused batch is stored once, then more traffic
        for b in refused:
            st, _, body = self.post(b, conn)
            self.assertEqual(st, 202, body)
            self.assertEqual(body["accepted"] + body["duplicates"], BATCH)
            acked.update(e["id"] for e in b)
        for _ in range(3):
            b = batch()
            st, _, body = self.post(b, conn)
            self.assertEqual(st, 202, body)
            acked.update(e["id"] for e in b)
        conn.close()
        self.assertEqual(srv.count(MODEL), len(acked))
        st, hdrs, body = srv.request("PUT", f"/api/v1/models/{MODEL}/versions/default/reference",
                                     {"events": ref})
        self.assertEqual(st, 200, body)

        # and after a restart
        self.assertEqual(srv.stop(), 0, srv.logs())
        self.srv = None
        srv = self.start()
        self.assertEqual(srv.count(MODEL), len(acked))
        self.assertEqual(srv.request("GET", "/readyz")[0], 200)
        self.assertEqual(srv.stop(), 0, srv.logs())
        self.srv = None
        logs = read(srv.log_path)
        self.assertNotIn("AddressSanitizer", logs)
        self.assertNotIn("runtime error", logs)
        for line in logs.splitlines():
            if "storage" in line or "checkpoint" in line or "level=error" in line:
                print(line)
        print(f"{len(acked)} events acknowledged and stored, {len(refused)} batches refused "
              f"while full; {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    dd_harness.main()
