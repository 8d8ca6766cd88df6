/* Tests analysis/distance.c: PSI and Jensen–Shannon on category counts
 * (chi2.txt columns PSI, JS: numpy / scipy.spatial.distance.jensenshannon
 * base 2), and on the shared decile bins of numeric samples plus the
 * normalised Wasserstein (numeric_dist.txt: "NAME REF CUR WASS PSI JS",
 * scipy.stats.wasserstein_distance / max(np.std(ref), 1e-3)). */
#include <stdint.h>
#include <stdlib.h>

#include "analysis/distance.h"
#include "analysis/sort.h"
#include "base/err.h"
#include "check.h"
#include "fixture.h"

TEST(counts)
{
    FILE *f = fixture_open("chi2.txt");
    struct fixture_counts t;
    while (fixture_next_counts(f, &t)) {
        double got;
        CHECK_EQ_INT(dd_psi_counts(t.ref, t.cur, t.k, &got), 0);
        CHECK_CLOSE(got, t.psi, 1e-9, 1e-12);
        CHECK_EQ_INT(dd_js_counts(t.ref, t.cur, t.k, &got), 0);
        CHECK_CLOSE(got, t.js, 1e-9, 1e-7); /* sqrt near 0 amplifies rounding */
    }
    fclose(f);
}

TEST(numeric)
{
    FILE *f = fixture_open("numeric_dist.txt");
    char name[64], sa[256], sb[256];
    double w, psi, js;
    int cases = 0;
    while (fscanf(f, "%63s %255s %255s %lf %lf %lf", name, sa, sb, &w, &psi, &js) == 6) {
        size_t n, m;
        double *a = fixture_sample(sa, &n), *b = fixture_sample(sb, &m);
        dd_sort_doubles(a, n);
        dd_sort_doubles(b, m);
        double got;
        CHECK_EQ_INT(dd_wasserstein_norm_sorted(a, n, b, m, &got), 0);
        CHECK_CLOSE(got, w, 1e-9, 1e-12);
        double edges[DD_NUMERIC_BINS];
        size_t ne = dd_numeric_bins(a, n, DD_NUMERIC_BINS, edges);
        uint64_t ca[DD_NUMERIC_BINS + 1], cb[DD_NUMERIC_BINS + 1];
        dd_bin_counts_sorted(a, n, edges, ne, ca);
        dd_bin_counts_sorted(b, m, edges, ne, cb);
        CHECK_EQ_INT(dd_psi_counts(ca, cb, ne + 1, &got), 0);
        CHECK_CLOSE(got, psi, 1e-9, 1e-12);
        CHECK_EQ_INT(dd_js_counts(ca, cb, ne + 1, &got), 0);
        CHECK_CLOSE(got, js, 1e-9, 1e-12);
        free(a);
        free(b);
        cases++;
    }
    fclose(f);
    CHECK_EQ_INT(cases, 4);
}

TEST(degenerate)
{
    uint64_t z[2] = {0, 0}, a[2] = {3, 4};
    double out = -1;
    CHECK_EQ_INT(dd_psi_counts(z, a, 2, &out), DD_EINSUFFICIENT);
    CHECK_EQ_INT(dd_js_counts(a, z, 2, &out), DD_EINSUFFICIENT);
    CHECK_EQ_INT(dd_js_counts(a, a, 2, &out), 0);
    CHECK_EQ_DBL(out, 0);
    double k[3] = {2, 2, 2};
    CHECK_EQ_INT(dd_wasserstein_norm_sorted(k, 3, k, 3, &out), 0);
    CHECK_EQ_DBL(out, 0);
    CHECK_EQ_INT(dd_wasserstein_norm_sorted(k, 0, k, 3, &out), DD_EINSUFFICIENT);
    double e[9];
    CHECK_EQ_INT(dd_numeric_bins(k, 3, 10, e), 1); /* constant: one edge, two bins */
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(counts);
    RUN(numeric);
    RUN(degenerate);
    CHECK_DONE();
}
