/* Tests analysis/embed.c against scipy/scikit-learn (embed.txt lines "cos A B
 * d" = scipy.spatial.distance.cosine of the means, and "pca REF CUR VAR MAXK k
 * ev.. proj.. D p" = sklearn PCA explained_variance_, transform() of the first
 * three current rows (compared up to each component's sign) and ks_2samp per
 * component with Bonferroni); plus reconstruction-error behaviour and the
 * degenerate inputs (zero variance, NaN, empty). */
#include <stdlib.h>
#include <string.h>

#include "analysis/embed.h"
#include "base/err.h"
#include "check.h"
#include "fixture.h"

/* "cos A B d": the cosine distance of the two samples' means */
static void cos_line(char *rest)
{
    char *save;
    size_t n, m, d1, d2;
    float *a = fixture_embed(strtok_r(rest, " ", &save), &n, &d1);
    float *b = fixture_embed(strtok_r(NULL, " ", &save), &m, &d2);
    double want = fixture_next_num(&save), got = -1;
    CHECK_EQ_INT(dd_cosine_centroid(a, n, b, m, d1, &got), 0);
    CHECK_CLOSE(got, want, 1e-9, 1e-12);
    free(a);
    free(b);
}

/* "pca REF CUR VAR MAXK k ev.. proj.. D p": the fit's eigenvalues, the
 * projection of the first three current rows (up to each component's sign)
 * and the KS test per component */
static void pca_line(char *rest)
{
    char *save;
    size_t n, m, dim, dim2;
    float *ref = fixture_embed(strtok_r(rest, " ", &save), &n, &dim);
    float *cur = fixture_embed(strtok_r(NULL, " ", &save), &m, &dim2);
    double var = fixture_next_num(&save);
    size_t maxk = (size_t)fixture_next_num(&save);
    size_t k = (size_t)fixture_next_num(&save);
    struct dd_pca p;
    CHECK_EQ_INT(dd_pca_fit(ref, n, dim, var, maxk, &p), 0);
    CHECK_EQ_INT(p.k, k);
    for (size_t c = 0; c < k; c++)
        CHECK_CLOSE(p.eigenvalues[c], fixture_next_num(&save), 1e-8, 1e-12);
    double *proj = malloc(m * p.k_eff * sizeof *proj);
    CHECK_EQ_INT(dd_pca_project(&p, cur, m, proj), 0);
    double want[3][64];
    for (size_t r = 0; r < 3; r++)
        for (size_t c = 0; c < k; c++)
            want[r][c] = fixture_next_num(&save);
    for (size_t c = 0; c < k; c++) {
        double sign = (proj[c] * want[0][c] < 0) ? -1.0 : 1.0;
        for (size_t r = 0; r < 3; r++)
            CHECK_CLOSE(sign * proj[r * p.k_eff + c], want[r][c], 1e-6, 1e-9);
    }
    double D = fixture_next_num(&save);
    double P = fixture_next_num(&save);
    struct dd_pca_ks_result ks;
    CHECK_EQ_INT(dd_pca_ks(&p, cur, m, &ks), 0);
    CHECK_CLOSE(ks.statistic, D, 0, 1e-9);
    CHECK_CLOSE(ks.p_value, P, 1e-6, 1e-12);
    CHECK_EQ_INT(ks.components, k);
    free(proj);
    dd_pca_release(&p);
    free(ref);
    free(cur);
}

/* every "cos" and "pca" line of embed.txt */
TEST(fixtures)
{
    CHECK_EQ_INT(fixture_each_line("embed.txt", "cos", cos_line), 3);
    CHECK_EQ_INT(fixture_each_line("embed.txt", "pca", pca_line), 3);
}

/* Reconstruction error: no shift stays in the band; a current window off the
 * reference's principal subspace leaves it. */
TEST(reconstruction)
{
    size_t n, m, dim, d2;
    float *ref = fixture_embed("81:2000:16:0", &n, &dim);
    float *same = fixture_embed("82:500:16:0", &m, &d2);
    float *off = fixture_embed("83:500:16:0", &m, &d2);
    for (size_t i = 0; i < m; i++)
        off[i * dim + dim - 1] += 0.5f; /* along the smallest-variance axis */
    struct dd_pca p;
    CHECK_EQ_INT(dd_pca_fit(ref, n, dim, 0.9, 32, &p), 0);
    struct dd_pca_recon_result r;
    CHECK_EQ_INT(dd_pca_reconstruction(&p, same, m, &r), 0);
    CHECK_EQ_INT(r.drift, 0);
    CHECK_CMP_DBL(r.lower, <, r.statistic);
    CHECK_CMP_DBL(r.statistic, <, r.upper);
    CHECK_EQ_INT(r.components, p.k);
    CHECK_EQ_INT(dd_pca_reconstruction(&p, off, m, &r), 0);
    CHECK_EQ_INT(r.drift, 1);
    CHECK_CMP_DBL(r.statistic, >, r.upper);
    dd_pca_release(&p);
    free(ref);
    free(same);
    free(off);
}

