"""put_time.py — reference PUT time of two driftd binaries, paired in one run
(issue #14: a PUT within +50% of the time before the calibrated verdict).

Starts each binary once (`driftd serve`, fresh database, loopback port) and
PUTs the same reference body N times to each, alternating A, B, A, B ... so
that the machine's load falls on both alike; prints the median and quartiles
of each and the ratio of medians.  Every PUT uses a new version, so each one
prepares (and, before the background calibration, calibrates) a reference.

  python3 tests/bench/calibration/put_time.py OLD_DRIFTD NEW_DRIFTD [--events 1000] [--n 15]
"""
import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

os.environ.setdefault("DRIFTD_BIN", "driftd")  # dd_harness would take argv[1]
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "integration"))
import dd_harness  # noqa: E402


def body(n, seed=1):
    rnd = random.Random(seed)
    evs = []
    for _ in range(n):
        z = rnd.gauss(0, 1)
        p = [max(1e-3, rnd.random() + 0.5 * z), rnd.random(), rnd.random()]
        s = sum(p)
        p = [x / s for x in p]
        evs.append({"prediction": ["a", "b", "c"][p.index(max(p))], "confidence": max(p),
                    "probabilities": p,
                    "features": {"age": 40 + 10 * z + rnd.gauss(0, 5), "income": rnd.lognormvariate(0, 1),
                                 "city": rnd.choice(["x", "y", "z", "w"])},
                    "embedding": [z + rnd.gauss(0, 1) for _ in range(16)]})
    return json.dumps({"events": evs})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--n", type=int, default=15)
    a = ap.parse_args()
    data = body(a.events)
    servers, times = [], {}
    try:
        for b in (a.old, a.new):
            dd_harness.DRIFTD = b
            servers.append(dd_harness.Server().start())
            times[b] = []
        for i in range(a.n):
            for b, srv in zip((a.old, a.new), servers):
                t0 = time.perf_counter()
                st, _, resp = srv.request("PUT", f"/api/v1/models/m/versions/v{i}/reference", data)
                times[b].append(time.perf_counter() - t0)
                if st != 200:
                    raise SystemExit(f"{b}: PUT answered {st}: {resp}")
    finally:
        for s in servers:
            s.cleanup()
    med = {}
    for b in (a.old, a.new):
        q = statistics.quantiles(times[b], n=4)
        med[b] = statistics.median(times[b])
        print(f"{b}: {a.n} PUTs of {a.events} events: median {med[b]*1000:.0f} ms"
              f" (quartiles {q[0]*1000:.0f}-{q[2]*1000:.0f} ms)")
    r = med[a.new] / med[a.old]
    print(f"new/old median: {r:.2f} ({'PASS' if r <= 1.5 else 'MISS'}: target <= 1.50)")


if __name__ == "__main__":
    main()
