#!/usr/bin/python3
"""Power and calibration benchmark of driftd's verdict (issue #14, "How it is shown").

    /usr/bin/python3 tests/bench/verdict/run.py --driftd build-bench/driftd [--quick]

(or `bash tests/bench/verdict/run.sh [ARGS]`, which builds driftd in Release first).

For every trial it draws a reference and a current window, writes both as NDJSON
in driftd's ingest format, runs `driftd check --reference R --current C --format
json` (2 at a time) and reads the report; the SciPy side is computed on the same
arrays in the same run.  Verdict rules compared (see rules.py):

  driftd today     Holm over the report's test rows (from the rows' p-values)
  driftd reported  the report's own `drift` (whatever the binary decides; its
                   `correction` is shown)
  min-p oracle     min p against its own no-shift 5% quantile at that size (an
                   in-sample calibration: a ceiling, not a rule)
  ACAT             the Cauchy combination of the rows' p-values at alpha
  peers' bundle    KS per softmax output + chi2 on predictions + KS per PCA
                   component, Bonferroni inside each, any fires

Families: `wine` (a real model on a real data set, population.py) with no
shift and six shifts; `indep` and `corr09` (20 numeric features, independent
or equicorrelated at 0.9) with no shift only.  Targets (issue #14) for "driftd
reported": false alarms within [0.035, 0.060] at every size (every family);
mean power above both Holm's and the peers' bundle.  Exit status 0 when every
target is met, 2 when one is missed, 1 when a `driftd check` failed.

Parts and files: `--parts null,shift,synthetic` picks what runs; `--out FILE`
keeps every trial's result (p-values, decisions, times) and `--load F1 F2 ...`
prints the tables of such files merged (e.g. parts run apart, on one binary).
Seeds are fixed per (family, size, shift, trial), so a part is reproducible.
"""
import argparse
import concurrent.futures as cf
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

import population as pop  # noqa: E402
import rules  # noqa: E402

FA_LO, FA_HI = 0.035, 0.060   # issue #14's false-alarm target at alpha 0.05
# one BLAS thread per check: `--workers` checks already share the cores
CHECK_ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--driftd", default="build-bench/driftd", help="the driftd binary")
    ap.add_argument("--sizes", help="current window sizes (default 30,100,300,1000)")
    ap.add_argument("--ref-size", type=int, default=1000, help="reference rows per trial")
    ap.add_argument("--null", type=int, help="no-shift trials per size (wine; default 600)")
    ap.add_argument("--shift-trials", type=int, help="trials per shift and size (default 100)")
    ap.add_argument("--synthetic", type=int,
                    help="no-shift trials per size and synthetic family (default 600; 0: skip)")
    ap.add_argument("--quick", action="store_true",
                    help="development run: 120 no-shift, 40 per shift, 120 synthetic")
    ap.add_argument("--smoke", action="store_true",
                    help="seconds: sizes 30,100, 4 trials each, checks that it all runs")
    ap.add_argument("--workers", type=int, default=2, help="driftd check processes at once")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--out", default=None, help="write every trial's result here (JSON)")
    ap.add_argument("--parts", default="null,shift,synthetic",
                    help="what to run: null (wine, no shift), shift (wine shifts), synthetic")
    ap.add_argument("--load", nargs="+", default=None,
                    help="print the tables of the files --out wrote (merged) instead of running")
    a = ap.parse_args()
    defaults, sizes = (600, 100, 600), "30,100,300,1000"
    if a.quick:
        defaults = (120, 40, 120)
    if a.smoke:
        defaults, sizes, a.ref_size = (4, 2, 4), "30,100", 200
    # explicit counts win over --quick / --smoke
    a.null = defaults[0] if a.null is None else a.null
    a.shift_trials = defaults[1] if a.shift_trials is None else a.shift_trials
    a.synthetic = defaults[2] if a.synthetic is None else a.synthetic
    a.sizes = [int(s) for s in (a.sizes or sizes).split(",")]
    return a


