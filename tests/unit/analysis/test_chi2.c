/* Tests analysis/chi2.c against scipy.stats.chi2_contingency(correction=False)
 * (chi2.txt: "NAME REF CUR STAT DF P PSI JS", counts comma-separated) and
 * its degenerate cases. */
#include <stdint.h>
#include <stdlib.h>

#include "analysis/chi2.h"
#include "base/err.h"
#include "check.h"
#include "fixture.h"

TEST(fixtures)
{
    FILE *f = fixture_open("chi2.txt");
    struct fixture_counts t;
    int cases = 0;
    while (fixture_next_counts(f, &t)) {
        CHECK_EQ_INT(t.k_cur, t.k);
        struct dd_chi2_result res;
        CHECK_EQ_INT(dd_chi2_homogeneity(t.ref, t.cur, t.k, &res), 0);
        if (fabs(res.statistic - t.stat) > 1e-9 * t.stat + 1e-12 ||
            fabs(res.p_value - t.p) > 1e-6 * t.p + 1e-300)
            fprintf(stderr, "chi2 %s: got %.17g %d %.17g want %.17g %d %.17g\n", t.name,
                    res.statistic, res.df, res.p_value, t.stat, t.df, t.p);
        CHECK_CLOSE(res.statistic, t.stat, 1e-9, 1e-12);
        CHECK_CLOSE(res.p_value, t.p, 1e-6, 1e-300);
        /* SciPy reports dof 1 for a 2x2 table of equal rows; K' - 1 otherwise */
        CHECK_EQ_INT(res.df, t.df);
        cases++;
    }
    fclose(f);
    CHECK_CMP_INT(cases, >=, 8);
}

/* degenerate: empty row, nothing observed, index out of range */
TEST(degenerate)
{
    uint64_t z[3] = {0, 0, 0}, a[3] = {1, 2, 3};
    struct dd_chi2_result res;
    CHECK_EQ_INT(dd_chi2_homogeneity(z, a, 3, &res), DD_EINSUFFICIENT);
    CHECK_EQ_INT(dd_chi2_homogeneity(a, z, 3, &res), DD_EINSUFFICIENT);
    uint64_t one_r[3] = {0, 7, 0}, one_c[3] = {0, 3, 0};
    CHECK_EQ_INT(dd_chi2_homogeneity(one_r, one_c, 3, &res), 0);
    CHECK_EQ_DBL(res.statistic, 0);
    CHECK_EQ_DBL(res.p_value, 1);
    CHECK_EQ_INT(res.df, 0);
    uint32_t idx[4] = {0, 1, 2, 3};
    uint64_t cnt[3];
    CHECK_EQ_INT(dd_count_categories(idx, 3, cnt, 3), 0);
    CHECK_EQ_INT(cnt[0], 1);
    CHECK_EQ_INT(cnt[1], 1);
    CHECK_EQ_INT(cnt[2], 1);
    CHECK_EQ_INT(dd_count_categories(idx, 4, cnt, 3), DD_EINVAL);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(fixtures);
    RUN(degenerate);
    CHECK_DONE();
}