TEST(degenerate)
{
    size_t n = 50, dim = 8;
    float *c = malloc(n * dim * sizeof *c);
    for (size_t i = 0; i < n * dim; i++)
        c[i] = 0.5f;
    struct dd_pca p;
    CHECK_EQ_INT(dd_pca_fit(c, n, dim, 0.9, 32, &p), 0); /* zero variance */
    CHECK_EQ_INT(p.k, 0);
    struct dd_pca_ks_result ks;
    CHECK_EQ_INT(dd_pca_ks(&p, c, n, &ks), 0); /* same constant: no drift */
    CHECK_EQ_DBL(ks.statistic, 0);
    CHECK_EQ_DBL(ks.p_value, 1);
    CHECK_EQ_INT(ks.components, 0);
    struct dd_pca_recon_result rr;
    CHECK_EQ_INT(dd_pca_reconstruction(&p, c, n, &rr), 0);
    CHECK_EQ_INT(rr.drift, 0);
    CHECK_EQ_DBL(rr.statistic, 0);
    float *moved = malloc(n * dim * sizeof *moved);
    for (size_t i = 0; i < n * dim; i++)
        moved[i] = 0.75f;
    CHECK_EQ_INT(dd_pca_ks(&p, moved, n, &ks), 0);
    CHECK_EQ_DBL(ks.statistic, 1);
    CHECK_CMP_DBL(ks.p_value, <, 1e-6);
    CHECK_EQ_INT(dd_pca_reconstruction(&p, moved, n, &rr), 0);
    CHECK_EQ_INT(rr.drift, 1);
    dd_pca_release(&p);
    dd_pca_release(NULL);

    double d = -1;
    CHECK_EQ_INT(dd_cosine_centroid(c, n, c, n, dim, &d), 0);
    CHECK_CMP_DBL(d, >=, 0); /* rounding of 1 - cos, as SciPy */
    CHECK_CMP_DBL(d, <, 1e-12);
    float *zero = calloc(n * dim, sizeof *zero);
    CHECK_EQ_INT(dd_cosine_centroid(zero, n, zero, n, dim, &d), 0);
    CHECK_EQ_DBL(d, 0);
    CHECK_EQ_INT(dd_cosine_centroid(zero, n, c, n, dim, &d), 0);
    CHECK_EQ_DBL(d, 1);
    CHECK_EQ_INT(dd_cosine_centroid(c, 0, c, n, dim, &d), DD_EINSUFFICIENT);
    CHECK_EQ_INT(dd_cosine_centroid(c, n, c, n, 0, &d), DD_EINVAL);
    CHECK_EQ_INT(dd_pca_fit(c, 1, dim, 0.9, 32, &p), DD_EINSUFFICIENT);
    CHECK_EQ_INT(dd_pca_fit(c, n, 0, 0.9, 32, &p), DD_EINVAL);
    c[3] = NAN;
    CHECK_EQ_INT(dd_cosine_centroid(c, n, zero, n, dim, &d), DD_EINVAL);
    CHECK_EQ_INT(dd_pca_fit(c, n, dim, 0.9, 32, &p), DD_EINVAL);
    free(c);
    free(zero);
    free(moved);
}

/* A PCA survives encode/decode exactly: same projections and KS results;
 * truncated or foreign bytes are refused. */
TEST(encode_decode)
{
    size_t n, m, dim, d2;
    float *ref = fixture_embed("84:600:16:0", &n, &dim);
    float *cur = fixture_embed("85:300:16:0", &m, &d2);
    struct dd_pca p, q;
    CHECK_EQ_INT(dd_pca_fit(ref, n, dim, 0.9, 32, &p), 0);
    struct dd_buf b;
    dd_buf_init(&b);
    dd_pca_encode(&p, &b);
    CHECK_EQ_INT(dd_pca_decode(b.data, b.len, &q), 0);
    CHECK_EQ_INT(q.dim, p.dim);
    CHECK_EQ_INT(q.k, p.k);
    CHECK_EQ_INT(q.n_ref, p.n_ref);
    CHECK_EQ_INT(q.k_eff, p.k_eff);
    CHECK_EQ_MEM(q.components, p.components, p.dim * p.k * sizeof(double));
    CHECK_EQ_MEM(q.ref_proj, p.ref_proj, p.k_eff * p.n_ref * sizeof(double));
    struct dd_pca_ks_result a, c;
    CHECK_EQ_INT(dd_pca_ks(&p, cur, m, &a), 0);
    CHECK_EQ_INT(dd_pca_ks(&q, cur, m, &c), 0);
    CHECK_EQ_DBL(a.statistic, c.statistic);
    CHECK_EQ_DBL(a.p_value, c.p_value);
    dd_pca_release(&q);
    CHECK_EQ_INT(dd_pca_decode(b.data, b.len - 8, &q), DD_EINVAL);
    CHECK_EQ_INT(dd_pca_decode("not a pca", 9, &q), DD_EINVAL);
    b.data[8] ^= 0x7f; /* corrupt the dimension */
    CHECK_EQ_INT(dd_pca_decode(b.data, b.len, &q), DD_EINVAL);
    dd_buf_release(&b);
    dd_pca_release(&p);
    free(ref);
    free(cur);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(encode_decode);
    RUN(fixtures);
    RUN(reconstruction);
    RUN(degenerate);
    CHECK_DONE();
}
