/* chi2.c — 2×K chi-squared homogeneity test; the tail from GSL. */
#include "analysis/chi2.h"

#include <gsl/gsl_cdf.h>
#include <string.h>

#include "base/err.h"

int dd_count_categories(const uint32_t *idx, size_t n, uint64_t *counts, size_t k)
{
    memset(counts, 0, k * sizeof *counts);
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= k)
            return DD_EINVAL;
        counts[idx[i]]++;
    }
    return 0;
}

int dd_chi2_homogeneity(const uint64_t *ref, const uint64_t *cur, size_t k,
                        struct dd_chi2_result *out)
{
    uint64_t nr = 0, nc = 0;
    size_t used = 0;
    for (size_t j = 0; j < k; j++) {
        nr += ref[j];
        nc += cur[j];
        used += (ref[j] + cur[j]) > 0;
    }
    if (nr == 0 || nc == 0)
        return DD_EINSUFFICIENT;
    if (used < 2) {
        out->statistic = 0.0;
        out->p_value = 1.0;
        out->df = 0;
        return 0;
    }
    double total = (double)nr + (double)nc;
    double fr = (double)nr / total, fc = (double)nc / total;
    double stat = 0.0;
    for (size_t j = 0; j < k; j++) {
        double col = (double)ref[j] + (double)cur[j];
        if (col == 0)
            continue;
        double er = col * fr, ec = col * fc;
        double dr = (double)ref[j] - er, dc = (double)cur[j] - ec;
        stat += dr * dr / er + dc * dc / ec;
    }
    out->statistic = stat;
    out->df = (int)(used - 1);
    out->p_value = gsl_cdf_chisq_Q(stat, (double)out->df);
    return 0;
}
