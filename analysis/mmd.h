/* mmd.h — maximum mean discrepancy two-sample test with an RBF kernel.
 *
 * Statistic: the unbiased MMD² (Gretton et al. 2012, eq. 3) with kernel
 * k(x, y) = exp(-‖x - y‖² / (2σ²)), 2σ² = the median of the pairwise squared
 * distances over the pooled (subsampled) rows (the median heuristic; if that
 * median is 0, the mean, and 1 if all rows coincide).  p-value by permutation
 * of the pooled rows: p = (1 + #{perm: MMD² ≥ observed}) / (1 + P), so
 * p >= 1/(P+1): eval.c sizes P per report (dd_mmd_permutations_for()) so
 * that this can pass Holm's level (alibi-detect's MMDDrift uses 100).
 *
 * Cost: at most max_samples rows per side (a seeded random subset without
 * replacement), the N×N kernel matrix computed once (Gram matrix with
 * cblas_dsyrk), and all permutations at once as one matrix product
 * K · L (cblas_dsymm), L the membership indicators of up to 256 splits
 * at a time, so P permutations cost O(P·N²) multiply-adds, no kernel
 * recomputation, and memory bounded whatever P is.
 *
 * Errors: DD_EINSUFFICIENT (fewer than 2 rows on a side), DD_EINVAL (dim 0,
 * NaN/Inf).  Threading: no shared state; the RNG is seeded per call.
 */
#ifndef DD_MMD_H
#define DD_MMD_H
#include <stddef.h>
#include <stdint.h>

struct dd_mmd_result {
    double statistic; /* unbiased MMD² */
    double p_value;
    double bandwidth; /* 2σ² used in exp(-d²/2σ²) */
    size_t n_x, n_y;  /* rows used after subsampling */
};

int dd_mmd_test(const float *x, size_t n, const float *y, size_t m, size_t dim, size_t permutations,
                size_t max_samples, uint64_t seed, struct dd_mmd_result *out);

/* The statistic alone for a given bandwidth (2σ²), no subsampling: the
 * reference the tests compare with numpy. */
int dd_mmd2_unbiased(const float *x, size_t n, const float *y, size_t m, size_t dim,
                     double two_sigma2, double *out);

#endif
