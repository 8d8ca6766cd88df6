/* ks.h — two-sample Kolmogorov–Smirnov test, two-sided.
 *
 * Matches scipy.stats.ks_2samp(a, b, alternative='two-sided', method='auto')
 * (SciPy 1.10): D = max over the union of values of |F_a - F_b| (ties handled
 * by evaluating both ECDFs after every copy of a value); the p-value is the
 * exact null distribution when max(n, m) ≤ 10000 (Hodges' lattice-path
 * counting: _compute_prob_outside_square for n = m, the Viehmann 1 - p
 * recursion otherwise) and, when that is not possible or fails, kstwo.sf(D,
 * round(n·m/(n+m))) (analysis/kolmogorov.h).
 *
 * Errors: DD_EINSUFFICIENT for an empty sample, DD_EINVAL for NaN/Inf values
 * (or an unsorted array given to the _sorted entry point).
 * Threading: no shared state.
 */
#ifndef DD_KS_H
#define DD_KS_H
#include <stddef.h>

/* SciPy's MAX_AUTO_N: exact distribution up to this sample size. */
#define DD_KS_MAX_EXACT_N 10000

struct dd_ks_result {
    double statistic; /* D in [0, 1] */
    double p_value;   /* in [0, 1] */
    int exact;        /* 1 if the exact distribution gave p */
};

/* Copies and sorts both samples (analysis/sort.h), then dd_ks_2samp_sorted. */
int dd_ks_2samp(const double *a, size_t n, const double *b, size_t m, struct dd_ks_result *out);

/* Both arrays already ascending (the server keeps the reference sorted):
 * O(n + m).  Checks the order and rejects NaN/Inf in O(n + m) too. */
int dd_ks_2samp_sorted(const double *a, size_t n, const double *b, size_t m,
                       struct dd_ks_result *out);

/* Only the statistic, from sorted arrays (no checks). */
double dd_ks_statistic_sorted(const double *a, size_t n, const double *b, size_t m);

/* The two-sided p-value of D for sample sizes n, m (method 'auto').  *exact
 * (may be NULL) says which branch answered.  Writes back into *d the D that
 * SciPy reports (the exact branch rounds it to a multiple of 1/lcm(n, m)). */
double dd_ks_pvalue(double *d, size_t n, size_t m, int *exact);

#endif
