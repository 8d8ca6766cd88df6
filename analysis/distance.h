/* distance.h — effect sizes between a reference and a current distribution:
 * PSI, Jensen–Shannon distance, normalised Wasserstein-1.
 *
 * These have no p-value: drift is "statistic > threshold" (defaults below).
 *
 * - PSI = Σ (c_i - r_i) · ln(c_i / r_i) over category or bin shares, a share
 *   of 0 replaced by DD_PSI_EPS (as Evidently does).
 * - Jensen–Shannon = scipy.spatial.distance.jensenshannon(r, c, base=2): the
 *   square root of the JS divergence in bits, in [0, 1].
 * - Wasserstein = scipy.stats.wasserstein_distance(ref, cur) divided by
 *   max(std(ref), DD_WASSERSTEIN_MIN_STD) (np.std, ddof 0), so the threshold
 *   reads "in reference standard deviations" (Evidently's normalisation).
 * Numeric signals get PSI and JS on shared bins: the reference deciles
 * (dd_numeric_bins), bins [e_i, e_i+1) open at both ends.
 *
 * Errors: DD_EINSUFFICIENT for an empty side.  Threading: no shared state.
 */
#ifndef DD_DISTANCE_H
#define DD_DISTANCE_H
#include <stddef.h>
#include <stdint.h>

#define DD_PSI_EPS 1e-4
#define DD_WASSERSTEIN_MIN_STD 1e-3
#define DD_NUMERIC_BINS 10
#define DD_DEFAULT_PSI 0.2
#define DD_DEFAULT_JS 0.1
#define DD_DEFAULT_WASSERSTEIN 0.1

/* From counts (k categories or bins); shares computed inside. */
int dd_psi_counts(const uint64_t *ref, const uint64_t *cur, size_t k, double *out);
int dd_js_counts(const uint64_t *ref, const uint64_t *cur, size_t k, double *out);

/* scipy.stats.wasserstein_distance on ascending arrays, O(n + m). */
double dd_wasserstein_sorted(const double *a, size_t n, const double *b, size_t m);
/* The normalised distance (a = reference, both ascending). */
int dd_wasserstein_norm_sorted(const double *ref, size_t n, const double *cur, size_t m,
                               double *out);

/* Edges of the shared bins from the ascending reference: the interior
 * quantiles i/nbins (numpy's linear interpolation), duplicates removed.
 * edges must hold nbins - 1 values; returns how many were written. */
size_t dd_numeric_bins(const double *ref_sorted, size_t n, size_t nbins, double *edges);
/* counts[b] for bins [e_{b-1}, e_b) (n_edges + 1 bins) of an ascending array. */
void dd_bin_counts_sorted(const double *x, size_t n, const double *edges, size_t n_edges,
                          uint64_t *counts);

#endif
