/* Tests analysis/eval.c: defaults per kind, the JSON members in docs/api.md's
 * shape (and never NaN), insufficient_data, the Holm verdict, effect sizes
 * not deciding the verdict, the text table, and degenerate inputs. */
#include <stdlib.h>
#include <string.h>

#include "analysis/embed.h"
#include "analysis/eval.h"
#include "base/err.h"
#include "check.h"
#include "fixture.h"

static const char *cats[] = {"cat", "dog", "bird", "fish"};

static struct dd_signal_input numeric(const char *name, const double *ref, size_t n_ref,
                                      const double *cur, size_t n_cur)
{
    return (struct dd_signal_input){.name = name,
                                    .kind = DD_SIGNAL_NUMERIC,
                                    .ref_num = ref,
                                    .cur_num = cur,
                                    .n_ref = n_ref,
                                    .n_cur = n_cur};
}

static struct dd_signal_input categorical(const char *name, const uint32_t *ref, size_t n_ref,
                                          const uint32_t *cur, size_t n_cur)
{
    struct dd_signal_input s = {.name = name, .kind = DD_SIGNAL_CATEGORICAL, .n_ref = n_ref};
    s.ref_cat = ref;
    s.cur_cat = cur;
    s.n_cur = n_cur;
    s.categories = cats;
    s.n_categories = 4;
    return s;
}

static struct dd_signal_input embedding(const char *name, const float *ref, size_t n_ref,
                                        const float *cur, size_t n_cur, size_t dim)
{
    struct dd_signal_input s = {.name = name, .kind = DD_SIGNAL_EMBEDDING, .dim = dim};
    s.ref_emb = ref;
    s.cur_emb = cur;
    s.n_ref = n_ref;
    s.n_cur = n_cur;
    return s;
}

/* The four signals every case starts from: confidence shifted by one sigma,
 * a prediction over 3 of 4 categories (never "fish"), a 16-d embedding, and
 * a feature with only 5 current values (insufficient). */
struct inputs {
    double *ref, *cur, *few;
    uint32_t rc[300], cc[300];
    float *eref, *ecur;
    struct dd_signal_input s[4];
};

static void inputs_init(struct inputs *in)
{
    size_t n, m, dim, d2;
    memset(in, 0, sizeof *in);
    in->ref = fixture_sample("101:500:0:1:-1", &n);
    in->cur = fixture_sample("102:400:1:1:-1", &m); /* shifted */
    in->few = fixture_sample("103:5:0:1:-1", &d2);
    struct dd_rng r;
    dd_rng_seed(&r, 5);
    for (int i = 0; i < 300; i++) {
        in->rc[i] = (uint32_t)dd_rng_below(&r, 3); /* never "fish" */
        in->cc[i] = (uint32_t)dd_rng_below(&r, 3);
    }
    in->eref = fixture_embed("104:300:16:0", &n, &dim);
    in->ecur = fixture_embed("105:200:16:0", &m, &d2);
    in->s[0] = numeric("confidence", in->ref, 500, in->cur, 400);
    in->s[1] = categorical("prediction", in->rc, 300, in->cc, 300);
    in->s[2] = embedding("embedding", in->eref, 300, in->ecur, 200, 16);
    in->s[3] = numeric("feature:age", in->ref, 500, in->few, 5);
}

static void inputs_release(struct inputs *in)
{
    free(in->ref);
    free(in->cur);
    free(in->few);
    free(in->eref);
    free(in->ecur);
}

TEST(defaults)
{
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    CHECK_EQ_DBL(o.alpha, 0.05);
    CHECK_EQ_INT(o.min_samples, 20);
    CHECK_EQ_INT(o.mmd_permutations, 100);
    CHECK_EQ_INT(o.methods[DD_SIGNAL_NUMERIC], DD_M_KS | DD_M_WASSERSTEIN);
}

