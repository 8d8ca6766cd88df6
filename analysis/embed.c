/* embed.c — centroid distance, reference PCA, PCA-KS and reconstruction error
 * (BLAS/LAPACKE, through analysis/blas.h, lives here and in mmd.c only). */
#include "analysis/embed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/blas.h"
#include "analysis/ks.h"
#include "analysis/sort.h"
#include "base/alloc.h"
#include "base/bytes.h"
#include "base/err.h"

/* Rows converted to double per BLAS call: bounds memory at BLOCK × dim. */
#define EMBED_BLOCK_ROWS 2048

int dd_float_has_nonfinite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 1;
    return 0;
}

int dd_emb__two_samples(const float *a, size_t n, const float *b, size_t m, size_t dim,
                        size_t min_rows, const struct dd_blas **bl)
{
    if (dim == 0)
        return DD_EINVAL;
    if (n < min_rows || m < min_rows)
        return DD_EINSUFFICIENT;
    if (dd_float_has_nonfinite(a, n * dim) || dd_float_has_nonfinite(b, m * dim))
        return DD_EINVAL;
    return dd_blas__get(bl);
}

static void column_means(const float *x, size_t n, size_t dim, double *mean)
{
    memset(mean, 0, dim * sizeof *mean);
    for (size_t i = 0; i < n; i++) {
        const float *row = x + i * dim;
        for (size_t j = 0; j < dim; j++)
            mean[j] += row[j];
    }
    for (size_t j = 0; j < dim; j++)
        mean[j] /= (double)n;
}

int dd_cosine_centroid(const float *a, size_t n, const float *b, size_t m, size_t dim, double *out)
{
    const struct dd_blas *bl;
    int rc = dd_emb__two_samples(a, n, b, m, dim, 1, &bl);
    if (rc != 0)
        return rc;
    double *ca = dd_malloc(dim * sizeof *ca), *cb = dd_malloc(dim * sizeof *cb);
    column_means(a, n, dim, ca);
    column_means(b, m, dim, cb);
    double na = bl->cblas_dnrm2((int)dim, ca, 1), nb = bl->cblas_dnrm2((int)dim, cb, 1);
    double d;
    if (na == 0 && nb == 0)
        d = 0.0;
    else if (na == 0 || nb == 0)
        d = 1.0;
    else {
        d = 1.0 - bl->cblas_ddot((int)dim, ca, 1, cb, 1) / (na * nb);
        if (d < 0)
            d = 0; /* rounding */
    }
    free(ca);
    free(cb);
    *out = d;
    return 0;
}

/* Rows [r0, r0+rows) of x, centred, into blk (rows × dim). */
static void centred_block(const float *x, size_t r0, size_t rows, size_t dim, const double *mean,
                          double *blk)
{
    for (size_t i = 0; i < rows; i++) {
        const float *row = x + (r0 + i) * dim;
        double *o = blk + i * dim;
        for (size_t j = 0; j < dim; j++)
            o[j] = (double)row[j] - mean[j];
    }
}

/* Projections (m × k_eff) and reconstruction errors (m) of rows x. */
static void project_rows(const struct dd_blas *bl, const struct dd_pca *p, const float *x, size_t m,
                         double *proj, double *err)
{
    size_t dim = p->dim, ke = p->k_eff;
    double *blk = dd_malloc(dd_mul(EMBED_BLOCK_ROWS, dim) * sizeof *blk);
    for (size_t r0 = 0; r0 < m; r0 += EMBED_BLOCK_ROWS) {
        size_t rows = m - r0 < EMBED_BLOCK_ROWS ? m - r0 : EMBED_BLOCK_ROWS;
        centred_block(x, r0, rows, dim, p->mean, blk);
        double *pr = proj + r0 * ke;
        if (p->k > 0)
            bl->cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)p->k,
                            (int)dim, 1.0, blk, (int)dim, p->components, (int)p->k, 0.0, pr,
                            (int)ke);
        for (size_t i = 0; i < rows; i++) {
            double nn = bl->cblas_ddot((int)dim, blk + i * dim, 1, blk + i * dim, 1);
            if (p->k == 0) {
                pr[i * ke] = sqrt(nn); /* distance to the constant reference */
                if (err)
                    err[r0 + i] = sqrt(nn);
                continue;
            }
            double pp = bl->cblas_ddot((int)p->k, pr + i * ke, 1, pr + i * ke, 1);
            if (err)
                err[r0 + i] = nn > pp ? sqrt(nn - pp) : 0.0;
        }
    }
    free(blk);
}

