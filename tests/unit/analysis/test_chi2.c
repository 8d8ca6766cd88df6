/* Tests analysis/chi2.c against scipy.stats.chi2_contingency(correction=False)
 * (chi2.txt: "NAME REF CUR STAT DF P PSI JS", counts comma-separated) and
 * its degenerate cases. */
#include <stdint.h>
#include <stdlib.h>

#include "analysis/chi2.h"
#include "base/err.h"
#include "check.h"
#include "fixture.h"

static size_t counts_of(const char *s, uint64_t *out, size_t cap)
{
    size_t n;
    double *v = fixture_list(s, &n);
    for (size_t i = 0; i < n && i < cap; i++)
        out[i] = (uint64_t)v[i];
    free(v);
    return n;
}

int main(void)
{
    FILE *f = fixture_open("chi2.txt");
    char line[8192], name[64], sr[4000], sc[4000];
    double stat, p, psi, js;
    int df, cases = 0;
    uint64_t r[256], c[256];
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%63s %3999s %3999s %lf %d %lf %lf %lf", name, sr, sc, &stat, &df, &p,
                   &psi, &js) != 8)
            continue;
        size_t k = counts_of(sr, r, 256);
        CHECK_EQ_INT(counts_of(sc, c, 256), k);
        struct dd_chi2_result res;
        CHECK_EQ_INT(dd_chi2_homogeneity(r, c, k, &res), 0);
        if (fabs(res.statistic - stat) > 1e-9 * stat + 1e-12 || fabs(res.p_value - p) > 1e-6 * p + 1e-300)
            fprintf(stderr, "chi2 %s: got %.17g %d %.17g want %.17g %d %.17g\n", name,
                    res.statistic, res.df, res.p_value, stat, df, p);
        CHECK_CLOSE(res.statistic, stat, 1e-9, 1e-12);
        CHECK_CLOSE(res.p_value, p, 1e-6, 1e-300);
        /* SciPy reports dof 1 for a 2x2 table of equal rows; K' - 1 otherwise */
        CHECK_EQ_INT(res.df, df);
        cases++;
    }
    fclose(f);
    CHECK(cases >= 8);

    /* degenerate: empty row, nothing observed, index out of range */
    uint64_t z[3] = {0, 0, 0}, a[3] = {1, 2, 3};
    struct dd_chi2_result res;
    CHECK_EQ_INT(dd_chi2_homogeneity(z, a, 3, &res), DD_EINSUFFICIENT);
    CHECK_EQ_INT(dd_chi2_homogeneity(a, z, 3, &res), DD_EINSUFFICIENT);
    uint64_t one_r[3] = {0, 7, 0}, one_c[3] = {0, 3, 0};
    CHECK_EQ_INT(dd_chi2_homogeneity(one_r, one_c, 3, &res), 0);
    CHECK(res.statistic == 0 && res.p_value == 1 && res.df == 0);
    uint32_t idx[4] = {0, 1, 2, 3};
    uint64_t cnt[3];
    CHECK_EQ_INT(dd_count_categories(idx, 3, cnt, 3), 0);
    CHECK(cnt[0] == 1 && cnt[1] == 1 && cnt[2] == 1);
    CHECK_EQ_INT(dd_count_categories(idx, 4, cnt, 3), DD_EINVAL);
    CHECK_DONE();
}
