"""Verdict rules of the verdict benchmark (issue #14), computed in Python.

  holm(ps, alpha)      driftd's verdict before issue #14: Holm-Bonferroni over the
                       report's test rows.  Its global decision is its first step,
                       min p <= alpha / m, so that is what is computed.
  acat(ps)             the Cauchy combination (Liu & Xie 2020):
                       T = mean(tan((1/2 - p) pi)), p = 1/2 - arctan(T) / pi.
  peers(ref, cur, a)   the peers' usual bundle (Rabanser et al. 2019, alibi-detect,
                       Evidently): KS per softmax output with Bonferroni over the
                       outputs, chi2 on the predicted classes, KS per PCA component
                       of the standardised numeric inputs (PCA fitted on the
                       reference, 90% of the variance) with Bonferroni over the
                       components; each at alpha, drift when any fires.
"""
import numpy as np
from scipy import stats


def holm(ps, alpha):
    return len(ps) > 0 and min(ps) <= alpha / len(ps)


def acat(ps):
    p = np.clip(np.asarray(ps, dtype=float), 1e-300, 1.0 - 1e-15)
    small = p < 1e-15  # tan((1/2 - p) pi) ~ 1 / (p pi) without losing digits
    t = np.where(small, 1.0 / (p * np.pi), np.tan((0.5 - p) * np.pi))
    stat = t.mean()
    if stat > 1e15:
        return float(1.0 / (stat * np.pi))
    return float(0.5 - np.arctan(stat) / np.pi)


def _chi2(a, b, k):
    t = np.array([np.bincount(a, minlength=k), np.bincount(b, minlength=k)])
    t = t[:, t.sum(axis=0) > 0]
    if t.shape[1] < 2:
        return 1.0
    return float(stats.chi2_contingency(t, correction=False)[1])


def _pca_components(zr, variance=0.9):
    mu = zr.mean(axis=0)
    _, s, vt = np.linalg.svd(zr - mu, full_matrices=False)
    share = np.cumsum(s ** 2) / np.sum(s ** 2)
    k = int(np.searchsorted(share, variance, side="right")) + 1
    return mu, vt[:min(k, len(s))]


def peers(ref, cur, alpha):
    """The bundle's decision (bool) and its three parts' p-values."""
    k = ref["proba"].shape[1]
    p_soft = min(1.0, k * min(stats.ks_2samp(ref["proba"][:, j], cur["proba"][:, j]).pvalue
                              for j in range(k)))
    p_pred = _chi2(ref["pred"], cur["pred"], k)
    # standardise with the reference (what a monitoring pipeline knows)
    mu, sd = ref["x"].mean(axis=0), ref["x"].std(axis=0, ddof=1)
    sd[sd == 0] = 1.0
    zr, zc = (ref["x"] - mu) / sd, (cur["x"] - mu) / sd
    c, comps = _pca_components(zr)
    pr, pc = (zr - c) @ comps.T, (zc - c) @ comps.T
    p_pca = min(1.0, len(comps) * min(stats.ks_2samp(pr[:, j], pc[:, j]).pvalue
                                      for j in range(len(comps))))
    return (p_soft <= alpha or p_pred <= alpha or p_pca <= alpha), (p_soft, p_pred, p_pca)
