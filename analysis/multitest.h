/* multitest.h — multiple-testing corrections for the report's verdict.
 *
 * Holm–Bonferroni (Holm 1979): sort the m p-values ascending; reject
 * p_(1..j) while p_(i) <= alpha / (m - i + 1); stop at the first that is not.
 * Controls the family-wise error rate at alpha under any dependence, and is
 * uniformly more powerful than Bonferroni.  NaN p-values are not part of the
 * family (the caller passes only real tests).
 *
 * Threading: no shared state.
 */
#ifndef DD_MULTITEST_H
#define DD_MULTITEST_H
#include <stddef.h>

/* reject[i] = 1 for the rejected hypotheses, 0 otherwise; returns how many. */
size_t dd_holm(const double *p, size_t m, double alpha, int *reject);

/* The level each p-value was judged at, so that reject[i] (dd_holm()) is
 * exactly p[i] <= level[i]: in ascending order, alpha / (m - i) for the
 * hypotheses up to and including the first that is not rejected, and that
 * first one's level for every larger p-value (Holm stops there: they are
 * not compared with a level of their own, and each is >= the p-value that
 * failed it).  What `driftd check`'s table shows per test row. */
void dd_holm_levels(const double *p, size_t m, double alpha, double *level);

/* Holm-adjusted p-values (= statsmodels multipletests(method='holm')). */
void dd_holm_adjust(const double *p, size_t m, double *adjusted);

#endif
