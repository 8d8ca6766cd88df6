#!/usr/bin/python3
"""Generates the expected values the analysis/ unit tests compare against.

Run with Debian's Python (SciPy 1.10, scikit-learn):
    /usr/bin/python3 tests/unit/analysis/gen_fixtures.py
from anywhere; it writes *.txt next to itself.  Deterministic: samples come from
the splitmix64 + Box-Muller generator of analysis/rng.h (dd_rng.py: the same
bit for bit in Python), so large samples are described by (seed, n, mu, sigma,
decimals) instead of being stored.  Formats are one case per line, fields
separated by spaces; the C tests document what they read.
"""
import math
import os
import sys

import numpy as np
from scipy import stats
from scipy.spatial import distance as spd

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from dd_rng import Rng  # noqa: E402 (next to this file)

HERE = os.path.dirname(os.path.abspath(__file__))


def sample(spec):
    """'seed:n:mu:sigma:decimals' (decimals < 0: no rounding), the same
    expression as the C test's sample()."""
    seed, n, mu, sigma, dec = spec.split(":")
    r = Rng(int(seed))
    mu, sigma, dec = float(mu), float(sigma), int(dec)
    out = np.empty(int(n))
    for i in range(int(n)):
        v = mu + sigma * r.normal()
        if dec >= 0:
            f = 10.0 ** dec
            v = float(np.rint(v * f)) / f
        out[i] = v
    return out


def ks_fixtures():
    lines = []
    lists = [
        ("tiny_sep", [1, 2, 3], [4, 5, 6]),
        ("tiny_same", [1, 2, 3], [1, 2, 3]),
        ("ties", [1, 1, 2, 2, 3, 3, 3], [2, 2, 3, 4, 4]),
        ("one_each", [0.5], [1.5]),
        ("const_equal", [2.0] * 30, [2.0] * 25),
        ("const_diff", [2.0] * 30, [3.0] * 25),
        ("interleaved", [1, 3, 5, 7, 9, 11], [2, 4, 6, 8, 10, 12, 14]),
    ]
    for name, a, b in lists:
        r = stats.ks_2samp(a, b, method="auto")
        lines.append("list %s %s %s %.17g %.17g" % (
            name, ",".join(repr(float(x)) for x in a), ",".join(repr(float(x)) for x in b),
            r.statistic, r.pvalue))
    specs = [
        ("small", "1:50:0:1:-1", "2:60:0:1:-1"),
        ("small_shift", "3:40:0:1:-1", "4:45:1:1:-1"),
        ("square_ties", "5:500:0:1:1", "6:500:0.1:1:1"),
        ("square_tiny_p", "7:2000:0:1:-1", "8:2000:1.5:1:-1"),
        ("exact_big", "9:10000:0:1:-1", "10:9000:0.05:1:-1"),
        ("switch_exact", "11:10000:0:1:-1", "12:5000:0.03:1:-1"),
        ("switch_asymp", "13:10001:0:1:-1", "14:5000:0.03:1:-1"),
        ("asymp_large", "15:50000:0:1:-1", "16:40000:0.02:1:-1"),
        ("asymp_tiny_p", "17:30000:0:1:-1", "18:20000:0.3:1:-1"),
        ("asymp_zero_p", "19:30000:0:1:-1", "20:20000:1:1:-1"),
        ("asymp_en30", "21:10001:0:1:-1", "22:30:0.3:1:-1"),
        ("asymp_en30_b", "23:10001:0:1:-1", "24:30:0.8:1:-1"),
        ("asymp_en196", "25:10001:0:1:-1", "26:200:0.2:1:-1"),
        ("asymp_ties", "27:20000:0:1:1", "28:15000:0:1:1"),
        ("identical_big", "29:20000:0:1:-1", "29:20000:0:1:-1"),
        ("exact_mid", "30:3000:0:1:-1", "31:1234:0.1:1:-1"),
        ("exact_tiny_p", "32:3000:0:1:-1", "33:1234:1.2:1:-1"),
    ]
    for name, sa, sb in specs:
        a, b = sample(sa), sample(sb)
        r = stats.ks_2samp(a, b, method="auto")
        lines.append("gen %s %s %s %.17g %.17g" % (name, sa, sb, r.statistic, r.pvalue))
    write("ks.txt", lines)

    # kstwo.sf and .cdf over every branch of Simard & L'Ecuyer
    kl = []
    for n in [1, 2, 5, 10, 50, 100, 140, 141, 500, 1000, 5000, 20000, 100000, 100001, 250000, 500000]:
        for z in [0.3, 0.5, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0, 13.0, 19.0, 26.0]:
            x = z / math.sqrt(n)
            if x > 1:
                continue
            kl.append("%d %.17g %.17g %.17g" % (n, x, stats.kstwo.sf(x, n), stats.kstwo.cdf(x, n)))
        for x in [0.5 / n + 1e-9, 0.75 / n, 1.0 / n, 1.5 / n, 0.5, 0.6, 0.95, 1 - 0.5 / n]:
            if x > 1:
                continue
            kl.append("%d %.17g %.17g %.17g" % (n, x, stats.kstwo.sf(x, n), stats.kstwo.cdf(x, n)))
    write("kstwo.txt", kl)


