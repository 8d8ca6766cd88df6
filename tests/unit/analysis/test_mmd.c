/* Tests analysis/mmd.c: the unbiased MMD² and median-heuristic bandwidth
 * against numpy (embed.txt lines "mmd X Y BANDWIDTH MMD2"), the permutation
 * p-value's behaviour (shift -> small, none -> not small), reproducibility
 * from the seed, the subsample bound and the degenerate inputs. */
#include <stdlib.h>
#include <string.h>

#include "analysis/mmd.h"
#include "base/err.h"
#include "check.h"
#include "fixture.h"

/* "mmd X Y BANDWIDTH MMD2": the unbiased MMD² at that bandwidth, and the
 * test's median-heuristic bandwidth and statistic */
static void mmd_line(char *rest)
{
    char sx[64], sy[64];
    double bw, want;
    if (sscanf(rest, "%63s %63s %lf %lf", sx, sy, &bw, &want) != 4) {
        fprintf(stderr, "bad mmd line '%s'\n", rest);
        CHECK(0);
        return;
    }
    size_t n, m, dim, d2;
    float *x = fixture_embed(sx, &n, &dim), *y = fixture_embed(sy, &m, &d2);
    double got;
    CHECK_EQ_INT(dd_mmd2_unbiased(x, n, y, m, dim, bw, &got), 0);
    CHECK_CLOSE(got, want, 1e-8, 1e-12);
    struct dd_mmd_result r;
    CHECK_EQ_INT(dd_mmd_test(x, n, y, m, dim, 100, 1000, 7, &r), 0);
    CHECK_CLOSE(r.bandwidth, bw, 1e-9, 0); /* the median heuristic */
    CHECK_CLOSE(r.statistic, want, 1e-8, 1e-12);
    free(x);
    free(y);
}

TEST(fixtures)
{
    CHECK_EQ_INT(fixture_each_line("embed.txt", "mmd", mmd_line), 2);
}

/* a shift gets a small p-value and none a large one; the seed fixes the
 * answer; the subsample bound holds */
TEST(pvalues)
{
    struct fixture_rows x = fixture_rows("91:300:16:0"), same = fixture_rows("92:300:16:0"),
                        shifted = fixture_rows("93:300:16:0.3");
    size_t dim = x.dim;
    struct dd_mmd_result a, b;
    CHECK_EQ_INT(dd_mmd_test(x.v, x.n, shifted.v, shifted.n, dim, 100, 1000, 1, &a), 0);
    CHECK_CMP_DBL(a.p_value, <=, 2.0 / 101);
    CHECK_CMP_DBL(a.statistic, >, 0);
    CHECK_EQ_INT(dd_mmd_test(x.v, x.n, same.v, same.n, dim, 100, 1000, 1, &a), 0);
    CHECK_CMP_DBL(a.p_value, >, 0.05);
    /* the seed fixes the answer */
    CHECK_EQ_INT(dd_mmd_test(x.v, x.n, same.v, same.n, dim, 100, 1000, 1, &b), 0);
    CHECK_EQ_DBL(a.p_value, b.p_value);
    CHECK_EQ_DBL(a.statistic, b.statistic);
    /* subsample bound */
    CHECK_EQ_INT(dd_mmd_test(x.v, x.n, shifted.v, shifted.n, dim, 50, 120, 3, &a), 0);
    CHECK_EQ_INT(a.n_x, 120);
    CHECK_EQ_INT(a.n_y, 120);
    CHECK_CMP_DBL(a.p_value, >=, 1.0 / 51);
    CHECK_CMP_DBL(a.p_value, <=, 1);
    free(x.v);
    free(same.v);
    free(shifted.v);
}

/* p-values are roughly uniform under no shift: not too many small ones */
TEST(pvalues_without_shift)
{
    struct fixture_rows x = fixture_rows("94:60:8:0");
    struct dd_mmd_result a;
    int small = 0;
    for (int t = 0; t < 40; t++) {
        char spec[64];
        snprintf(spec, sizeof spec, "%d:60:8:0", 1000 + t);
        struct fixture_rows y = fixture_rows(spec);
        CHECK_EQ_INT(dd_mmd_test(x.v, x.n, y.v, y.n, x.dim, 50, 1000, (uint64_t)t, &a), 0);
        small += a.p_value <= 0.05;
        free(y.v);
    }
    CHECK_CMP_INT(small, <=, 8);
    free(x.v);
}

TEST(degenerate)
{
    float c[40];
    for (int i = 0; i < 40; i++)
        c[i] = 1.0f;
    struct dd_mmd_result r;
    CHECK_EQ_INT(dd_mmd_test(c, 10, c, 10, 4, 20, 1000, 1, &r), 0); /* all equal */
    CHECK_EQ_DBL(r.statistic, 0);
    CHECK_EQ_DBL(r.p_value, 1);
    CHECK(isfinite(r.bandwidth));
    CHECK_EQ_INT(dd_mmd_test(c, 1, c, 10, 4, 20, 1000, 1, &r), DD_EINSUFFICIENT);
    CHECK_EQ_INT(dd_mmd_test(c, 10, c, 10, 0, 20, 1000, 1, &r), DD_EINVAL);
    c[5] = NAN;
    CHECK_EQ_INT(dd_mmd_test(c, 10, c, 10, 4, 20, 1000, 1, &r), DD_EINVAL);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(fixtures);
    RUN(pvalues);
    RUN(pvalues_without_shift);
    RUN(degenerate);
    CHECK_DONE();
}
