/* mmd.c — RBF-kernel MMD² with a permutation test from one kernel matrix. */
#include "analysis/mmd.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/blas.h"
#include "analysis/embed.h"
#include "analysis/rng.h"
#include "base/alloc.h"
#include "base/err.h"

/* Permuted splits per matrix product.  256 columns keep a block's L and S
 * at 2·2000·258 doubles (8 MiB) for the default 1000 rows per side, and are
 * wide enough that dsymm runs at its full-block speed. */
#define MMD_BLOCK 256

/* k-th smallest of a[0..n) (Wirth's selection, reorders a so that
 * a[0..k) <= a[k] <= a[k+1..n)). */
static double select_kth(double *a, size_t n, size_t k)
{
    ptrdiff_t l = 0, r = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
    while (l < r) {
        double x = a[kk];
        ptrdiff_t i = l, j = r;
        do {
            while (a[i] < x)
                i++;
            while (x < a[j])
                j--;
            if (i <= j) {
                double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < kk)
            l = i;
        if (kk < i)
            r = j;
    }
    return a[kk];
}

/* Kernel matrix (upper triangle, row-major N×N) of the rows z (N×dim), and
 * the bandwidth 2σ² (median heuristic) unless given (> 0). */
static double *kernel_matrix(const struct dd_blas *bl, const double *z, size_t N, size_t dim,
                             double *two_sigma2)
{
    double *K = dd_calloc(dd_mul(N, N), sizeof *K);
    bl->cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)N, (int)dim, 1.0, z, (int)dim,
                    0.0, K, (int)N);
    double *sq = dd_malloc(N * sizeof *sq);
    for (size_t i = 0; i < N; i++)
        sq[i] = K[i * N + i];
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++) {
            double d = sq[i] + sq[j] - 2 * K[i * N + j];
            K[i * N + j] = d > 0 ? d : 0.0;
        }
    if (!(*two_sigma2 > 0)) {
        size_t L = N * (N - 1) / 2, t = 0;
        double *pairs = dd_malloc(L * sizeof *pairs), mean = 0.0;
        for (size_t i = 0; i < N; i++)
            for (size_t j = i + 1; j < N; j++) {
                pairs[t++] = K[i * N + j];
                mean += K[i * N + j];
            }
        mean /= (double)L;
        double med = select_kth(pairs, L, L / 2);
        if (L % 2 == 0) { /* numpy's median: mean of the two middle values */
            double lo = pairs[0];
            for (size_t q = 1; q < L / 2; q++)
                if (pairs[q] > lo)
                    lo = pairs[q];
            med = (med + lo) / 2;
        }
        free(pairs);
        *two_sigma2 = med > 0 ? med : (mean > 0 ? mean : 1.0);
    }
    double inv = 1.0 / *two_sigma2;
    for (size_t i = 0; i < N; i++) {
        K[i * N + i] = 1.0;
        for (size_t j = i + 1; j < N; j++)
            K[i * N + j] = exp(-K[i * N + j] * inv);
    }
    free(sq);
    return K;
}

static double *to_double(const float *x, size_t n, size_t dim, const size_t *pick, double *dst)
{
    for (size_t i = 0; i < n; i++) {
        const float *row = x + (pick ? pick[i] : i) * dim;
        for (size_t j = 0; j < dim; j++)
            dst[i * dim + j] = row[j];
    }
    return dst + n * dim;
}

/* MMD² from the block sums; diagonal entries (1 each) excluded. */
static double mmd2_from_sums(double sxx, double syy, double sxy, size_t nx, size_t ny)
{
    double a = (double)nx, b = (double)ny;
    return (sxx - a) / (a * (a - 1)) + (syy - b) / (b * (b - 1)) - 2 * sxy / (a * b);
}

int dd_mmd2_unbiased(const float *x, size_t n, const float *y, size_t m, size_t dim,
                     double two_sigma2, double *out)
{
    if (dim == 0)
        return DD_EINVAL;
    if (n < 2 || m < 2)
        return DD_EINSUFFICIENT;
    const struct dd_blas *bl;
    int rc = dd_blas__get(&bl);
    if (rc != 0)
        return rc;
    size_t N = n + m;
    double *z = dd_malloc(dd_mul(N, dim) * sizeof *z);
    to_double(y, m, dim, NULL, to_double(x, n, dim, NULL, z));
    double *K = kernel_matrix(bl, z, N, dim, &two_sigma2);
    double sxx = 0, syy = 0, sxy = 0;
    for (size_t i = 0; i < N; i++)
        for (size_t j = i; j < N; j++) {
            double k = K[i * N + j] * (i == j ? 1.0 : 2.0);
            if (j < n)
                sxx += k;
            else if (i >= n)
                syy += k;
            else
                sxy += k / 2;
        }
    *out = mmd2_from_sums(sxx, syy, sxy, n, m);
    free(K);
    free(z);
    return 0;
}