def psi_np(r, c):
    r = r / r.sum()
    c = c / c.sum()
    r = np.where(r == 0, 1e-4, r)
    c = np.where(c == 0, 1e-4, c)
    return float(np.sum((c - r) * np.log(c / r)))


def chi2_dist_fixtures():
    """chi2.txt: "NAME REF_COUNTS CUR_COUNTS STAT DF P PSI JS" where the test
    drops nothing itself: the expected values come from chi2_contingency on
    the table without all-zero columns."""
    lines = []
    tables = [
        ("basic", [10, 20, 30], [15, 15, 30]),
        ("one_side_only", [50, 30, 0, 20], [40, 30, 5, 25]),
        ("absent_both", [50, 0, 30, 20], [40, 0, 35, 25]),
        ("strong", [500, 300, 200], [100, 300, 600]),
        ("tiny_p", [100000, 50000, 1], [50000, 100000, 1]),
        ("single_cat", [100, 0], [50, 0]),
        ("ones", [1, 1], [1, 1]),
        ("many", [int(1000 + 37 * i) for i in range(100)],
         [int(1000 + 37 * ((i * 7) % 100)) for i in range(100)]),
    ]
    for name, r, c in tables:
        t = np.array([r, c], dtype=float)
        keep = t.sum(axis=0) > 0
        tt = t[:, keep]
        if tt.shape[1] < 2:
            stat, p, dof = 0.0, 1.0, 0
        else:
            stat, p, dof, _ = stats.chi2_contingency(tt, correction=False)
        js = float(spd.jensenshannon(t[0] / t[0].sum(), t[1] / t[1].sum(), base=2))
        lines.append("%s %s %s %.17g %d %.17g %.17g %.17g" % (
            name, ",".join(map(str, r)), ",".join(map(str, c)), stat, dof, p,
            psi_np(t[0], t[1]), js))
    write("chi2.txt", lines)

    # numeric distances: "NAME SPEC_REF SPEC_CUR WASS_NORM PSI JS"
    nl = []
    for name, sa, sb in [
        ("same", "41:2000:0:1:-1", "42:1500:0:1:-1"),
        ("shift", "43:2000:0:1:-1", "44:1500:0.5:2:-1"),
        ("ties", "45:3000:5:1:0", "46:2000:5.3:1:0"),
        ("const_ref", "47:100:3:0:-1", "48:100:3.5:1:-1"),
    ]:
        a, b = sample(sa), sample(sb)
        w = stats.wasserstein_distance(a, b) / max(np.std(a), 1e-3)
        edges = np.unique(np.quantile(a, [i / 10 for i in range(1, 10)]))
        ra = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1)
        rb = np.bincount(np.searchsorted(edges, b, side="right"), minlength=len(edges) + 1)
        ra, rb = ra.astype(float), rb.astype(float)
        js = float(spd.jensenshannon(ra / ra.sum(), rb / rb.sum(), base=2))
        nl.append("%s %s %s %.17g %.17g %.17g" % (name, sa, sb, w, psi_np(ra, rb), js))
    write("numeric_dist.txt", nl)