def run_check(driftd, ref, cur, alpha):
    """One `driftd check`: (p-values of the test rows, reported drift, correction, secs)."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([driftd, "check", "--reference", ref, "--current", cur,
                              "--format", "json", "--alpha", str(alpha)],
                             stdout=out, stderr=err, env=CHECK_ENV)
        _, status, ru = os.wait4(p.pid, 0)   # the check's own CPU time
        p.returncode = os.waitstatus_to_exitcode(status)
        secs, cpu = time.monotonic() - t0, ru.ru_utime + ru.ru_stime
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if p.returncode not in (0, 1):
        raise RuntimeError(f"driftd check exited {p.returncode}: {stderr.strip()[:400]}")
    rep = json.loads(stdout)
    rows = [s for s in rep["signals"] if s.get("kind") == "test" and "p_value" in s]
    if (p.returncode == 1) != bool(rep["drift"]):
        raise RuntimeError(f"exit status {p.returncode} disagrees with drift={rep['drift']}")
    cal = rep.get("calibration") or {}
    return ({r["signal"] + "/" + r["method"]: r["p_value"] for r in rows},
            bool(rep["drift"]), rep.get("correction"), secs,
            {"cpu": cpu, "level": cal.get("level"), "m_eff": cal.get("m_eff"),
             "fallback": cal.get("fallback")})


class Bench:
    def __init__(self, a):
        self.a = a
        self.tmp = tempfile.mkdtemp(prefix="dd-vbench-", dir="/dev/shm"
                                    if os.path.isdir("/dev/shm") else None)
        self.pool = cf.ThreadPoolExecutor(max_workers=a.workers)
        self.slots = threading.BoundedSemaphore(a.workers * 3)
        self.futures = []
        self.results = []   # dicts, one per trial
        self.check_secs = 0.0
        self.n = 0

    def submit(self, meta, ref_ev, cur_ev, writer, extra):
        self.slots.acquire()
        i = self.n
        self.n += 1
        ref = os.path.join(self.tmp, f"r{i}.ndjson")
        cur = os.path.join(self.tmp, f"c{i}.ndjson")
        writer(ref, ref_ev)
        writer(cur, cur_ev)

        def job():
            try:
                ps, drift, corr, secs, more = run_check(self.a.driftd, ref, cur, self.a.alpha)
            finally:
                os.unlink(ref)
                os.unlink(cur)
                self.slots.release()
            return dict(meta, ps=ps, reported=drift, correction=corr, secs=secs, **more, **extra)

        self.futures.append(self.pool.submit(job))

    def collect(self):
        for f in self.futures:
            r = f.result()
            self.check_secs += r["secs"]
            self.results.append(r)
        self.futures = []

    def close(self):
        self.pool.shutdown()
        shutil.rmtree(self.tmp, ignore_errors=True)


def stable(s):
    return int.from_bytes(s.encode()[:8].ljust(8, b"\0"), "little")


def run_all(a, b, wine):
    parts = a.parts.split(",")
    shifts = ([None] if "null" in parts else []) + (list(pop.SHIFTS) if "shift" in parts else [])
    for size in a.sizes if shifts else []:
        for shift in shifts:
            trials = a.null if shift is None else a.shift_trials
            for t in range(trials):
                rng = np.random.default_rng([a.seed, 1, size, stable(shift or "none"), t])
                ref = wine.draw(rng, a.ref_size)
                cur = wine.draw(rng, size, shift)
                peer, _ = rules.peers(ref, cur, a.alpha)
                b.submit({"family": "wine", "size": size, "shift": shift or "none"},
                         ref, cur, pop.write_wine, {"peers": bool(peer)})
        print(f"  wine, size {size}: submitted", file=sys.stderr, flush=True)
    for fam, rho in (("indep", 0.0), ("corr09", 0.9)):
        if a.synthetic <= 0 or "synthetic" not in parts:
            break
        gen = pop.Synthetic(rho)
        for size in a.sizes:
            for t in range(a.synthetic):
                rng = np.random.default_rng([a.seed, 2, size, stable(fam), t])
                b.submit({"family": fam, "size": size, "shift": "none"},
                         gen.draw(rng, a.ref_size), gen.draw(rng, size), pop.write_synth, {})
            print(f"  {fam}, size {size}: submitted", file=sys.stderr, flush=True)
    b.collect()


# ------------------------------------------------------------------ table ---

def ci(k, n):
    """Clopper-Pearson 95% interval of k successes in n."""
    lo = stats.beta.ppf(0.025, k, n - k + 1) if k > 0 else 0.0
    hi = stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    return lo, hi


def fmt_rate(k, n):
    lo, hi = ci(k, n)
    return f"{k / n:.3f} [{lo:.3f},{hi:.3f}]"


def decide(a, res, qmin):
    """Every rule's decision for one trial."""
    ps = list(res["ps"].values())
    mp = min(ps) if ps else 1.0
    return {"holm": rules.holm(ps, a.alpha),
            "reported": res["reported"],
            "oracle": bool(ps) and mp < qmin.get((res["family"], res["size"]), 0.0),
            "acat": bool(ps) and rules.acat(ps) <= a.alpha,
            "peers": res.get("peers")}


