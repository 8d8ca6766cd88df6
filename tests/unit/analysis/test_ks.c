/* Tests analysis/ks.c and analysis/kolmogorov.c against SciPy 1.10
 * (fixtures from gen_fixtures.py):
 *   kstwo.txt: "n x sf cdf" = scipy.stats.kstwo.sf(x, n) and .cdf(x, n) over every branch;
 *   ks.txt:    "list NAME A B D P" or "gen NAME SPEC_A SPEC_B D P" =
 *              scipy.stats.ks_2samp(a, b, method='auto').
 * Required agreement: D to 1e-9, p to 1e-6 relative (1e-12 absolute for tiny
 * p).  Also: the pre-sorted entry point, the exact/asymptotic switch, sorting,
 * and the degenerate inputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/kolmogorov.h"
#include "analysis/ks.h"
#include "analysis/sort.h"
#include "base/err.h"
#include "check.h"
#include "fixture.h"

TEST(kstwo)
{
    FILE *f = fixture_open("kstwo.txt");
    long n;
    double x, sf, cdf;
    int lines = 0;
    while (fscanf(f, "%ld %lf %lf %lf", &n, &x, &sf, &cdf) == 4) {
        double got = dd_kolmogn_sf(n, x), got_cdf = dd_kolmogn_cdf(n, x);
        lines++;
        if (!(fabs(got - sf) <= 1e-300 + 1e-6 * sf && (sf > 1e-12 || fabs(got - sf) <= 1e-12)))
            fprintf(stderr, "kstwo n=%ld x=%.17g: got %.17g want %.17g\n", n, x, got, sf);
        CHECK_CLOSE(got, sf, 1e-6, 1e-300);
        /* the lower tail is computed, not 1 - sf: relative precision there too */
        if (!(fabs(got_cdf - cdf) <= 1e-300 + 1e-6 * cdf))
            fprintf(stderr, "kstwo.cdf n=%ld x=%.17g: got %.17g want %.17g\n", n, x, got_cdf, cdf);
        CHECK_CLOSE(got_cdf, cdf, 1e-6, 1e-300);
    }
    CHECK_CMP_INT(lines, >, 300);
    fclose(f);
}

static void check_case(const char *name, double *a, size_t n, double *b, size_t m, double d,
                       double p)
{
    struct dd_ks_result r;
    int rc = dd_ks_2samp(a, n, b, m, &r);
    CHECK_EQ_INT(rc, 0);
    if (fabs(r.statistic - d) > 1e-9 || fabs(r.p_value - p) > 1e-12 + 1e-6 * p)
        fprintf(stderr, "ks %s (n=%zu m=%zu): got D=%.17g p=%.17g want D=%.17g p=%.17g\n", name, n,
                m, r.statistic, r.p_value, d, p);
    CHECK_CLOSE(r.statistic, d, 0, 1e-9);
    CHECK_CLOSE(r.p_value, p, 1e-6, p < 1e-12 ? 1e-300 : 1e-12);
    if (p < 1e-12) /* tiny p: both absolute 1e-12 and relative 1e-6 */
        CHECK_CLOSE(r.p_value, p, 1e-6, 1e-300);
    CHECK_EQ_INT(r.exact, (n > m ? n : m) <= DD_KS_MAX_EXACT_N);

    /* the pre-sorted entry point gives the same answer */
    dd_sort_doubles(a, n);
    dd_sort_doubles(b, m);
    struct dd_ks_result s;
    CHECK_EQ_INT(dd_ks_2samp_sorted(a, n, b, m, &s), 0);
    CHECK_EQ_DBL(s.statistic, r.statistic);
    CHECK_EQ_DBL(s.p_value, r.p_value);
}

TEST(ks_fixtures)
{
    FILE *f = fixture_open("ks.txt");
    char line[8192], kind[16], name[64], sa[4096], sb[4096];
    double d, p;
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%15s %63s %4095s %4095s %lf %lf", kind, name, sa, sb, &d, &p) != 6)
            continue;
        size_t n, m;
        double *a, *b;
        if (strcmp(kind, "list") == 0) {
            a = fixture_list(sa, &n);
            b = fixture_list(sb, &m);
        } else {
            a = fixture_sample(sa, &n);
            b = fixture_sample(sb, &m);
        }
        check_case(name, a, n, b, m, d, p);
        free(a);
        free(b);
        cases++;
    }
    CHECK_CMP_INT(cases, >=, 20);
    fclose(f);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the radix sort puts every size around its thresholds (insertion sort up to
 * 64, 11-bit digits, skipped passes) in qsort()'s order, duplicates and all */
