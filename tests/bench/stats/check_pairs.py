#!/usr/bin/python3
"""Paired `driftd check` timings of two binaries on the stats bench's inputs.

    /usr/bin/python3 tests/bench/stats/check_pairs.py BEFORE_DRIFTD AFTER_DRIFTD DATA [ROUNDS]

DATA is a folder bench_stats.py generated (e.g. build-bench/stats-data).  Runs
the same `driftd check` commands as bench_stats.py (cases ks, chi2, embed, mmd;
variants null and shift), before and after in turn, the first side alternating
per round (default 3 rounds), and prints the median wall time per side and
their ratio, plus whether both printed the same report.  The SciPy side of
bench_stats.py takes ~3 minutes a run; this takes ~1 minute a round.
"""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_stats import CASES, VARIANTS, run_driftd  # noqa: E402

before, after, data = sys.argv[1:4]
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
env = dict(os.environ, OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", str(os.cpu_count())))
times = {}
same = {}
for r in range(rounds):
    for case, (prefix, methods, title) in CASES.items():
        for v in VARIANTS:
            ref = os.path.join(data, f"{prefix}_ref.ndjson")
            cur = os.path.join(data, f"{prefix}_cur_{v}.ndjson")
            sides = [("before", before), ("after", after)]
            if r % 2:
                sides.reverse()
            out = {}
            for side, binary in sides:
                _, p, dt = run_driftd(binary, ref, cur, methods, env)
                times.setdefault((case, v, side), []).append(dt)
                out[side] = p.stdout
            same[(case, v)] = same.get((case, v), True) and out["before"] == out["after"]
    print(f"round {r + 1} done", file=sys.stderr)
print(f"{'case':14s} {'before s':>9s} {'after s':>9s} {'after/before':>13s}  same report"
      f"   (median of {rounds} rounds, alternating)")
for case in CASES:
    for v in VARIANTS:
        b = statistics.median(times[(case, v, "before")])
        a = statistics.median(times[(case, v, "after")])
        rng = lambda s: "%.2f-%.2f" % (min(times[(case, v, s)]), max(times[(case, v, s)]))
        print(f"{case + ' ' + v:14s} {b:9.3f} {a:9.3f} {a / b:13.3f}  {'yes' if same[(case, v)] else 'NO'}"
              f"   (before {rng('before')}, after {rng('after')})")