/* the default methods of each kind, the Holm verdict, the JSON and text */
TEST(report)
{
    struct inputs in;
    inputs_init(&in);
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    struct dd_report rep;
    CHECK_EQ_INT(dd_eval_run(in.s, 4, &o, &rep), 0);
    CHECK_EQ_INT(rep.n_results, 8);
    CHECK_EQ_INT(rep.drift, 1);
    CHECK_EQ_STR(rep.correction, "holm");
    if (rep.n_results == 8) {
        CHECK_EQ_STR(rep.results[0].method, "ks");
        CHECK(rep.results[0].drift);
        CHECK_CMP_DBL(rep.results[0].p_value, <, 1e-20);
        CHECK_EQ_STR(rep.results[1].method, "wasserstein");
        CHECK(rep.results[1].drift);
        CHECK(isnan(rep.results[1].p_value));
        CHECK_EQ_STR(rep.results[2].method, "chi2");
        CHECK_EQ_INT(rep.results[2].df, 2); /* "fish" absent from both: dropped */
        CHECK_EQ_STR(rep.results[3].method, "psi");
        CHECK_EQ_STR(rep.results[4].method, "cosine_centroid");
        CHECK_EQ_STR(rep.results[5].method, "pca_ks");
        CHECK_CMP_INT(rep.results[5].components, >, 0);
        CHECK_EQ_INT(rep.results[6].status, DD_EINSUFFICIENT);
        CHECK_EQ_INT(rep.results[7].status, DD_EINSUFFICIENT);
    }

    struct dd_buf b;
    dd_buf_init(&b);
    dd_report_json_members(&rep, &b);
    CHECK_STARTS_WITH(b.data,
                      "\"drift\":true,\"correction\":\"holm\",\"alpha\":0.05,\"signals\":[");
    CHECK_CONTAINS(b.data, "{\"signal\":\"confidence\",\"method\":\"ks\",\"statistic\":");
    CHECK_CONTAINS(b.data, "\"method\":\"chi2\"");
    CHECK_CONTAINS(b.data, "\"df\":2");
    CHECK_CONTAINS(b.data, "\"components\":");
    CHECK_CONTAINS(b.data, "\"correction\":\"bonferroni\"");
    CHECK_CONTAINS(b.data,
                   "{\"signal\":\"feature:age\",\"method\":\"ks\",\"status\":\"insufficient_"
                   "data\",\"n_ref\":500,\"n_cur\":5}");
    /* effect sizes have no p_value member */
    const char *w = strstr(b.data, "\"method\":\"wasserstein\"");
    const char *p_after = w ? strstr(w, "p_value") : NULL;
    CHECK(w && (!p_after || p_after > strstr(w, "}")));
    CHECK_EQ_PTR(strstr(b.data, "nan"), NULL);
    CHECK_EQ_PTR(strstr(b.data, "inf"), NULL);
    dd_buf_reset(&b);
    dd_report_text(&rep, &b);
    CHECK_CONTAINS(b.data, "verdict: DRIFT");
    CHECK_CONTAINS(b.data, "insufficient_data");
    fprintf(stderr, "%s", b.data);
    dd_report_release(&rep);
    dd_buf_release(&b);
    inputs_release(&in);
}

/* effect sizes alone never decide the verdict: a threshold of 1e-9 makes
 * wasserstein flag drift on identical-distribution data, verdict stays */
TEST(effect_sizes_do_not_decide)
{
    struct inputs in;
    inputs_init(&in);
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    struct dd_signal_input s = numeric("confidence", in.ref, 250, in.ref + 250, 250);
    o.threshold[3] = 1e-9;
    struct dd_report rep;
    CHECK_EQ_INT(dd_eval_run(&s, 1, &o, &rep), 0);
    CHECK_EQ_INT(rep.n_results, 2);
    if (rep.n_results == 2) {
        CHECK_EQ_INT(rep.results[1].drift, 1);
        CHECK_EQ_INT(rep.results[0].drift, 0);
    }
    CHECK_EQ_INT(rep.drift, 0);
    dd_report_release(&rep);
    inputs_release(&in);
}

/* every method on one signal each, plus a reused PCA */
TEST(every_method)
{
    struct inputs in;
    inputs_init(&in);
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    o.methods[DD_SIGNAL_NUMERIC] = DD_M_KS | DD_M_WASSERSTEIN | DD_M_PSI | DD_M_JS;
    o.methods[DD_SIGNAL_CATEGORICAL] = DD_M_CHI2 | DD_M_PSI | DD_M_JS;
    o.methods[DD_SIGNAL_EMBEDDING] = DD_M_COSINE | DD_M_PCA_KS | DD_M_PCA_RECON | DD_M_MMD;
    struct dd_pca pca;
    CHECK_EQ_INT(dd_pca_fit(in.eref, 300, 16, 0.9, 32, &pca), 0);
    in.s[2].ref_pca = &pca;
    struct dd_report rep;
    CHECK_EQ_INT(dd_eval_run(in.s, 3, &o, &rep), 0);
    CHECK_EQ_INT(rep.n_results, 11);
    if (rep.n_results == 11) {
        CHECK_EQ_STR(rep.results[9].method, "pca_reconstruction");
        CHECK_EQ_DBL(rep.results[9].threshold, rep.results[9].upper);
        CHECK(!isnan(rep.results[9].lower));
        CHECK_EQ_STR(rep.results[10].method, "mmd");
    }
    struct dd_buf b;
    dd_buf_init(&b);
    dd_report_json_members(&rep, &b);
    CHECK_CONTAINS(b.data, "\"lower\":");
    CHECK_CONTAINS(b.data, "\"method\":\"jensen_shannon\"");
    dd_buf_release(&b);
    dd_report_release(&rep);
    dd_pca_release(&pca);
    inputs_release(&in);
}

/* the reference as counts (how the server gives it) is the same test;
 * counts that do not add up to n_ref, or more counts than categories, are
 * refused */