void dd_pca_release(struct dd_pca *p)
{
    if (!p)
        return;
    free(p->mean);
    free(p->components);
    free(p->eigenvalues);
    free(p->ref_proj);
    memset(p, 0, sizeof *p);
}

int dd_pca_fit(const float *x, size_t n, size_t dim, double var_share, size_t max_k,
               struct dd_pca *out)
{
    if (dim == 0 || max_k == 0 || !(var_share > 0 && var_share <= 1))
        return DD_EINVAL;
    if (n < 2)
        return DD_EINSUFFICIENT;
    if (dd_float_has_nonfinite(x, n * dim))
        return DD_EINVAL;
    const struct dd_blas *bl;
    int rc = dd_blas__get(&bl);
    if (rc != 0)
        return rc;
    double *cov = NULL, *blk = NULL, *w = NULL, *z = NULL, *proj = NULL, *err = NULL;
    lapack_int *isuppz = NULL;
    struct dd_pca p;
    memset(&p, 0, sizeof p);
    p.dim = dim;
    p.n_ref = n;
    p.mean = dd_malloc(dim * sizeof *p.mean);
    column_means(x, n, dim, p.mean);

    cov = dd_calloc(dd_mul(dim, dim), sizeof *cov);
    blk = dd_malloc(dd_mul(EMBED_BLOCK_ROWS, dim) * sizeof *blk);
    for (size_t r0 = 0; r0 < n; r0 += EMBED_BLOCK_ROWS) {
        size_t rows = n - r0 < EMBED_BLOCK_ROWS ? n - r0 : EMBED_BLOCK_ROWS;
        centred_block(x, r0, rows, dim, p.mean, blk);
        bl->cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)dim, (int)rows, 1.0, blk,
                        (int)dim, 1.0, cov, (int)dim);
    }
    free(blk);
    blk = NULL;
    double scale = 1.0 / (double)(n - 1), trace = 0.0;
    for (size_t i = 0; i < dim; i++)
        for (size_t j = i; j < dim; j++)
            cov[i * dim + j] *= scale;
    for (size_t i = 0; i < dim; i++)
        trace += cov[i * dim + i];
    p.total_variance = trace;

    size_t kmax = max_k < dim ? max_k : dim;
    if (trace > 0) {
        w = dd_malloc(dim * sizeof *w);
        z = dd_malloc(dd_mul(dim, kmax) * sizeof *z);
        isuppz = dd_malloc(2 * kmax * sizeof *isuppz);
        lapack_int found = 0;
        lapack_int info =
            bl->LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', (lapack_int)dim, cov,
                               (lapack_int)dim, 0.0, 0.0, (lapack_int)(dim - kmax + 1),
                               (lapack_int)dim, 0.0, &found, w, z, (lapack_int)kmax, isuppz);
        if (info != 0 || (size_t)found != kmax) {
            rc = DD_ENUMERIC;
            goto out;
        }
        /* eigenvalues ascending: the largest is last.  k = first count whose
         * cumulative share exceeds var_share (sklearn's searchsorted 'right'). */
        double cum = 0.0;
        size_t k = kmax;
        for (size_t c = 0; c < kmax; c++) {
            double ev = w[kmax - 1 - c] > 0 ? w[kmax - 1 - c] : 0.0;
            cum += ev;
            if (cum / trace > var_share) {
                k = c + 1;
                break;
            }
        }
        /* drop components with no variance at all */
        while (k > 0 && !(w[kmax - k] > 0))
            k--;
        p.k = k;
        p.components = dd_malloc(dd_mul(dim, k ? k : 1) * sizeof *p.components);
        p.eigenvalues = dd_malloc((k ? k : 1) * sizeof *p.eigenvalues);
        double expl = 0.0;
        for (size_t c = 0; c < k; c++) {
            size_t src = kmax - 1 - c;
            p.eigenvalues[c] = w[src];
            expl += w[src];
            for (size_t i = 0; i < dim; i++)
                p.components[i * k + c] = z[i * kmax + src];
        }
        p.explained = expl / trace;
    } else {
        p.k = 0;
        p.components = dd_malloc(sizeof *p.components);
        p.eigenvalues = dd_malloc(sizeof *p.eigenvalues);
        p.explained = 1.0;
    }
    p.k_eff = p.k ? p.k : 1;

    /* reference projections, transposed and sorted per coordinate, and the
     * reference reconstruction errors */
    proj = dd_malloc(dd_mul(n, p.k_eff) * sizeof *proj);
    err = dd_malloc(n * sizeof *err);
    project_rows(bl, &p, x, n, proj, err);
    p.ref_proj = dd_malloc(dd_mul(n, p.k_eff) * sizeof *p.ref_proj);
    for (size_t c = 0; c < p.k_eff; c++) {
        double *col = p.ref_proj + c * n;
        for (size_t i = 0; i < n; i++)
            col[i] = proj[i * p.k_eff + c];
        dd_sort_doubles(col, n);
    }
    double em = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        em += err[i];
    em /= (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (err[i] - em) * (err[i] - em);
    p.err_mean = em;
    p.err_sd = sqrt(ss / (double)(n - 1));
    *out = p;
    memset(&p, 0, sizeof p);
out:
    dd_pca_release(&p);
    free(cov);
    free(blk);
    free(w);
    free(z);
    free(isuppz);
    free(proj);
    free(err);
    return rc;
}

