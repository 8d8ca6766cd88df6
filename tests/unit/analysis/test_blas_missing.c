/* Tests what the embedding methods answer when BLAS cannot be loaded: blas.c
 * is built here with a library name that does not exist, and embed.c and
 * mmd.c call it.  Bad arguments still get their own codes; everything that
 * needs BLAS gets DD_EIO (the message is logged once: one line on stderr),
 * and nothing crashes. */
#define DD_BLAS_OPENBLAS_LIB "libdd-no-such-blas.so.0"
#include "analysis/blas.c"
#include "analysis/embed.c"
#include "analysis/mmd.c"

#include "check.h"

enum { N = 20, DIM = 4 };

static void rows(float a[N * DIM], float b[N * DIM])
{
    for (int i = 0; i < N * DIM; i++) {
        a[i] = (float)((i * 7) % 11);
        b[i] = (float)((i * 5) % 13);
    }
}

/* bad arguments get their own codes before BLAS is needed */
TEST(argument_errors)
{
    float a[N * DIM], b[N * DIM];
    rows(a, b);
    double d = -1;
    struct dd_pca p;
    CHECK_EQ_INT(dd_cosine_centroid(a, 0, b, N, DIM, &d), DD_EINSUFFICIENT);
    CHECK_EQ_INT(dd_cosine_centroid(a, N, b, N, 0, &d), DD_EINVAL);
    CHECK_EQ_INT(dd_pca_fit(a, 1, DIM, 0.9, 8, &p), DD_EINSUFFICIENT);
}

TEST(methods_need_blas)
{
    float a[N * DIM], b[N * DIM];
    rows(a, b);
    double d = -1;
    struct dd_pca p;
    struct dd_mmd_result r;
    dd_blas_set_threads(1); /* kept for a load that never succeeds */
    CHECK_EQ_INT(dd_cosine_centroid(a, N, b, N, DIM, &d), DD_EIO);
    CHECK_EQ_INT(dd_pca_fit(a, N, DIM, 0.9, 8, &p), DD_EIO);
    CHECK_EQ_INT(dd_mmd_test(a, N, b, N, DIM, 10, 100, 1, &r), DD_EIO);
    CHECK_EQ_INT(dd_mmd2_unbiased(a, N, b, N, DIM, 1.0, &d), DD_EIO);
}

/* a PCA decoded from bytes needs BLAS to project */
TEST(decoded_pca_needs_blas)
{
    float a[N * DIM], b[N * DIM];
    rows(a, b);
    struct dd_pca q = {0};
    q.dim = DIM;
    q.k = 0;
    q.k_eff = 1;
    q.n_ref = 2;
    double mean[DIM] = {0}, ref_proj[2] = {0, 1}, comp = 0, ev = 0;
    q.mean = mean;
    q.components = &comp;
    q.eigenvalues = &ev;
    q.ref_proj = ref_proj;
    double proj[N];
    struct dd_pca_ks_result ks;
    struct dd_pca_recon_result rr;
    CHECK_EQ_INT(dd_pca_project(&q, a, N, proj), DD_EIO);
    CHECK_EQ_INT(dd_pca_ks(&q, a, N, &ks), DD_EIO);
    CHECK_EQ_INT(dd_pca_reconstruction(&q, a, N, &rr), DD_EIO);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(argument_errors);
    RUN(methods_need_blas);
    RUN(decoded_pca_needs_blas);
    CHECK_DONE();
}