TEST(sort_as_qsort)
{
    static const size_t sizes[] = {0, 1, 2, 63, 64, 65, 100, 2047, 2048, 2049, 30000};
    struct dd_rng r;
    dd_rng_seed(&r, 7);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        double *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
        for (size_t i = 0; i < n; i++) /* a third rounded: many ties; some huge, some tiny */
            a[i] = i % 3 ? dd_rng_normal(&r) * (i % 5 ? 1.0 : 1e200)
                         : (double)(int)(dd_rng_normal(&r) * 4);
        memcpy(b, a, n * sizeof *a);
        dd_sort_doubles(a, n);
        qsort(b, n, sizeof *b, cmp_double);
        size_t differ = 0;
        for (size_t i = 0; i < n; i++)
            differ += a[i] != b[i];
        if (differ)
            fprintf(stderr, "sort_as_qsort: n=%zu\n", n);
        CHECK_EQ_INT(differ, 0);
        free(a);
        free(b);
    }
}

TEST(sort)
{
    struct dd_rng r;
    dd_rng_seed(&r, 42);
    size_t n = 100000;
    double *a = malloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = (i % 7 == 0) ? -0.0 : dd_rng_normal(&r) * (i % 3 ? 1e-300 : 1e300);
    a[5] = 0.0;
    a[6] = -INFINITY;
    a[7] = INFINITY;
    dd_sort_doubles(a, n);
    CHECK(dd_is_sorted(a, n));
    CHECK_EQ_DBL(a[0], -INFINITY);
    CHECK_EQ_DBL(a[n - 1], INFINITY);
    double small[5] = {3, -1, 2, 2, -7};
    dd_sort_doubles(small, 5);
    CHECK_EQ_DBL(small[0], -7);
    CHECK_EQ_DBL(small[1], -1);
    CHECK_EQ_DBL(small[2], 2);
    CHECK_EQ_DBL(small[4], 3);
    free(a);
}

TEST(degenerate)
{
    struct dd_ks_result r;
    double a[3] = {1, 2, 3}, b[3] = {1, NAN, 3}, c[2] = {5, 4};
    CHECK_EQ_INT(dd_ks_2samp(a, 0, a, 3, &r), DD_EINSUFFICIENT);
    CHECK_EQ_INT(dd_ks_2samp(a, 3, a, 0, &r), DD_EINSUFFICIENT);
    CHECK_EQ_INT(dd_ks_2samp(a, 3, b, 3, &r), DD_EINVAL);
    CHECK_EQ_INT(dd_ks_2samp_sorted(a, 3, c, 2, &r), DD_EINVAL); /* not sorted */
    double inf[2] = {1, INFINITY};
    CHECK_EQ_INT(dd_ks_2samp(a, 3, inf, 2, &r), DD_EINVAL);
    /* both constant and equal: D = 0, p = 1, in both branches */
    size_t big = 20000;
    double *k1 = malloc(big * sizeof *k1);
    for (size_t i = 0; i < big; i++)
        k1[i] = 0.25;
    CHECK_EQ_INT(dd_ks_2samp(k1, big, k1, big / 2, &r), 0);
    CHECK_EQ_DBL(r.statistic, 0);
    CHECK_EQ_DBL(r.p_value, 1);
    CHECK_EQ_INT(dd_ks_2samp(k1, 30, k1, 40, &r), 0);
    CHECK_EQ_DBL(r.statistic, 0);
    CHECK_EQ_DBL(r.p_value, 1);
    free(k1);
    /* p is always a number in [0, 1] */
    CHECK_CMP_DBL(dd_kolmogn_sf(1, 0.7), >=, 0);
    CHECK_CMP_DBL(dd_kolmogn_sf(1, 0.7), <=, 1);
    CHECK(isnan(dd_kolmogn_sf(0, 0.5)));
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(sort);
    RUN(sort_as_qsort);
    RUN(kstwo);
    RUN(ks_fixtures);
    RUN(degenerate);
    CHECK_DONE();
}
