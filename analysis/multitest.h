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

/* Holm-adjusted p-values (= statsmodels multipletests(method='holm')). */
void dd_holm_adjust(const double *p, size_t m, double *adjusted);

#endif
