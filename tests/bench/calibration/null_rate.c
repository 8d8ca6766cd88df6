/* null_rate.c — Monte Carlo of the calibrated verdict's false-alarm rate
 * under no shift (issue #14), in process: R references of N events drawn
 * from a population, each calibrated with dd_calibrate_range(), then W fresh
 * windows per size (30, 100, 300, 1000) judged against the whole reference
 * with the report's own p-values (dd_ks_pvalue(), dd_chi2_homogeneity())
 * and dd_calibration_decide() at the report's effective size.  Prints the
 * rate of the verdict as decided (stricter of the two calibrated sizes),
 * two variants (p log-interpolated between the sizes; the nearest size)
 * and Holm.  Families: 0 a 10-class classifier (10 probabilities,
 * confidence and a feature by KS, the predicted class by chi2), 1 twenty
 * numeric signals equicorrelated at 0.9, 2 twenty independent ones.
 *
 *   gcc -O2 -std=c11 -D_GNU_SOURCE -I. -o /tmp/null_rate tests/bench/calibration/null_rate.c \
 *       BUILD/analysis/libdd_analysis.a BUILD/base/libdd_base.a $(pkg-config --libs gsl) \
 *       -lopenblas -llapacke -lm -lpthread
 *   /tmp/null_rate FAMILY N_REF REFERENCES WINDOWS [SIZES]
 *
 * SIZES: window sizes, comma-separated, at most four (30,100,300,1000).
 * Only the pair sizes those windows are judged at are calibrated.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/calibrate.h"
#include "analysis/chi2.h"
#include "analysis/ks.h"
#include "analysis/method.h"
#include "analysis/multitest.h"
#include "analysis/rng.h"
#include "analysis/sort.h"

#define K 10
static int family = 0; /* 0 classifier (12 ks + 1 chi2), 1: 20 ks at rho .9, 2: 20 independent ks */
static size_t ncols(void)
{
    return family == 0 ? K + 3 : 20;
}
static size_t nks(void)
{
    return family == 0 ? K + 2 : 20;
}

/* event i: values[j*n + i] for ks columns, code[i] */
static void gen(struct dd_rng *r, size_t n, double *v, uint32_t *code)
{
    static double c[K];
    for (int k = 0; k < K; k++)
        c[k] = -1 + 2.0 * k / (K - 1);
    for (size_t i = 0; i < n; i++) {
        double z = dd_rng_normal(r);
        if (family == 0) {
            double l[K], mx = -1e9, s = 0;
            int am = 0;
            for (int k = 0; k < K; k++) {
                l[k] = 1.5 * c[k] * z + 0.7 * dd_rng_normal(r);
                if (l[k] > mx) {
                    mx = l[k];
                    am = k;
                }
            }
            for (int k = 0; k < K; k++) {
                l[k] = exp(l[k] - mx);
                s += l[k];
            }
            for (int k = 0; k < K; k++)
                v[k * n + i] = l[k] / s;
            v[K * n + i] = 1.0 / s;
            v[(K + 1) * n + i] = z + 0.5 * dd_rng_normal(r);
            code[i] = (uint32_t)am;
        } else {
            double rho = family == 1 ? 0.9 : 0.0;
            for (int j = 0; j < 20; j++)
                v[j * n + i] = sqrt(rho) * z + sqrt(1 - rho) * dd_rng_normal(r);
        }
    }
}

