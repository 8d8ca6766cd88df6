#!/usr/bin/python3
"""Statistics benchmark (issue #3): `driftd check` against SciPy / scikit-learn.

Run through tests/bench/stats/run.sh (it builds driftd first).  Directly:

    /usr/bin/python3 tests/bench/stats/bench_stats.py --driftd build-bench/driftd \
        --data build-bench/stats-data [--repeat 3] [--cases ks,chi2,embed,mmd]

Three roles in one file:
  * gen:     writes the NDJSON inputs once (seeded numpy), reused while the
             stamp file matches GEN_VERSION;
  * python:  `bench_stats.py python CASE REF CUR` runs the SciPy/sklearn
             equivalent of one driftd method set in a fresh process and prints
             JSON (import, parse and compute times, statistics);
  * main:    for each case and variant, times `driftd check` and the python side
             (best of --repeat runs each, page cache warm), and prints the table.

Every python equivalent follows docs/statistics.md and the C code in analysis/:
  ks     scipy.stats.ks_2samp(ref, cur, method='auto') (asymptotic branch here:
         max(n, m) > 10 000, i.e. kstwo.sf(D, round(n*m/(n+m))))
  chi2   scipy.stats.chi2_contingency(2 x K table, correction=False)
  embed  cosine_centroid = scipy.spatial.distance.cosine of the float64 means;
         pca_ks = sklearn PCA(n_components=0.9) fitted on the float64 reference
         (svd_solver 'full', which is what 'auto' picks for a float
         n_components), k capped at 32 (driftd's pca_max_components), ks_2samp
         per component, statistic = max D, p = min(1, k * min p)
  mmd    unbiased MMD^2, RBF kernel exp(-d2 / bw), bw = numpy median of the
         pooled pairwise squared distances; 2000 rows per side (driftd
         check --mmd-sample 2000; with more rows both sides would draw the
         same subsample with a replica of analysis/rng.h); 100 permutations with numpy's generator, kernel
         matrix computed once and sliced per permutation (alibi-detect's
         approach).  Untimed extra: the p-value with driftd's own permutations
         (replica of dd_mmd_test's shuffles), which must equal driftd's exactly.
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "unit", "analysis"))
from dd_rng import Rng  # noqa: E402 (tests/unit/analysis/dd_rng.py)

GEN_VERSION = "stats-bench-gen-v1"
ALPHA = 0.05
TARGET = 5.0
MMD_SEED = 20240603
MMD_MAX = 2000          # rows per side: driftd check --mmd-sample 2000 (its default is 1000)
MMD_PERMS = 100         # driftd's mmd_permutations default (no CLI flag)
PCA_VARIANCE = 0.9      # driftd's pca_variance default
PCA_MAX = 32            # driftd's pca_max_components default

# case -> (file prefix, driftd --methods, title)
CASES = {
    "ks": ("ks", ["numeric=ks"], "KS 1e6 vs 1e6 (confidence)"),
    "chi2": ("chi2", ["categorical=chi2"], "chi2 100 classes, 1e6 vs 1e6"),
    "embed": ("emb", ["embedding=cosine_centroid,pca_ks"], "cosine + PCA-KS 20k vs 20k x768"),
    "mmd": ("mmd", ["embedding=mmd"], "MMD 2000 vs 2000 x768, 100 perms"),
}
VARIANTS = ("null", "shift")

# ---------------------------------------------------------------- data -----

EMB_DIM, EMB_LATENT = 768, 16


def _emb_model(np):
    r = np.random.default_rng(1003)
    w = np.linalg.qr(r.standard_normal((EMB_DIM, EMB_LATENT)))[0].T  # orthonormal rows
    scales = np.linspace(3.0, 1.0, EMB_LATENT)
    mu = r.standard_normal(EMB_DIM) * 0.05 + 0.02
    return w, scales, mu


def _emb(np, model, n, seed, shift_factor=None, shift=0.0):
    w, scales, mu = model
    r = np.random.default_rng(seed)
    z = r.standard_normal((n, EMB_LATENT)) * scales
    if shift_factor is not None:
        z[:, shift_factor] += shift
    x = mu + z @ w + r.standard_normal((n, EMB_DIM)) * 0.05
    return x.astype("<f4")


def _write(path, lines):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines))
        f.write("\n")
    os.replace(tmp, path)


def _emb_lines(x):
    return ['{"embedding_b64":"%s"}' % base64.b64encode(row.tobytes()).decode() for row in x]


def generate(data):
    import numpy as np
    stamp = os.path.join(data, "STAMP")
    if os.path.exists(stamp) and open(stamp).read().strip() == GEN_VERSION:
        return False
    os.makedirs(data, exist_ok=True)
    if os.path.exists(stamp):
        os.remove(stamp)
    t0 = time.time()
    # 1. KS: confidences ~ Beta(8, 2) with 6 decimals (so there are ties);
    #    shift: Beta(8.06, 2) for the current window (D ~ 0.0035, p ~ 1e-5).
    n = 10**6
    for name, seed, a in (("ref", 11, 8.0), ("cur_null", 12, 8.0), ("cur_shift", 13, 8.06)):
        v = np.random.default_rng(seed).beta(a, 2.0, n)
        _write(os.path.join(data, "ks_%s.ndjson" % name),
               ['{"confidence":%.6f}' % x for x in v.tolist()])
    # 2. chi2: 100 classes with Zipf-like shares (s = 0.8); shift: three classes
    #    change by +5%, -7%, +15% (renormalised).
    k = 100
    p = 1.0 / np.arange(1, k + 1) ** 0.8
    p /= p.sum()
    q = p.copy()
    q[[5, 37, 80]] *= [1.05, 0.93, 1.15]
    q /= q.sum()
    names = ["class_%02d" % i for i in range(k)]
    for name, seed, pp in (("ref", 21, p), ("cur_null", 22, p), ("cur_shift", 23, q)):
        idx = np.random.default_rng(seed).choice(k, size=n, p=pp)
        _write(os.path.join(data, "chi2_%s.ndjson" % name),
               ['{"prediction":"%s"}' % names[i] for i in idx.tolist()])
    # 3./4. embeddings: 16 latent factors (scales 3..1) in 768-d plus noise
    #    0.05, a non-zero mean; shift: a latent factor's mean moves.
    model = _emb_model(np)
    for name, seed, sf, sh in (("ref", 31, None, 0.0), ("cur_null", 32, None, 0.0),
                               ("cur_shift", 33, 10, 0.1)):
        _write(os.path.join(data, "emb_%s.ndjson" % name),
               _emb_lines(_emb(np, model, 20000, seed, sf, sh)))
    for name, seed, sf, sh in (("ref", 41, None, 0.0), ("cur_null", 42, None, 0.0),
                               ("cur_shift", 43, 0, 1.0)):
        _write(os.path.join(data, "mmd_%s.ndjson" % name),
               _emb_lines(_emb(np, model, 2000, seed, sf, sh)))
    with open(stamp, "w") as f:
        f.write(GEN_VERSION + "\n")
    print("generated inputs in %s (%.1f s)" % (data, time.time() - t0), flush=True)
    return True

# ------------------------------------------------- analysis/rng.h replica ---
# dd_rng.Rng (tests/unit/analysis/dd_rng.py, imported at the top): dd_rng_next
# and dd_rng_below, bit for bit.


def driftd_subsample(n, k, rng):
    """mmd.c subsample(): the first k of a partial Fisher-Yates."""
    idx = list(range(n))
    for i in range(k):
        j = i + rng.below(n - i)
        idx[i], idx[j] = idx[j], idx[i]
    return idx[:k]

# ------------------------------------------------------- python side -------


def _read_lines(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")


def parse_events(path):
    """NDJSON -> list of dicts with the stdlib's json: the non-blank lines
    joined into one JSON array and parsed by one json.loads call (about 3-4x
    faster than json.loads per line, so the comparison does not flatter driftd)."""
    lines = [line for line in _read_lines(path) if line.strip()]
    return json.loads(b"[" + b",".join(lines) + b"]")


def parse_embeddings(np, path):
    ev = parse_events(path)
    raw = b"".join(base64.b64decode(e["embedding_b64"]) for e in ev)
    x = np.frombuffer(raw, dtype="<f4")
    return x.reshape(len(ev), -1)


def py_ks(np, stats, ref, cur):
    r = stats.ks_2samp(ref, cur, method="auto")
    return {"ks": {"statistic": float(r.statistic), "p_value": float(r.pvalue)}}


def py_chi2(np, stats, ref, cur):
    from collections import Counter
    cr, cc = Counter(ref), Counter(cur)
    cats = sorted(set(cr) | set(cc))
    table = np.array([[cr.get(c, 0) for c in cats], [cc.get(c, 0) for c in cats]], dtype=np.float64)
    stat, p, dof, _ = stats.chi2_contingency(table, correction=False)
    return {"chi2": {"statistic": float(stat), "p_value": float(p), "df": int(dof)}}


def py_embed(np, stats, ref, cur):
    from scipy.spatial import distance
    from sklearn.decomposition import PCA
    x = ref.astype(np.float64)
    y = cur.astype(np.float64)
    cos = distance.cosine(x.mean(0), y.mean(0))
    pca = PCA(n_components=PCA_VARIANCE, svd_solver="full").fit(x)
    k = min(int(pca.n_components_), PCA_MAX)
    comp = pca.components_[:k]
    px = (x - pca.mean_) @ comp.T
    py = (y - pca.mean_) @ comp.T
    dmax, pmin = 0.0, 1.0
    for j in range(k):
        r = stats.ks_2samp(px[:, j], py[:, j], method="auto")
        dmax = max(dmax, float(r.statistic))
        pmin = min(pmin, float(r.pvalue))
    return {"cosine_centroid": {"statistic": float(cos)},
            "pca_ks": {"statistic": dmax, "p_value": min(1.0, k * pmin), "components": k}}


def _mmd_kernel(np, z):
    g = z @ z.T
    sq = np.diag(g).copy()
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * g, 0.0)
    n = len(z)
    iu = np.triu_indices(n, 1)
    med = float(np.median(d2[iu]))
    bw = med if med > 0 else (float(d2[iu].mean()) or 1.0)
    k = np.exp(-d2 / bw)
    np.fill_diagonal(k, 1.0)
    return k, bw


def _mmd2(np, k, ix, iy):
    a, b = len(ix), len(iy)
    kxx = k[np.ix_(ix, ix)].sum()
    kyy = k[np.ix_(iy, iy)].sum()
    kxy = k[np.ix_(ix, iy)].sum()
    return (kxx - a) / (a * (a - 1)) + (kyy - b) / (b * (b - 1)) - 2.0 * kxy / (a * b)


def py_mmd(np, stats, ref, cur):
    rng = Rng(MMD_SEED)
    n, m = len(ref), len(cur)
    nx, ny = min(n, MMD_MAX), min(m, MMD_MAX)
    sx = driftd_subsample(n, nx, rng) if nx < n else list(range(n))
    sy = driftd_subsample(m, ny, rng) if ny < m else list(range(m))
    z = np.vstack([ref[sx], cur[sy]]).astype(np.float64)
    k, bw = _mmd_kernel(np, z)
    big_n = nx + ny
    obs = _mmd2(np, k, np.arange(nx), np.arange(nx, big_n))
    perm_rng = np.random.default_rng(MMD_SEED)
    ge = 0
    for _ in range(MMD_PERMS):
        p = perm_rng.permutation(big_n)
        ge += _mmd2(np, k, p[:nx], p[nx:]) >= obs
    out = {"mmd": {"statistic": float(obs), "p_value": (1.0 + ge) / (1.0 + MMD_PERMS),
                   "bandwidth": bw}}
    out["_mmd_state"] = (k, rng, nx, ny, obs)
    return out


def mmd_replica_p(np, k, rng, nx, ny, obs):
    """dd_mmd_test's permutations (same rng stream, same in-place shuffles)."""
    big_n = nx + ny
    lab = [1] * nx + [0] * ny
    ind = np.empty((big_n, MMD_PERMS))
    for c in range(MMD_PERMS):
        for i in range(big_n - 1, 0, -1):
            j = rng.below(i + 1)
            lab[i], lab[j] = lab[j], lab[i]
        ind[:, c] = lab
    s = k @ ind                     # row sums over the x-labelled columns
    ones = k.sum(1)
    ge = 0
    for c in range(MMD_PERMS):
        x = ind[:, c] != 0
        sxx = s[x, c].sum()
        sxy = s[~x, c].sum()
        syy = (ones[~x] - s[~x, c]).sum()
        a, b = float(nx), float(ny)
        v = (sxx - a) / (a * (a - 1)) + (syy - b) / (b * (b - 1)) - 2 * sxy / (a * b)
        ge += v >= obs
    return (1.0 + ge) / (1.0 + MMD_PERMS)


