/* embed.h — drift of embedding vectors: centroid cosine distance, a PCA fitted
 * on the reference, KS per principal component (BBSD / PCA-KS, Rabanser et
 * al. 2019) and PCA reconstruction error (NannyML's data reconstruction).
 *
 * Vectors are row-major n × dim float32, as ingested; arithmetic is double.
 * The PCA is the expensive part and depends on the reference only: fit it
 * once per reference (dd_pca_fit) and evaluate windows against it.  The
 * covariance is accumulated with cblas_dsyrk over row blocks (bounded memory),
 * and LAPACKE_dsyevr computes only the top eigenpairs.  Both libraries are
 * loaded on the first call that needs them (analysis/blas.h: why).
 *
 *  - cosine_centroid = 1 - cos(mean_ref, mean_cur) (= scipy.spatial.distance.
 *    cosine of the two means); 0 if both means are 0, 1 if only one is.
 *  - PCA: the smallest k whose explained-variance share exceeds var_share
 *    (sklearn PCA(n_components=var_share)), capped at max_k; covariance with
 *    n - 1.  A reference with zero total variance keeps k = 0 components and
 *    the methods below use the distance to the reference's (constant) mean as
 *    their single coordinate, so "same constant" gives no drift and anything
 *    else is seen.
 *  - pca_ks: KS of each component's projections, statistic max D, p =
 *    min(1, k · min p) (Bonferroni within the method).
 *  - pca_reconstruction: per-row error ‖x - x̂‖ (Euclidean, after projecting on
 *    the k components and back); the reference rows give mean μ and standard
 *    deviation σ; a current window of m rows drifts when its mean error leaves
 *    μ ± 3σ/√m (the 3-sigma band of a window mean; NannyML uses chunk
 *    statistics instead).  No p-value: an effect-size style method.
 *
 * Errors: DD_EINSUFFICIENT (fewer than 2 reference rows, empty current),
 * DD_EINVAL (dim 0, NaN/Inf values), DD_ENUMERIC (LAPACK failure), DD_EIO
 * (OpenBLAS or LAPACKE cannot be loaded; logged once, with dlerror()'s text).
 * Threading: a fitted struct dd_pca is read-only after dd_pca_fit() and may be
 * shared by threads evaluating against it.  BLAS threading is the caller's
 * (the server sets dd_blas_set_threads(1)).
 */
#ifndef DD_EMBED_H
#define DD_EMBED_H
#include <stddef.h>

#include "base/buf.h"

struct dd_pca {
    size_t dim;
    size_t k; /* components kept (0: zero-variance reference) */
    size_t n_ref;
    double *mean;            /* dim */
    double *components;      /* dim × k row-major: column j is component j */
    double *eigenvalues;     /* k, descending (sklearn explained_variance_) */
    double total_variance;   /* trace of the covariance */
    double explained;        /* share of total_variance in the k components */
    double *ref_proj;        /* k_eff × n_ref, each row ascending (for KS) */
    size_t k_eff;            /* max(k, 1): rows of ref_proj */
    double err_mean, err_sd; /* reference reconstruction errors */
};

struct dd_pca_ks_result {
    double statistic; /* max D over components */
    double p_value;   /* Bonferroni: min(1, k_eff · min p) */
    int components;   /* k */
};

struct dd_pca_recon_result {
    double statistic;    /* mean reconstruction error of the current rows */
    double lower, upper; /* err_mean ∓ 3 err_sd / √m */
    int drift;
    int components;
};

/* Fits on n × dim rows.  0 < var_share <= 1, max_k >= 1.  *out is the
 * caller's: dd_pca_release(). */
int dd_pca_fit(const float *x, size_t n, size_t dim, double var_share, size_t max_k,
               struct dd_pca *out);
void dd_pca_release(struct dd_pca *p);

/* A fitted PCA as bytes, to store a reference's summary once and load it
 * after a restart instead of fitting again (host byte order: the database
 * stays on the machine that wrote it).  decode: 0 or DD_EINVAL for bytes
 * that are not an encoded PCA; *out is the caller's (dd_pca_release()). */
void dd_pca_encode(const struct dd_pca *p, struct dd_buf *out);
int dd_pca_decode(const void *bytes, size_t len, struct dd_pca *out);

/* Projections of m rows on the k_eff coordinates: out is m × k_eff row-major. */
int dd_pca_project(const struct dd_pca *p, const float *x, size_t m, double *out);

int dd_pca_ks(const struct dd_pca *p, const float *cur, size_t m, struct dd_pca_ks_result *out);
int dd_pca_reconstruction(const struct dd_pca *p, const float *cur, size_t m,
                          struct dd_pca_recon_result *out);

int dd_cosine_centroid(const float *a, size_t n, const float *b, size_t m, size_t dim, double *out);

/* 1 if any value is NaN or infinite. */
int dd_float_has_nonfinite(const float *x, size_t n);

struct dd_blas;
/* The checks of a two-sample embedding method (cosine centroid, MMD): dim > 0
 * and every value finite (else DD_EINVAL), at least min_rows rows a side
 * (else DD_EINSUFFICIENT); then the BLAS in *bl, or why it cannot load. */
int dd_emb__two_samples(const float *a, size_t n, const float *b, size_t m, size_t dim,
                        size_t min_rows, const struct dd_blas **bl);

/* Caps the threads OpenBLAS uses per call (the server sets 1, so an
 * evaluation never competes with the HTTP threads for the cores).  Before
 * OpenBLAS is loaded the count is kept and applied when it is. */
void dd_blas_set_threads(int n);

#endif