int main(int argc, char **argv)
{
    family = argc > 1 ? atoi(argv[1]) : 0;
    size_t N = argc > 2 ? (size_t)atol(argv[2]) : 2000;
    int R = argc > 3 ? atoi(argv[3]) : 10, W = argc > 4 ? atoi(argv[4]) : 100;
    size_t sizes[4] = {30, 100, 300, 1000};
    int nsz = 4;
    if (argc > 5) { /* a comma-separated list of window sizes, at most 4 */
        nsz = 0;
        for (char *t = strtok(argv[5], ","); t && nsz < 4; t = strtok(NULL, ","))
            if ((sizes[nsz++] = (size_t)atol(t)) - 1 >= 1000)
                return fprintf(stderr, "a window size is 1..1000\n"), 2;
    }
    double eff_lo = INFINITY, eff_hi = 0; /* calibrate only the sizes these need */
    for (int z = 0; z < nsz; z++) {
        eff_lo = fmin(eff_lo, 2.0 * (double)N * (double)sizes[z] / (double)(N + sizes[z]));
        eff_hi = fmax(eff_hi, 2.0 * (double)N * (double)sizes[z] / (double)(N + sizes[z]));
    }
    long fb[4] = {0}, fn[4] = {0};
    const size_t lad[] = {20, 50, 100, 200, 500, 1000};
    double alpha = 0.05;
    size_t nc = ncols(), nk = nks();
    long fa[4] = {0}, fh[4] = {0}, tot[4] = {0};
    /* per reference: the windows of one reference share its offset, so the
     * standard error is that of the R per-reference rates (a cluster's) */
    double ssq[4] = {0};
    char names[20][16];
    for (size_t j = 0; j < nc; j++)
        snprintf(names[j], 16, "c%zu", j);
    struct dd_rng rng;
    dd_rng_seed(&rng, 12345 + (uint64_t)family * 7 + N);
    double *rv = malloc(nk * N * sizeof *rv), *cv = malloc(nk * 1000 * sizeof *cv);
    uint32_t *rc = calloc(N, 4), *cc = calloc(1000, 4);
    double *rs = malloc(nk * N * sizeof *rs), *cs = malloc(1000 * sizeof *cs);
    for (int r = 0; r < R; r++) {
        gen(&rng, N, rv, rc);
        struct dd_calib_column cols[21];
        for (size_t j = 0; j < nc; j++) {
            cols[j] = (struct dd_calib_column){.signal = names[j], .k = 1};
            if (j < nk) {
                cols[j].method = DD_M_KS;
                cols[j].values = rv + j * N;
            } else {
                cols[j].method = DD_M_CHI2;
                cols[j].codes = rc;
                cols[j].n_categories = K;
            }
        }
        struct dd_calibration *cal;
        if (dd_calibrate_range(cols, nc, N, DD_CALIB_TRIALS, 99 + (uint64_t)r, eff_lo, eff_hi,
                               &cal) != 0 ||
            !cal)
            return 1;
        memcpy(rs, rv, nk * N * sizeof *rs);
        for (size_t j = 0; j < nk; j++)
            dd_sort_doubles(rs + j * N, N);
        uint64_t rcnt[K] = {0};
        for (size_t i = 0; i < N; i++)
            rcnt[rc[i]]++;
        for (int z = 0; z < nsz; z++) {
            size_t n = sizes[z];
            long fa0 = fa[z], tot0 = tot[z];
            for (int w = 0; w < W; w++) {
                gen(&rng, n, cv, cc);
                struct dd_calib_row rows[21];
                double p[21];
                for (size_t j = 0; j < nc; j++) {
                    if (j < nk) {
                        memcpy(cs, cv + j * n, n * sizeof *cs);
                        dd_sort_doubles(cs, n);
                        double d = dd_ks_statistic_sorted(rs + j * N, N, cs, n);
                        p[j] = dd_ks_pvalue(&d, N, n, NULL);
                    } else {
                        uint64_t cnt[K] = {0};
                        for (size_t i = 0; i < n; i++)
                            cnt[cc[i]]++;
                        struct dd_chi2_result cr;
                        p[j] = dd_chi2_homogeneity(rcnt, cnt, K, &cr) == 0 ? cr.p_value : 1.0;
                    }
                    rows[j] = (struct dd_calib_row){names[j], cols[j].method, p[j]};
                }
                int calibd[21], rej[21];
                struct dd_calib_decision dec;
                double eff = 2.0 * (double)N * n / (double)(N + n);
                dd_calibration_decide(cal, rows, nc, alpha, eff, calibd, &dec);
                if (dec.fallback) {
                    fprintf(stderr, "fallback %s at %zu\n", dec.fallback, n);
                    continue;
                }
                fa[z] += dec.p_value <= alpha;
                { /* variants: log-interpolated global p between the two sizes; the nearest size */
                    int k = 0;
                    while (k < 5 && (double)lad[k + 1] < eff)
                        k++;
                    double slo = lad[k], shi = lad[k + 1 <= 5 ? k + 1 : 5];
                    struct dd_calib_decision a, b;
                    dd_calibration_decide(cal, rows, nc, alpha, slo, calibd, &a);
                    dd_calibration_decide(cal, rows, nc, alpha, shi, calibd, &b);
                    double t = eff >= shi ? 1 : (log(eff) - log(slo)) / (log(shi) - log(slo));
                    double pi = exp((1 - t) * log(a.p_value) + t * log(b.p_value));
                    fb[z] += pi <= alpha;
                    fn[z] += (t < 0.5 ? a.p_value : b.p_value) <= alpha;
                }
                fh[z] += dd_holm(p, nc, alpha, rej) > 0;
                tot[z]++;
            }
            if (tot[z] > tot0) {
                double fr = (double)(fa[z] - fa0) / (double)(tot[z] - tot0);
                ssq[z] += fr * fr;
            }
        }
        dd_calibration_free(cal);
    }
    printf("family %d N %zu refs %d windows/size/ref %d\n", family, N, R, W);
    for (int z = 0; z < nsz; z++) {
        double f = (double)fa[z] / tot[z];
        /* the spread of the per-reference rates around f, over R(R - 1) */
        double se_ref = R > 1 ? sqrt(fmax(0, ssq[z] / R - f * f) / (R - 1)) : NAN;
        printf("n=%4zu  calibrated %.4f (se %.4f binomial, %.4f by reference)  log-interp %.4f  "
               "nearest %.4f  holm %.4f  [%ld]\n",
               sizes[z], f, sqrt(f * (1 - f) / tot[z]), se_ref, (double)fb[z] / tot[z],
               (double)fn[z] / tot[z], (double)fh[z] / tot[z], tot[z]);
    }
    return 0;
}
