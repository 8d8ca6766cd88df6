"""Populations, shifts and the NDJSON writer of the verdict benchmark (issue #14).

The real family: scikit-learn's bundled wine data set (178 rows, 13 numeric
features, 3 cultivars; shipped by Debian's python3-sklearn, no download).  A
stratified half trains a real model, an MLPClassifier with one hidden layer of
16 ReLU units on standardised features; the other half (89 rows, never seen in
training) is the monitored population.  89 rows are too few for windows of
1000, so the population is a *smoothed bootstrap* of them: draw rows with
replacement, add Gaussian jitter of JITTER x each feature's standard deviation,
then run the model.  Every event carries what driftd ingests from a classifier:

  prediction     the predicted class (0, 1, 2)
  confidence     the largest class probability
  probabilities  the 3 class probabilities (driftd: probability:0..2)
  embedding_b64  the 16 hidden-layer activations (float32)
  features       the 13 numeric inputs and `color_band`, a categorical feature
                 derived from the data: color_intensity binned at the
                 population's terciles as "low" / "mid" / "high"

so `driftd check` runs 20 p-value tests per report (confidence, prediction,
3 x probability, embedding pca_ks, 13 x feature ks, color_band chi2).

Shifts (applied to the current window only; the model then runs on the shifted
inputs, so its outputs move as a deployed model's would).  The sizes are
chosen so that power climbs with the window size instead of being 0 or 1
everywhere:

  noise        covariate noise: every feature + N(0, (0.5 sd)^2)
  scaling      feature scaling: 4 features (alcohol, ash, magnesium, hue) x 1.03
  label        label shift: class priors 0.5 / 0.25 / 0.25 instead of ~1/3 each
  missing      a missing class: no rows of class 2
  corrupt      partial corruption: 20% of rows get + N(0, (2 sd)^2) on every feature
  newcat       a new category: 2% of rows have color_band = "unknown"

The synthetic family has no model: 20 numeric features drawn from a
multivariate normal, either independent or equicorrelated at 0.9, to check
that the verdict is calibrated at both ends of the dependence range.
"""
import base64

import numpy as np

JITTER = 0.10         # smoothed bootstrap: jitter sd as a share of each feature's sd
HIDDEN = 16           # hidden units = embedding dimension
NAMES = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium",
         "total_phenols", "flavanoids", "nonflavanoid_phenols", "proanthocyanins",
         "color_intensity", "hue", "od280_od315", "proline"]
COLOR = NAMES.index("color_intensity")

SHIFTS = {
    "noise": "covariate noise, every feature + N(0, (0.5 sd)^2)",
    "scaling": "feature scaling, alcohol/ash/magnesium/hue x 1.03",
    "label": "label shift, class priors 0.5/0.25/0.25",
    "missing": "missing class, no rows of class 2",
    "corrupt": "partial corruption, 20% of rows + N(0, (2 sd)^2)",
    "newcat": "new category, 2% of rows color_band='unknown'",
}


class Wine:
    """The trained model and its smoothed-bootstrap population."""

    def __init__(self, seed=14):
        from sklearn.datasets import load_wine
        from sklearn.model_selection import train_test_split
        from sklearn.neural_network import MLPClassifier
        from sklearn.preprocessing import StandardScaler

        d = load_wine()
        xtr, xpop, ytr, ypop = train_test_split(d.data, d.target, test_size=0.5,
                                                stratify=d.target, random_state=seed)
        self.scaler = StandardScaler().fit(xtr)
        self.mlp = MLPClassifier(hidden_layer_sizes=(HIDDEN,), alpha=1e-2, max_iter=3000,
                                 random_state=seed).fit(self.scaler.transform(xtr), ytr)
        self.accuracy = float(self.mlp.score(self.scaler.transform(xpop), ypop))
        self.x = xpop
        self.y = ypop
        self.sd = xpop.std(axis=0, ddof=1)
        self.classes = int(d.target.max()) + 1
        # terciles of color_intensity in the (smoothed) population, fixed once
        r = np.random.default_rng(seed)
        big = self._jitter(r, self.x[r.integers(0, len(self.x), 200000)])
        self.color_cuts = np.quantile(big[:, COLOR], [1 / 3, 2 / 3])

    def _jitter(self, rng, x):
        return x + rng.standard_normal(x.shape) * (JITTER * self.sd)

    def draw(self, rng, n, shift=None):
        """n events of the population, optionally shifted: a dict of arrays."""
        w = np.ones(len(self.y))
        if shift == "label":
            pri = np.array([0.5, 0.25, 0.25])
            w = pri[self.y] / np.bincount(self.y, minlength=self.classes)[self.y]
        elif shift == "missing":
            w = (self.y != 2).astype(float)
        idx = rng.choice(len(self.y), size=n, replace=True, p=w / w.sum())
        x = self._jitter(rng, self.x[idx])
        if shift == "noise":
            x = x + rng.standard_normal(x.shape) * (0.5 * self.sd)
        elif shift == "scaling":
            for f in ("alcohol", "ash", "magnesium", "hue"):
                x[:, NAMES.index(f)] *= 1.03
        elif shift == "corrupt":
            hit = rng.random(n) < 0.20
            x[hit] += rng.standard_normal((int(hit.sum()), x.shape[1])) * (2.0 * self.sd)
        band = np.array(["low", "mid", "high"])[np.searchsorted(self.color_cuts, x[:, COLOR])]
        if shift == "newcat":
            band = band.astype(object)
            band[rng.random(n) < 0.02] = "unknown"
        z = self.scaler.transform(x)
        hidden = np.maximum(z @ self.mlp.coefs_[0] + self.mlp.intercepts_[0], 0.0)
        proba = self.mlp.predict_proba(z)
        return {"x": x, "z": z, "band": band, "emb": hidden.astype(np.float32),
                "proba": proba, "pred": proba.argmax(axis=1)}


class Synthetic:
    """20 numeric features, N(0, S) with S = (1 - rho) I + rho 11'."""

    def __init__(self, rho, dims=20):
        self.rho = rho
        self.dims = dims

    def draw(self, rng, n):
        common = rng.standard_normal((n, 1))
        own = rng.standard_normal((n, self.dims))
        return {"x": np.sqrt(self.rho) * common + np.sqrt(1.0 - self.rho) * own}


def _num(v):
    return repr(float(v))


def write_wine(path, ev):
    """The events of Wine.draw() as NDJSON in driftd's ingest format."""
    x, band, emb, proba, pred = ev["x"], ev["band"], ev["emb"], ev["proba"], ev["pred"]
    with open(path, "w") as f:
        for i in range(len(pred)):
            feats = ",".join(f'"{NAMES[j]}":{x[i, j]:.6g}' for j in range(x.shape[1]))
            p = proba[i]
            probs = ",".join(_num(min(max(v, 0.0), 1.0)) for v in p)
            b64 = base64.b64encode(emb[i].astype("<f4").tobytes()).decode()
            f.write(f'{{"prediction":{int(pred[i])},"confidence":{_num(min(p.max(), 1.0))},'
                    f'"probabilities":[{probs}],"embedding_b64":"{b64}",'
                    f'"features":{{{feats},"color_band":"{band[i]}"}}}}\n')


def write_synth(path, ev):
    x = ev["x"]
    with open(path, "w") as f:
        for i in range(x.shape[0]):
            f.write('{"features":{' + ",".join(f'"s{j:02d}":{x[i, j]:.9g}'
                                               for j in range(x.shape[1])) + "}}\n")