RULE_NAMES = {
    "holm": "driftd today (Holm over the test rows)",
    "reported": "driftd reported",
    "oracle": "min-p vs its own no-shift 5% quantile (oracle)",
    "acat": "Cauchy combination (ACAT) of the rows",
    "peers": "peers' bundle (SciPy, any of 3 fires)",
}


def report(a, results, wine, wall):
    ok = True
    by = {}
    for r in results:
        by.setdefault((r["family"], r["size"], r["shift"]), []).append(r)
    # null min-p quantiles per family and size (the oracle's threshold)
    qmin, quant = {}, {}
    for (fam, size, shift), rs in by.items():
        if shift != "none":
            continue
        mps = np.array([min(r["ps"].values()) if r["ps"] else 1.0 for r in rs])
        qmin[(fam, size)] = np.quantile(mps, a.alpha, method="lower") if len(mps) else 0
        quant[(fam, size)] = (np.quantile(mps, [0.01, 0.05, 0.10]), len(mps),
                              int(np.median([len(r["ps"]) for r in rs])))
    for rs in by.values():
        for r in rs:
            r["d"] = decide(a, r, qmin)
    corrs = sorted({str(r["correction"]) for r in results})
    m = quant.get(("wine", a.sizes[0]), (None, 0, 0))[2]
    print()
    print(f"verdict benchmark (issue #14), {datetime.date.today()}, alpha {a.alpha}, "
          f"driftd {a.driftd}, reported correction(s): {', '.join(corrs)}")
    print(f"wine: MLPClassifier(16 hidden) accuracy {wine.accuracy:.3f} on the 89 held-out "
          f"rows; smoothed bootstrap (jitter {pop.JITTER} sd); {m} test rows per report; "
          f"reference {a.ref_size} rows per trial")
    cpu = [r["cpu"] for r in results if r.get("cpu") is not None]
    print(f"{len(results)} driftd check runs, {a.workers} at a time: wall {wall:.0f} s, "
          f"{1000 * sum(r['secs'] for r in results) / max(1, len(results)):.0f} ms per check"
          + (f", CPU {1000 * np.mean(cpu):.0f} ms per check (user + sys)" if cpu else ""))
    falls = {}
    for r in results:
        if r.get("fallback"):
            key = (r["family"], r["size"], r["fallback"])
            falls[key] = falls.get(key, 0) + 1
    for (fam, size, why), k in sorted(falls.items()):
        print(f"  fallback to Holm: {fam} n={size} '{why}' in {k} checks")

    def fa_row(fam, rule):
        cells = []
        for size in a.sizes:
            rs = by.get((fam, size, "none"), [])
            k = sum(bool(r["d"][rule]) for r in rs)
            cells.append(fmt_rate(k, len(rs)) if rs else "-")
        return cells

    shifts = list(pop.SHIFTS)

    def power(rule, shift=None, size=None):
        vals = []
        for sh in ([shift] if shift else shifts):
            for sz in ([size] if size else a.sizes):
                rs = by.get(("wine", sz, sh), [])
                if rs:
                    vals.append(np.mean([bool(r["d"][rule]) for r in rs]))
        return float(np.mean(vals)) if vals else float("nan")

    print()
    print("## wine: false alarms (no shift, rate [95% interval]) and mean power "
          f"({len(shifts)} shifts x {len(a.sizes)} sizes)")
    print()
    print("| verdict rule | " + " | ".join(f"false alarms n={s}" for s in a.sizes)
          + " | mean power |")
    print("|---|" + "---|" * (len(a.sizes) + 1))
    for rule in RULE_NAMES:
        print(f"| {RULE_NAMES[rule]} | " + " | ".join(fa_row("wine", rule))
              + f" | {power(rule):.3f} |")
    print()
    print("## wine: power per shift and size (holm / reported / oracle / acat / peers)")
    print()
    print("| shift | " + " | ".join(f"n={s}" for s in a.sizes) + " | mean |")
    print("|---|" + "---|" * (len(a.sizes) + 1))
    for sh in shifts:
        cells = []
        for sz in a.sizes:
            cells.append(" / ".join(f"{power(rule, sh, sz):.2f}" for rule in RULE_NAMES))
        print(f"| {sh}: {pop.SHIFTS[sh]} | " + " | ".join(cells) + " | "
              + " / ".join(f"{power(rule, sh):.3f}" for rule in RULE_NAMES) + " |")
    print("| mean over shifts | " + " | ".join(
        " / ".join(f"{power(rule, None, sz):.2f}" for rule in RULE_NAMES) for sz in a.sizes)
        + " | " + " / ".join(f"{power(rule):.3f}" for rule in RULE_NAMES) + " |")
    counts = sorted({len(rs) for k, rs in by.items() if k[0] == "wine" and k[2] != "none"})
    print(f"(trials per shift and size: {', '.join(map(str, counts))})")

    fams = [f for f in ("indep", "corr09") if any(k[0] == f for k in by)]
    if fams:
        print()
        print("## synthetic: false alarms, 20 numeric features, no shift")
        print()
        print("| family | rule | " + " | ".join(f"n={s}" for s in a.sizes) + " |")
        print("|---|---|" + "---|" * len(a.sizes))
        for fam in fams:
            for rule in ("holm", "reported", "acat"):
                print(f"| {fam} | {RULE_NAMES[rule]} | " + " | ".join(fa_row(fam, rule)) + " |")

    print()
    print("## null min-p quantiles (1% / 5% / 10%), alpha / q05 (an effective number of tests)")
    print()
    for (fam, size), (q, n, mm) in sorted(quant.items()):
        lv = [r["level"] for r in by[(fam, size, "none")] if r.get("level") is not None]
        me = [r["m_eff"] for r in by[(fam, size, "none")] if r.get("m_eff") is not None]
        own = (f"; driftd's calibrated level q: median {np.median(lv):.2e} "
               f"(range {min(lv):.2e}-{max(lv):.2e}), m_eff {np.median(me):.1f}" if lv else "")
        print(f"  {fam:7s} n={size:5d} m={mm:2d} ({n} trials): "
              f"{q[0]:.2e} / {q[1]:.2e} / {q[2]:.2e}   alpha/q05 = {a.alpha / q[1]:.1f}{own}"
              if q[1] > 0 else f"  {fam} n={size}: q05 = 0")

    print()
    print("## targets (issue #14) for driftd reported")
    for fam in ["wine"] + fams:
        for size in a.sizes:
            rs = by.get((fam, size, "none"), [])
            if not rs:
                continue
            k = sum(r["d"]["reported"] for r in rs)
            rate = k / len(rs)
            good = FA_LO <= rate <= FA_HI
            ok &= good
            print(f"  false alarms {fam:6s} n={size:<5d} {rate:.3f} (95% {ci(k, len(rs))[0]:.3f}"
                  f"-{ci(k, len(rs))[1]:.3f}, {len(rs)} trials) within [{FA_LO}, {FA_HI}] "
                  f"{'PASS' if good else 'FAIL'}")
    pr, ph, pp = power("reported"), power("holm"), power("peers")
    for name, other in (("Holm's", ph), ("the peers' bundle's", pp)):
        good = pr > other
        ok &= good
        print(f"  mean power {pr:.3f} above {name} {other:.3f} {'PASS' if good else 'FAIL'}")
    return ok


def main():
    a = parse_args()
    if a.load:
        results, wall, workers = [], 0.0, set()
        for name in a.load:
            with open(name) as f:
                saved = json.load(f)
            for k in ("sizes", "ref_size", "workers", "alpha", "driftd"):
                setattr(a, k, saved["args"][k])
            results += saved["results"]
            wall += saved.get("wall", float("nan"))
            workers.add(str(saved["args"]["workers"]))
        a.workers = "/".join(sorted(workers))  # the parts' own settings, summed walls
        a.sizes = sorted({r["size"] for r in results})
        ok = report(a, results, pop.Wine(), wall)
        return 0 if ok else 2
    if not os.access(a.driftd, os.X_OK):
        sys.exit(f"run.py: '{a.driftd}' is not an executable driftd (--driftd PATH)")
    t0 = time.monotonic()
    wine = pop.Wine()
    b = Bench(a)
    try:
        run_all(a, b, wine)
    except RuntimeError as e:
        print(f"run.py: {e}", file=sys.stderr)
        return 1
    finally:
        b.close()
    wall = time.monotonic() - t0
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"args": vars(a), "wall": wall, "results": b.results}, f)
    return 0 if report(a, b.results, wine, wall) else 2


if __name__ == "__main__":
    sys.exit(main())