/* dd_pca_project(), and the reconstruction errors into err unless NULL. */
static int project_checked(const struct dd_pca *p, const float *x, size_t m, double *proj,
                           double *err)
{
    if (dd_float_has_nonfinite(x, m * p->dim))
        return DD_EINVAL;
    const struct dd_blas *bl;
    int rc = dd_blas__get(&bl);
    if (rc != 0)
        return rc;
    project_rows(bl, p, x, m, proj, err);
    return 0;
}

int dd_pca_project(const struct dd_pca *p, const float *x, size_t m, double *out)
{
    return project_checked(p, x, m, out, NULL);
}

int dd_pca_ks(const struct dd_pca *p, const float *cur, size_t m, struct dd_pca_ks_result *out)
{
    if (m == 0)
        return DD_EINSUFFICIENT;
    size_t ke = p->k_eff;
    double *proj = dd_malloc(dd_mul(m, ke) * sizeof *proj);
    int rc = project_checked(p, cur, m, proj, NULL);
    if (rc != 0) {
        free(proj);
        return rc;
    }
    double *col = dd_malloc(m * sizeof *col);
    double dmax = 0.0, pmin = 1.0;
    for (size_t c = 0; c < ke; c++) {
        for (size_t i = 0; i < m; i++)
            col[i] = proj[i * ke + c];
        dd_sort_doubles(col, m);
        double d = dd_ks_statistic_sorted(p->ref_proj + c * p->n_ref, p->n_ref, col, m);
        double pv = dd_ks_pvalue(&d, p->n_ref, m, NULL);
        if (d > dmax)
            dmax = d;
        if (pv < pmin)
            pmin = pv;
    }
    free(proj);
    free(col);
    out->statistic = dmax;
    out->p_value = fmin(1.0, (double)ke * pmin);
    out->components = (int)p->k;
    return 0;
}

int dd_pca_reconstruction(const struct dd_pca *p, const float *cur, size_t m,
                          struct dd_pca_recon_result *out)
{
    if (m == 0)
        return DD_EINSUFFICIENT;
    double *proj = dd_malloc(dd_mul(m, p->k_eff) * sizeof *proj);
    double *err = dd_malloc(m * sizeof *err);
    int rc = project_checked(p, cur, m, proj, err);
    if (rc != 0) {
        free(proj);
        free(err);
        return rc;
    }
    double s = 0.0;
    for (size_t i = 0; i < m; i++)
        s += err[i];
    free(proj);
    free(err);
    double mean = s / (double)m, half = 3.0 * p->err_sd / sqrt((double)m);
    out->statistic = mean;
    out->lower = p->err_mean - half;
    out->upper = p->err_mean + half;
    /* a zero-width band (constant reference) compares exactly */
    out->drift = mean < out->lower || mean > out->upper;
    out->components = (int)p->k;
    return 0;
}

