/* distance.c — PSI, Jensen–Shannon and Wasserstein effect sizes. */
#include "analysis/distance.h"

#include <math.h>

#include "base/err.h"

static int totals(const uint64_t *ref, const uint64_t *cur, size_t k, double *tr, double *tc)
{
    uint64_t a = 0, b = 0;
    for (size_t i = 0; i < k; i++) {
        a += ref[i];
        b += cur[i];
    }
    if (a == 0 || b == 0)
        return DD_EINSUFFICIENT;
    *tr = (double)a;
    *tc = (double)b;
    return 0;
}

/* add(&sum, r_i, c_i) over the k bins, r_i and c_i the bin's shares of ref
 * and of cur; DD_EINSUFFICIENT when either side is empty. */
static int sum_over_shares(const uint64_t *ref, const uint64_t *cur, size_t k,
                           void (*add)(double *sum, double r, double c), double *out)
{
    double tr, tc;
    int rc = totals(ref, cur, k, &tr, &tc);
    if (rc)
        return rc;
    double sum = 0.0;
    for (size_t i = 0; i < k; i++)
        add(&sum, ref[i] / tr, cur[i] / tc);
    *out = sum;
    return 0;
}

static void psi_term(double *sum, double r, double c)
{
    if (r == 0)
        r = DD_PSI_EPS;
    if (c == 0)
        c = DD_PSI_EPS;
    *sum += (c - r) * log(c / r);
}

int dd_psi_counts(const uint64_t *ref, const uint64_t *cur, size_t k, double *out)
{
    return sum_over_shares(ref, cur, k, psi_term, out);
}

static void js_term(double *sum, double p, double q)
{
    double m = (p + q) / 2;
    if (p > 0)
        *sum += p * log(p / m);
    if (q > 0)
        *sum += q * log(q / m);
}

int dd_js_counts(const uint64_t *ref, const uint64_t *cur, size_t k, double *out)
{
    double js;
    int rc = sum_over_shares(ref, cur, k, js_term, &js);
    if (rc)
        return rc;
    js = js / 2 / log(2.0);
    *out = js > 0 ? sqrt(js) : 0.0;
    return 0;
}

double dd_wasserstein_sorted(const double *a, size_t n, const double *b, size_t m)
{
    size_t i = 0, j = 0;
    double fn = (double)n, fm = (double)m, sum = 0.0;
    double x = a[0] < b[0] ? a[0] : b[0];
    while (i < n || j < m) {
        /* consume every copy of x, then integrate |F_a - F_b| up to the next value */
        while (i < n && a[i] == x)
            i++;
        while (j < m && b[j] == x)
            j++;
        double next;
        if (i < n && j < m)
            next = a[i] < b[j] ? a[i] : b[j];
        else if (i < n)
            next = a[i];
        else if (j < m)
            next = b[j];
        else
            break;
        sum += fabs((double)i / fn - (double)j / fm) * (next - x);
        x = next;
    }
    return sum;
}

int dd_wasserstein_norm_sorted(const double *ref, size_t n, const double *cur, size_t m,
                               double *out)
{
    if (n == 0 || m == 0)
        return DD_EINSUFFICIENT;
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += ref[i];
    mean /= (double)n;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (ref[i] - mean) * (ref[i] - mean);
    double sd = sqrt(ss / (double)n);
    if (!(sd > DD_WASSERSTEIN_MIN_STD))
        sd = DD_WASSERSTEIN_MIN_STD;
    *out = dd_wasserstein_sorted(ref, n, cur, m) / sd;
    return 0;
}

size_t dd_numeric_bins(const double *s, size_t n, size_t nbins, double *edges)
{
    size_t k = 0;
    if (n == 0)
        return 0;
    for (size_t b = 1; b < nbins; b++) {
        double pos = (double)(n - 1) * (double)b / (double)nbins;
        size_t lo = (size_t)floor(pos);
        double frac = pos - (double)lo;
        double e = lo + 1 < n ? s[lo] + (s[lo + 1] - s[lo]) * frac : s[lo];
        if (k == 0 || e > edges[k - 1])
            edges[k++] = e;
    }
    return k;
}

void dd_bin_counts_sorted(const double *x, size_t n, const double *edges, size_t n_edges,
                          uint64_t *counts)
{
    size_t b = 0;
    for (size_t i = 0; i <= n_edges; i++)
        counts[i] = 0;
    for (size_t i = 0; i < n; i++) {
        while (b < n_edges && x[i] >= edges[b])
            b++;
        counts[b]++;
    }
}
