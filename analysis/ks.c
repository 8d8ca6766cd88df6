/* ks.c — two-sample KS: merge scan and SciPy's exact / asymptotic p-values. */
#include "analysis/ks.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/kolmogorov.h"
#include "analysis/sort.h"
#include "analysis/sort_tmpl.h"
#include "base/alloc.h"
#include "base/err.h"

DD_SORT__MERGE_STEP(merge_step, double)

double dd_ks_statistic_sorted(const double *a, size_t n, const double *b, size_t m)
{
    size_t i = 0, j = 0;
    double dmax = 0.0, dmin = 0.0; /* max of cdf_a - cdf_b, and min */
    double fn = (double)n, fm = (double)m;
    while (i < n && j < m) {
        merge_step(a, n, &i, b, m, &j);
        /* same arithmetic as SciPy: searchsorted(...)/n1 - searchsorted(...)/n2 */
        double diff = (double)i / fn - (double)j / fm;
        if (diff > dmax)
            dmax = diff;
        if (diff < dmin)
            dmin = diff;
    }
    /* the rest of one array moves its cdf to 1 while the other sits at 1 */
    if (i < n) {
        /* cdf_b = 1 from here; the first remaining value gives the smallest
         * cdf_a, i.e. the most negative difference */
        double v = a[i];
        while (i < n && a[i] == v)
            i++;
        double diff = (double)i / fn - 1.0;
        if (diff < dmin)
            dmin = diff;
    } else if (j < m) {
        double v = b[j];
        while (j < m && b[j] == v)
            j++;
        double diff = 1.0 - (double)j / fm;
        if (diff > dmax)
            dmax = diff;
    }
    double minS = -dmin;
    if (minS < 0)
        minS = 0;
    if (minS > 1)
        minS = 1;
    return minS > dmax ? minS : dmax;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* SciPy _compute_prob_outside_square: Pr(D_{n,n} >= h/n). */
static double prob_outside_square(int64_t n, int64_t h)
{
    double P = 0.0;
    int64_t k = (int64_t)floor((double)n / (double)h);
    while (k >= 0) {
        double p1 = 1.0;
        for (int64_t j = 0; j < h; j++)
            p1 = (double)(n - k * h - j) * p1 / (double)(n + k * h + j + 1);
        P = p1 * (1.0 - P);
        k--;
    }
    return 2 * P;
}

/* SciPy _compute_outer_prob_inside_method (Hodges; Viehmann's 1 - p
 * recursion): the share of lattice paths leaving |x/m - y/n| < h/lcm. */
static double outer_prob_inside(int64_t m, int64_t n, int64_t g, int64_t h)
{
    if (m < n) {
        int64_t t = m;
        m = n;
        n = t;
    }
    int64_t mg = m / g, ng = n / g;
    int64_t minj = 0, maxj = (int64_t)ceil((double)h / (double)mg);
    if (maxj > n + 1)
        maxj = n + 1;
    int64_t curlen = maxj - minj;
    int64_t lenA = 2 * maxj + 2 < n + 1 ? 2 * maxj + 2 : n + 1;
    double *A = dd_malloc((size_t)lenA * sizeof *A);
    for (int64_t q = 0; q < lenA; q++)
        A[q] = 1.0;
    for (int64_t q = minj; q < maxj; q++)
        A[q] = 0.0;
    double result;
    for (int64_t i = 1; i <= m; i++) {
        int64_t lastminj = minj, lastlen = curlen;
        minj = (int64_t)floor((double)(ng * i - h) / (double)mg) + 1;
        if (minj < 0)
            minj = 0;
        if (minj > n)
            minj = n;
        maxj = (int64_t)ceil((double)(ng * i + h) / (double)mg);
        if (maxj > n + 1)
            maxj = n + 1;
        if (maxj <= minj) {
            free(A);
            return 1.0;
        }
        double val = minj == 0 ? 0.0 : 1.0;
        for (int64_t jj = 0; jj < maxj - minj; jj++) {
            int64_t j = jj + minj;
            val = (A[jj + minj - lastminj] * (double)i + val * (double)j) / (double)(i + j);
            A[jj] = val;
        }
        curlen = maxj - minj;
        if (lastlen > curlen)
            for (int64_t q = maxj - minj; q < maxj - minj + (lastlen - curlen) && q < lenA; q++)
                A[q] = 1.0;
    }
    result = A[maxj - minj - 1];
    free(A);
    return result;
}

double dd_ks_pvalue(double *dp, size_t n1, size_t n2, int *exact)
{
    double d = *dp, prob = NAN;
    int is_exact = 0;
    if (n1 == 0 || n2 == 0) {
        if (exact)
            *exact = 0;
        return NAN;
    }
    size_t mx = n1 > n2 ? n1 : n2;
    if (mx <= DD_KS_MAX_EXACT_N) {
        uint64_t g = gcd_u64(n1, n2);
        uint64_t lcm = (n1 / g) * n2;
        int64_t h = (int64_t)nearbyint(d * (double)lcm);
        d = (double)h / (double)lcm;
        if (h == 0) {
            prob = 1.0;
            is_exact = 1;
        } else {
            double p = n1 == n2 ? prob_outside_square((int64_t)n1, h)
                                : outer_prob_inside((int64_t)n1, (int64_t)n2, (int64_t)g, h);
            if (p >= 0.0 && p <= 1.0) {
                prob = p;
                is_exact = 1;
            }
        }
    }
    if (!is_exact) {
        double m = (double)(n1 > n2 ? n1 : n2), n = (double)(n1 > n2 ? n2 : n1);
        double en = m * n / (m + n);
        prob = dd_kolmogn_sf((long)nearbyint(en), d);
    }
    if (prob < 0)
        prob = 0;
    if (prob > 1)
        prob = 1;
    *dp = d;
    if (exact)
        *exact = is_exact;
    return prob;
}

int dd_ks_2samp_sorted(const double *a, size_t n, const double *b, size_t m,
                       struct dd_ks_result *out)
{
    if (n == 0 || m == 0)
        return DD_EINSUFFICIENT;
    if (dd_has_nonfinite(a, n) || dd_has_nonfinite(b, m))
        return DD_EINVAL;
    if (!dd_is_sorted(a, n) || !dd_is_sorted(b, m))
        return DD_EINVAL;
    double d = dd_ks_statistic_sorted(a, n, b, m);
    int exact;
    double p = dd_ks_pvalue(&d, n, m, &exact);
    out->statistic = d;
    out->p_value = p;
    out->exact = exact;
    return 0;
}

int dd_ks_2samp(const double *a, size_t n, const double *b, size_t m, struct dd_ks_result *out)
{
    if (n == 0 || m == 0)
        return DD_EINSUFFICIENT;
    if (dd_has_nonfinite(a, n) || dd_has_nonfinite(b, m))
        return DD_EINVAL;
    double *sa = dd_malloc(dd_mul(n, sizeof *sa));
    double *sb = dd_malloc(dd_mul(m, sizeof *sb));
    memcpy(sa, a, n * sizeof *sa);
    memcpy(sb, b, m * sizeof *sb);
    dd_sort_doubles(sa, n);
    dd_sort_doubles(sb, m);
    int rc = dd_ks_2samp_sorted(sa, n, sb, m, out);
    free(sa);
    free(sb);
    return rc;
}