void dd_blas_set_threads(int n)
{
    dd_blas__set_threads(n);
}

#define PCA_MAGIC "DDPCA1\0\0"

void dd_pca_encode(const struct dd_pca *p, struct dd_buf *out)
{
    uint64_t sizes[4] = {p->dim, p->k, p->n_ref, p->k_eff};
    double scalars[4] = {p->total_variance, p->explained, p->err_mean, p->err_sd};
    dd_buf_append(out, PCA_MAGIC, 8);
    dd_buf_append(out, sizes, sizeof sizes);
    dd_buf_append(out, scalars, sizeof scalars);
    dd_buf_append(out, p->mean, p->dim * sizeof(double));
    dd_buf_append(out, p->components, p->dim * p->k * sizeof(double));
    dd_buf_append(out, p->eigenvalues, p->k * sizeof(double));
    dd_buf_append(out, p->ref_proj, p->k_eff * p->n_ref * sizeof(double));
}

/* count doubles from rd, or NULL (nothing allocated) when they are not there */
static double *read_doubles(struct dd_reader *rd, uint64_t count)
{
    if (!dd_reader_fits(rd, count, sizeof(double)))
        return NULL;
    double *a = dd_malloc(count ? count * sizeof(double) : 1);
    dd_read_copy(rd, a, count * sizeof(double));
    return a;
}

/* A decoded PCA is used as it is: every number finite (a NaN in the sorted
 * reference projections would stall the KS merge) and each component's
 * projections sorted, as dd_pca_fit() leaves them. */
static int pca_values_sane(const struct dd_pca *p)
{
    const double scalars[4] = {p->total_variance, p->explained, p->err_mean, p->err_sd};
    const struct {
        const double *v;
        size_t n;
    } arrays[] = {{scalars, 4},
                  {p->mean, p->dim},
                  {p->components, p->dim * p->k},
                  {p->eigenvalues, p->k},
                  {p->ref_proj, p->k_eff * p->n_ref}};
    for (size_t a = 0; a < sizeof arrays / sizeof arrays[0]; a++)
        for (size_t i = 0; i < arrays[a].n; i++)
            if (!isfinite(arrays[a].v[i]))
                return 0;
    for (size_t c = 0; c < p->k_eff; c++)
        for (size_t i = 1; i < p->n_ref; i++)
            if (p->ref_proj[c * p->n_ref + i] < p->ref_proj[c * p->n_ref + i - 1])
                return 0;
    return 1;
}

int dd_pca_decode(const void *bytes, size_t len, struct dd_pca *out)
{
    struct dd_reader rd;
    dd_reader_init(&rd, bytes, len);
    char magic[8];
    uint64_t sz[4];
    double sc[4];
    memset(out, 0, sizeof *out);
    if (dd_read_copy(&rd, magic, 8) || memcmp(magic, PCA_MAGIC, 8) ||
        dd_read_copy(&rd, sz, sizeof sz) || dd_read_copy(&rd, sc, sizeof sc) || sz[0] == 0 ||
        sz[0] > (1u << 20) || sz[1] > sz[0] || sz[3] != (sz[1] ? sz[1] : 1) ||
        sz[2] > ((uint64_t)1 << 32))
        return DD_EINVAL;
    out->dim = sz[0];
    out->k = sz[1];
    out->n_ref = sz[2];
    out->k_eff = sz[3];
    out->total_variance = sc[0];
    out->explained = sc[1];
    out->err_mean = sc[2];
    out->err_sd = sc[3];
    out->mean = read_doubles(&rd, sz[0]);
    out->components = out->mean ? read_doubles(&rd, sz[0] * sz[1]) : NULL;
    out->eigenvalues = out->components ? read_doubles(&rd, sz[1]) : NULL;
    out->ref_proj = out->eigenvalues ? read_doubles(&rd, sz[3] * sz[2]) : NULL;
    if (!out->ref_proj || rd.left || !pca_values_sane(out)) {
        dd_pca_release(out);
        return DD_EINVAL;
    }
    return 0;
}
