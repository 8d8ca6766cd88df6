#!/usr/bin/python3
"""Writes acat.txt: the Cauchy combination (ACAT, Liu & Xie 2020) of p-value
vectors, p = cauchy.sf(mean(tan((0.5 - p_i)·π))), computed with SciPy, for
test_calibrate.c's dd_acat() check.  Run from the repository root:
    python3 tests/unit/analysis/gen_acat.py"""
import numpy as np
from scipy import stats

rng = np.random.default_rng(14)
cases = [[0.5], [0.01, 0.2, 0.9], [1e-20, 0.5, 0.5], [0.3, 0.3, 0.3, 0.3], [0.999, 0.998],
         [0.04, 0.06, 0.5, 0.7, 0.01], [1e-10, 1e-3], list(rng.uniform(size=10)),
         list(rng.uniform(size=14) ** 3)]
with open("tests/unit/analysis/acat.txt", "w") as f:
    f.write("# ACAT (Liu & Xie 2020), equal weights: m p_1..p_m expected; "
            "by gen_acat.py (scipy.stats.cauchy)\n")
    for c in cases:
        c = np.array(c, dtype=float)
        t = np.mean(np.tan((0.5 - c) * np.pi))
        f.write("%d %s %.17g\n" % (len(c), " ".join("%.17g" % x for x in c), stats.cauchy.sf(t)))