def embed_sample(spec):
    """'seed:n:dim:shift' -> float32 rows x[i][j] = (z + shift) / (1 + j), z
    standard normal in row-major order (fixture.h's fixture_embed)."""
    seed, n, dim, shift = spec.split(":")
    r = Rng(int(seed))
    n, dim, shift = int(n), int(dim), float(shift)
    out = np.empty((n, dim), dtype=np.float32)
    for i in range(n):
        for j in range(dim):
            out[i, j] = np.float32((r.normal() + shift) / (1.0 + j))
    return out


def embed_fixtures():
    from sklearn.decomposition import PCA
    lines = []
    # cosine between centroids
    for sa, sb in [("51:200:8:1", "52:150:8:1"), ("53:200:8:1", "54:150:8:-0.5"),
                   ("55:300:32:0.2", "56:300:32:0.25")]:
        a, b = embed_sample(sa), embed_sample(sb)
        d = spd.cosine(a.astype(float).mean(axis=0), b.astype(float).mean(axis=0))
        lines.append("cos %s %s %.17g" % (sa, sb, d))
    # PCA: "pca REF CUR VAR MAXK k ev_1..ev_k proj(3 rows x k) ksD ksP"
    for sr, sc, var, maxk in [("61:400:12:0", "62:300:12:0", 0.9, 32),
                              ("63:400:12:0", "64:300:12:0.3", 0.9, 4),
                              ("65:500:20:0", "66:500:20:0", 0.5, 32)]:
        ref, cur = embed_sample(sr).astype(float), embed_sample(sc).astype(float)
        pca = PCA(n_components=var, svd_solver="full").fit(ref)
        if pca.n_components_ > maxk:
            pca = PCA(n_components=maxk, svd_solver="full").fit(ref)
        k = pca.n_components_
        pr, pc = pca.transform(ref), pca.transform(cur)
        ds, ps = zip(*[(r.statistic, r.pvalue) for r in
                       (stats.ks_2samp(pr[:, j], pc[:, j]) for j in range(k))])
        fields = ["pca", sr, sc, repr(var), str(maxk), str(k)]
        fields += ["%.17g" % v for v in pca.explained_variance_]
        fields += ["%.17g" % v for v in pc[:3].ravel()]
        fields += ["%.17g" % max(ds), "%.17g" % min(1.0, k * min(ps))]
        lines.append(" ".join(fields))
    # MMD^2 unbiased with the median heuristic: "mmd X Y BANDWIDTH MMD2"
    for sx, sy in [("71:60:16:0", "72:50:16:0"), ("73:60:16:0", "74:50:16:0.5")]:
        x, y = embed_sample(sx).astype(float), embed_sample(sy).astype(float)
        z = np.vstack([x, y])
        sq = (z * z).sum(axis=1)
        d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * z @ z.T, 0)
        iu = np.triu_indices(len(z), 1)
        bw = float(np.median(d2[iu]))
        k = np.exp(-d2 / bw)
        n, m = len(x), len(y)
        kxx, kyy, kxy = k[:n, :n], k[n:, n:], k[:n, n:]
        mmd2 = ((kxx.sum() - n) / (n * (n - 1)) + (kyy.sum() - m) / (m * (m - 1))
                - 2 * kxy.mean())
        lines.append("mmd %s %s %.17g %.17g" % (sx, sy, bw, mmd2))
    write("embed.txt", lines)


def write(name, lines):
    with open(os.path.join(HERE, name), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    todo = sys.argv[1:] or ["ks", "chi2", "embed"]
    if "ks" in todo:
        ks_fixtures()
    if "chi2" in todo:
        chi2_dist_fixtures()
    if "embed" in todo:
        embed_fixtures()
