/* chi2.h — chi-squared test of homogeneity on the 2×K table of category counts
 * (reference row, current row).
 *
 * Matches scipy.stats.chi2_contingency(table, correction=False) on the table
 * with the categories absent from both rows dropped (a category seen in one
 * row only is kept): statistic Σ (O - E)² / E with E = row·col / total,
 * df = K' - 1, p = gsl_cdf_chisq_Q(statistic, df).  With K' < 2 the two rows
 * cannot differ: statistic 0, df 0, p 1 (as SciPy answers for dof = 0).
 *
 * Errors: DD_EINSUFFICIENT when a row is empty, DD_EINVAL for a category
 * index out of range.  Threading: no shared state.
 */
#ifndef DD_CHI2_H
#define DD_CHI2_H
#include <stddef.h>
#include <stdint.h>

struct dd_chi2_result {
    double statistic;
    double p_value;
    int df;
};

/* counts[idx[i]]++ for i < n, counts zeroed first; DD_EINVAL if idx >= k. */
int dd_count_categories(const uint32_t *idx, size_t n, uint64_t *counts, size_t k);

int dd_chi2_homogeneity(const uint64_t *ref, const uint64_t *cur, size_t k,
                        struct dd_chi2_result *out);

#endif