def python_side(case, ref_path, cur_path):
    t0 = time.perf_counter()
    import numpy
    from scipy import stats
    if case == "embed":
        import sklearn.decomposition  # noqa: F401  (import cost outside the timings)
        import scipy.spatial.distance  # noqa: F401
    t1 = time.perf_counter()
    if case == "ks":
        ref = numpy.array([e["confidence"] for e in parse_events(ref_path)])
        cur = numpy.array([e["confidence"] for e in parse_events(cur_path)])
        fn = py_ks
    elif case == "chi2":
        ref = [e["prediction"] for e in parse_events(ref_path)]
        cur = [e["prediction"] for e in parse_events(cur_path)]
        fn = py_chi2
    else:
        ref = parse_embeddings(numpy, ref_path)
        cur = parse_embeddings(numpy, cur_path)
        fn = py_embed if case == "embed" else py_mmd
    t2 = time.perf_counter()
    res = fn(numpy, stats, ref, cur)
    t3 = time.perf_counter()
    state = res.pop("_mmd_state", None)
    if state is not None:
        res["mmd"]["p_value_driftd_rng"] = mmd_replica_p(numpy, *state)
    out = {"import_s": t1 - t0, "parse_s": t2 - t1, "compute_s": t3 - t2,
           "e2e_s": t3 - t1, "results": res}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")