/* First k of a seeded random permutation of 0..n-1 (partial Fisher–Yates). */
static size_t *subsample(size_t n, size_t k, struct dd_rng *r)
{
    size_t *idx = dd_malloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)dd_rng_below(r, n - i);
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    return idx;
}

int dd_mmd_test(const float *x, size_t n, const float *y, size_t m, size_t dim, size_t permutations,
                size_t max_samples, uint64_t seed, struct dd_mmd_result *out)
{
    const struct dd_blas *bl;
    int rc = dd_emb__two_samples(x, n, y, m, dim, 2, &bl);
    if (rc != 0)
        return rc;
    if (max_samples < 2)
        max_samples = 2;
    struct dd_rng rng;
    dd_rng_seed(&rng, seed);
    size_t nx = n < max_samples ? n : max_samples, ny = m < max_samples ? m : max_samples;
    size_t *px = nx < n ? subsample(n, nx, &rng) : NULL;
    size_t *py = ny < m ? subsample(m, ny, &rng) : NULL;
    size_t N = nx + ny, P = permutations;
    double *z = dd_malloc(dd_mul(N, dim) * sizeof *z);
    to_double(y, ny, dim, py, to_double(x, nx, dim, px, z));
    free(px);
    free(py);
    double bw = 0.0;
    double *K = kernel_matrix(bl, z, N, dim, &bw);
    free(z);

    /* Permutations in blocks of MMD_BLOCK columns: L holds column 0 the
     * observed split (first block only), then permuted splits, and a last
     * column of ones (row sums); S = K · L with K symmetric (upper triangle
     * stored).  The splits are drawn in the same order as one big block
     * would draw them, so the p-value does not depend on the block size;
     * memory is 2·N·(MMD_BLOCK + 2) doubles whatever P is. */
    unsigned char *lab = dd_malloc(N);
    for (size_t i = 0; i < N; i++)
        lab[i] = i < nx;
    size_t bc = (P + 1 < MMD_BLOCK ? P + 1 : MMD_BLOCK) + 1;
    double *L = dd_malloc(dd_mul(N, bc) * sizeof *L);
    double *S = dd_malloc(dd_mul(N, bc) * sizeof *S);
    double obs = 0.0;
    size_t ge = 0;
    for (size_t done = 0; done < P + 1;) { /* split 0 observed, 1..P permuted */
        size_t k = P + 1 - done < bc - 1 ? P + 1 - done : bc - 1, C = k + 1;
        for (size_t c = 0; c < k; c++) {
            if (done + c > 0)
                for (size_t i = N - 1; i > 0; i--) {
                    size_t j = (size_t)dd_rng_below(&rng, i + 1);
                    unsigned char t = lab[i];
                    lab[i] = lab[j];
                    lab[j] = t;
                }
            for (size_t i = 0; i < N; i++)
                L[i * C + c] = lab[i];
        }
        for (size_t i = 0; i < N; i++)
            L[i * C + C - 1] = 1.0;
        bl->cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, (int)N, (int)C, 1.0, K, (int)N, L,
                        (int)C, 0.0, S, (int)C);
        for (size_t c = 0; c < k; c++) {
            double sxx = 0, sxy = 0, syy = 0;
            for (size_t i = 0; i < N; i++) {
                double s = S[i * C + c];
                if (L[i * C + c] != 0)
                    sxx += s;
                else {
                    sxy += s;
                    syy += S[i * C + C - 1] - s;
                }
            }
            double v = mmd2_from_sums(sxx, syy, sxy, nx, ny);
            if (done + c == 0)
                obs = v;
            else if (v >= obs)
                ge++;
        }
        done += k;
    }
    free(K);
    free(S);
    free(L);
    free(lab);
    out->statistic = obs;
    out->p_value = (1.0 + (double)ge) / (1.0 + (double)P);
    out->bandwidth = bw;
    out->n_x = nx;
    out->n_y = ny;
    return 0;
}