TEST(reference_as_counts)
{
    struct inputs in;
    inputs_init(&in);
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    o.methods[DD_SIGNAL_CATEGORICAL] = DD_M_CHI2 | DD_M_PSI | DD_M_JS;
    struct dd_report by_rows, by_counts;
    CHECK_EQ_INT(dd_eval_run(&in.s[1], 1, &o, &by_rows), 0);
    uint64_t counts[5] = {0, 0, 0, 0, 0};
    for (int i = 0; i < 300; i++)
        counts[in.rc[i]]++;
    struct dd_signal_input sc = in.s[1];
    sc.ref_cat = NULL;
    sc.ref_counts = counts;
    sc.n_ref_counts = 3;
    CHECK_EQ_INT(dd_eval_run(&sc, 1, &o, &by_counts), 0);
    CHECK_EQ_INT(by_counts.n_results, 3);
    for (size_t i = 0; i < by_rows.n_results && i < by_counts.n_results; i++) {
        CHECK_EQ_DBL(by_rows.results[i].statistic, by_counts.results[i].statistic);
        if (i == 0) /* chi2's p-value; PSI and JS have none (NaN) */
            CHECK_EQ_DBL(by_rows.results[i].p_value, by_counts.results[i].p_value);
    }
    dd_report_release(&by_rows);
    dd_report_release(&by_counts);
    counts[0]++;
    CHECK_EQ_INT(dd_eval_run(&sc, 1, &o, &by_counts), DD_EINVAL);
    counts[0]--;
    sc.n_ref_counts = 5;
    CHECK_EQ_INT(dd_eval_run(&sc, 1, &o, &by_counts), DD_EINVAL);
    inputs_release(&in);
}

TEST(method_names)
{
    CHECK_EQ_INT(dd_method_parse("pca_ks"), DD_M_PCA_KS);
    CHECK_EQ_INT(dd_method_parse("nope"), 0);
    CHECK_EQ_STR(dd_method_name(DD_M_JS), "jensen_shannon");
}

/* degenerate inputs: errors, never NaN */
TEST(degenerate_inputs)
{
    struct inputs in;
    inputs_init(&in);
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    struct dd_report rep;
    struct dd_signal_input bad = in.s[2];
    bad.dim = 0;
    CHECK_EQ_INT(dd_eval_run(&bad, 1, &o, &rep), DD_EINVAL);
    bad = in.s[2];
    bad.cur_dim = 8;
    CHECK_EQ_INT(dd_eval_run(&bad, 1, &o, &rep), DD_EDIM);
    double nanv[30];
    for (int i = 0; i < 30; i++)
        nanv[i] = i == 7 ? NAN : i;
    bad = numeric("confidence", in.ref, 500, nanv, 30);
    CHECK_EQ_INT(dd_eval_run(&bad, 1, &o, &rep), DD_EINVAL);
    bad = in.s[1];
    bad.n_categories = 2; /* indexes up to 2 -> out of range */
    CHECK_EQ_INT(dd_eval_run(&bad, 1, &o, &rep), DD_EINVAL);
    o.methods[DD_SIGNAL_NUMERIC] = DD_M_CHI2; /* not for numeric signals */
    CHECK_EQ_INT(dd_eval_run(in.s, 1, &o, &rep), DD_EINVAL);
    inputs_release(&in);
}

/* empty windows: insufficient, not an error; constant and equal: D = 0,
 * p = 1, no drift; no signals at all: an empty report */
TEST(empty_and_constant)
{
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    struct dd_report rep;
    double k1[40];
    for (int i = 0; i < 40; i++)
        k1[i] = 3.0;
    struct dd_signal_input s = numeric("confidence", k1, 40, NULL, 0);
    CHECK_EQ_INT(dd_eval_run(&s, 1, &o, &rep), 0);
    CHECK_CMP_INT(rep.n_results, >=, 1);
    if (rep.n_results >= 1)
        CHECK_EQ_INT(rep.results[0].status, DD_EINSUFFICIENT);
    CHECK_EQ_INT(rep.drift, 0);
    dd_report_release(&rep);

    s = numeric("confidence", k1, 40, k1, 30);
    s.ref_sorted = 1;
    CHECK_EQ_INT(dd_eval_run(&s, 1, &o, &rep), 0);
    CHECK_EQ_INT(rep.n_results, 2);
    if (rep.n_results == 2) {
        CHECK_EQ_DBL(rep.results[0].statistic, 0);
        CHECK_EQ_DBL(rep.results[0].p_value, 1);
        CHECK_EQ_DBL(rep.results[1].statistic, 0);
    }
    CHECK_EQ_INT(rep.drift, 0);
    dd_report_release(&rep);

    CHECK_EQ_INT(dd_eval_run(NULL, 0, NULL, &rep), 0);
    CHECK_EQ_INT(rep.n_results, 0);
    CHECK_EQ_INT(rep.drift, 0);
    struct dd_buf b;
    dd_buf_init(&b);
    dd_report_json_members(&rep, &b);
    CHECK_EQ_STR(b.data, "\"drift\":false,\"correction\":\"holm\",\"alpha\":0.05,\"signals\":[]");
    dd_report_release(&rep);
    dd_buf_release(&b);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(defaults);
    RUN(report);
    RUN(effect_sizes_do_not_decide);
    RUN(every_method);
    RUN(reference_as_counts);
    RUN(method_names);
    RUN(degenerate_inputs);
    RUN(empty_and_constant);
    CHECK_DONE();
}