# ---------------------------------------------------------------- main -----


def warm(paths):
    for p in paths:
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass


def run_driftd(driftd, ref, cur, methods, env):
    cmd = [driftd, "check", "--reference", ref, "--current", cur, "--format", "json"]
    for m in methods:
        cmd += ["--methods", m]
    if any(m.startswith("embedding=") and "mmd" in m for m in methods):
        cmd += ["--seed", str(MMD_SEED), "--mmd-sample", str(MMD_MAX)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t0
    return cmd, p, dt


def run_phases(phases, ref, cur, methods, env):
    """tests/bench/stats/phases.c: driftd's time per phase (same library calls)."""
    cmd = [phases, ref, cur, methods[0], str(MMD_SEED), str(MMD_MAX)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if p.returncode != 0:
        return None
    return json.loads(p.stdout)


def run_python(case, ref, cur, env):
    cmd = [sys.executable, os.path.abspath(__file__), "python", case, ref, cur]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if p.returncode != 0:
        raise RuntimeError("python side failed (%s):\n%s" % (" ".join(cmd), p.stderr.decode()))
    return json.loads(p.stdout)


def rel(a, b):
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def fmt(v):
    if v is None:
        return "-"
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
        return "%.6e" % v
    return "%.6f" % v


def compare(case, rep, py):
    """-> (rows of (method, d_stat, d_p, py_stat, py_p, note)), verdict agreement, problems."""
    dres = {s["method"]: s for s in rep["signals"]}
    pres = py["results"]
    rows, problems = [], []
    p_family = []
    for method, pr in pres.items():
        dr = dres.get(method)
        if dr is None or "statistic" not in dr:
            problems.append("%s: driftd has no result (%s)" % (method, json.dumps(dr)))
            continue
        ds, dp = dr["statistic"], dr.get("p_value")
        ps, pp = pr["statistic"], pr.get("p_value")
        note = ["rel.diff stat %.1e" % rel(ds, ps)]
        if pp is not None and dp is not None and method != "mmd":
            note.append("p %.1e" % rel(dp, pp))
        # tolerances: statistics that are ranks/counts must match to rounding;
        # p-values to 1e-6 relative (docs/statistics.md); mmd p differs by design
        if method in ("ks", "pca_ks"):
            if abs(ds - ps) > 1e-9:
                problems.append("%s: D %r vs %r (diff %.3g)" % (method, ds, ps, abs(ds - ps)))
        elif rel(ds, ps) > 1e-6:
            problems.append("%s: statistic %r vs %r (rel %.3g)" % (method, ds, ps, rel(ds, ps)))
        if method in ("ks", "chi2", "pca_ks") and pp is not None:
            if dp is None or rel(dp, pp) > 1e-6:
                problems.append("%s: p %r vs %r (rel %.3g)" % (method, dp, pp, rel(dp or 0, pp)))
        if method == "chi2" and dr.get("df") != pr["df"]:
            problems.append("chi2: df %s vs %s" % (dr.get("df"), pr["df"]))
        if method == "pca_ks":
            note.append("k %s/%s" % (dr.get("components"), pr["components"]))
            if dr.get("components") != pr["components"]:
                problems.append("pca_ks: components %s vs %s" % (dr.get("components"), pr["components"]))
        if method == "mmd":
            rp = pr.get("p_value_driftd_rng")
            note.append("p with driftd's own permutations: %s" % fmt(rp))
            if rp is not None and dp is not None and rp != dp:
                problems.append("mmd: p %r vs %r with driftd's own permutations" % (dp, rp))
        if pp is not None:
            p_family.append(pp)
            py_drift = pp < ALPHA   # one p-value test per case: Holm = plain alpha
            d_drift = dr.get("drift")
        else:
            py_drift = ps > dr["threshold"]
            d_drift = dr.get("drift")
        agree = py_drift == d_drift
        if not agree:
            problems.append("%s: verdict driftd %s, python %s" % (method, d_drift, py_drift))
        rows.append((method, ds, dp, ps, pp, agree, d_drift, " ".join(note)))
    # top-level verdict: Holm over the p-value methods (one per case here)
    py_top = any(p < ALPHA for p in p_family)  # single test; Holm == alpha
    top_agree = py_top == rep["drift"]
    if not top_agree:
        problems.append("report verdict: driftd %s, python %s" % (rep["drift"], py_top))
    return rows, top_agree, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--driftd", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", default="ks,chi2,embed,mmd")
    ap.add_argument("--phases", help="stats_phases binary (phases.c) for the time breakdown")
    a = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("OPENBLAS_NUM_THREADS", str(os.cpu_count() or 1))
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"]
    threads = env["OPENBLAS_NUM_THREADS"]
    generate(a.data)
    try:
        load = open("/proc/loadavg").read().split()[:3]
    except OSError:
        load = ["?"]
    print("driftd: %s   python: %s (numpy/scipy/sklearn from Debian)" % (a.driftd, sys.executable))
    print("OPENBLAS_NUM_THREADS=%s (both sides)   cpus=%s   loadavg %s   best of %d runs each"
          % (threads, os.cpu_count(), " ".join(load), a.repeat))
    print()

    results = []
    all_problems = []
    for case in a.cases.split(","):
        prefix, methods, title = CASES[case]
        for variant in VARIANTS:
            ref = os.path.join(a.data, "%s_ref.ndjson" % prefix)
            cur = os.path.join(a.data, "%s_cur_%s.ndjson" % (prefix, variant))
            warm([ref, cur])
            best_d, rep, cmd = None, None, None
            for _ in range(a.repeat):
                cmd, p, dt = run_driftd(a.driftd, ref, cur, methods, env)
                if p.returncode not in (0, 1):
                    msg = ("driftd check failed (exit %d): %s\n  stderr: %s"
                           % (p.returncode, " ".join(cmd), p.stderr.decode().strip()))
                    print(msg, flush=True)
                    all_problems.append("%s/%s: %s" % (case, variant, msg))
                    rep = None
                    break
                out = json.loads(p.stdout)
                if (p.returncode == 1) != out["drift"]:
                    all_problems.append("%s/%s: exit %d but drift %s"
                                        % (case, variant, p.returncode, out["drift"]))
                rep = out
                best_d = dt if best_d is None else min(best_d, dt)
            if rep is None:
                continue
            best_ph = None
            for _ in range(a.repeat if a.phases else 0):
                ph = run_phases(a.phases, ref, cur, methods, env)
                if ph and (best_ph is None or ph["total_s"] < best_ph["total_s"]):
                    best_ph = ph
            best_py = None
            for _ in range(a.repeat):
                py = run_python(case, ref, cur, env)
                if best_py is None or py["e2e_s"] < best_py["e2e_s"]:
                    best_py = py
            rows, top_agree, problems = compare(case, rep, best_py)
            all_problems += ["%s/%s: %s" % (case, variant, x) for x in problems]
            results.append(dict(case=case, variant=variant, title=title, cmd=cmd, driftd_s=best_d,
                                py=best_py, ph=best_ph, rows=rows, top_agree=top_agree,
                                drift=rep["drift"]))
            r = results[-1]
            print("  done %-6s %-5s driftd %.3f s  python %.3f s (parse %.3f + compute %.3f)"
                  % (case, variant, best_d, best_py["e2e_s"], best_py["parse_s"],
                     best_py["compute_s"]), flush=True)

    print()
    print("Table 1: time and statistics (driftd `check --format json` vs SciPy/sklearn on the same files)")
    hdr = ("%-33s %-5s %8s %9s %8s %6s  %-15s %-13s %-13s %-13s %-13s %s"
           % ("case", "data", "driftd_s", "py_comp_s", "py_e2e_s", "ratio",
              "method", "driftd_stat", "driftd_p", "scipy_stat", "scipy_p", "verdict agrees"))
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        py = r["py"]
        ratio = py["e2e_s"] / r["driftd_s"]
        for i, (method, ds, dp, ps, pp, agree, d_drift, note) in enumerate(r["rows"]):
            lead = ("%-33s %-5s %8.3f %9.3f %8.3f %6.1f" %
                    (r["title"], r["variant"], r["driftd_s"], py["compute_s"], py["e2e_s"],
                     ratio)) if i == 0 else " " * 74
            print("%s  %-15s %-13s %-13s %-13s %-13s %s%s" %
                  (lead, method, fmt(ds), fmt(dp), fmt(ps), fmt(pp),
                   ("yes" if agree else "NO") + (" (drift)" if d_drift else " (no drift)"),
                   ("  [" + note + "]") if note else ""))
    print()
    print("driftd_s = wall time of the `driftd check` process (read + parse + signals + statistics + JSON)")
    print("py_e2e_s = python parse + compute (imports excluded); py_comp_s = compute only;"
          " ratio = py_e2e_s / driftd_s")
    print("python parse = stdlib json (the NDJSON lines joined into one array, one json.loads), "
          "then base64 + np.frombuffer for embeddings")
    if any(r.get("ph") for r in results):
        print()
        print("Table 2: where the time goes (driftd phases from tests/bench/stats/phases.c, "
              "same library calls as `driftd check`)")
        hdr2 = ("%-33s %-5s %7s %8s %8s %8s %8s | %8s %8s | %9s %9s"
                % ("case", "data", "dd_read", "dd_parse", "dd_signl", "dd_stats", "dd_total",
                   "py_parse", "py_comp", "parse_x", "compute_x"))
        print(hdr2)
        print("-" * len(hdr2))
        for r in results:
            ph, py = r.get("ph"), r["py"]
            if not ph:
                continue
            dcomp = ph["signals_s"] + ph["stats_s"]
            print("%-33s %-5s %7.3f %8.3f %8.3f %8.3f %8.3f | %8.3f %8.3f | %9.1f %9.1f" %
                  (r["title"], r["variant"], ph["read_s"], ph["parse_s"], ph["signals_s"],
                   ph["stats_s"], ph["total_s"], py["parse_s"], py["compute_s"],
                   py["parse_s"] / (ph["read_s"] + ph["parse_s"]), py["compute_s"] / dcomp))
        print("parse_x = py_parse / (dd_read + dd_parse);  compute_x = py_comp / (dd_signals + "
              "dd_stats): driftd's statistics alone against SciPy's")
    print()
    print("commands (driftd side):")
    for r in results:
        print("  " + " ".join(r["cmd"]))
    print()
    if all_problems:
        print("DISAGREEMENTS / ERRORS:")
        for x in all_problems:
            print("  " + x)
    else:
        print("statistics: all agree (D to 1e-9 absolute, p-values and other statistics to 1e-6 "
              "relative, mmd p exactly with driftd's permutations); all verdicts agree")
    print()
    for r in results:
        ratio = r["py"]["e2e_s"] / r["driftd_s"]
        extra = ""
        if r.get("ph"):
            extra = "   [statistics only: %.1fx]" % (
                r["py"]["compute_s"] / (r["ph"]["signals_s"] + r["ph"]["stats_s"]))
        print("%-5s %-5s ratio %.1f (target %.1f) %s%s" %
              (r["case"], r["variant"], ratio, TARGET, "PASS" if ratio >= TARGET else "MISS",
               extra))
    if all_problems:
        return 1
    return 2 if any(r["py"]["e2e_s"] / r["driftd_s"] < TARGET for r in results) else 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "python":
        python_side(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(main())
