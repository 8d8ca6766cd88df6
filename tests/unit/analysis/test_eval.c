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

int main(void)
{
    size_t n, m, dim, d2;
    double *ref = fixture_sample("101:500:0:1:-1", &n);
    double *cur = fixture_sample("102:400:1:1:-1", &m); /* shifted */
    double *few = fixture_sample("103:5:0:1:-1", &d2);
    uint32_t rc_[300], cc_[300];
    struct dd_rng r;
    dd_rng_seed(&r, 5);
    for (int i = 0; i < 300; i++) {
        rc_[i] = (uint32_t)dd_rng_below(&r, 3); /* never "fish" */
        cc_[i] = (uint32_t)dd_rng_below(&r, 3);
    }
    float *eref = fixture_embed("104:300:16:0", &n, &dim);
    float *ecur = fixture_embed("105:200:16:0", &m, &d2);

    struct dd_signal_input s[4];
    memset(s, 0, sizeof s);
    s[0] = (struct dd_signal_input){.name = "confidence",
                                    .kind = DD_SIGNAL_NUMERIC,
                                    .ref_num = ref,
                                    .cur_num = cur,
                                    .n_ref = 500,
                                    .n_cur = 400};
    s[1] = (struct dd_signal_input){.name = "prediction",
                                    .kind = DD_SIGNAL_CATEGORICAL,
                                    .ref_cat = rc_,
                                    .cur_cat = cc_,
                                    .n_ref = 300,
                                    .n_cur = 300,
                                    .categories = cats,
                                    .n_categories = 4};
    s[2] = (struct dd_signal_input){.name = "embedding",
                                    .kind = DD_SIGNAL_EMBEDDING,
                                    .ref_emb = eref,
                                    .cur_emb = ecur,
                                    .n_ref = 300,
                                    .n_cur = 200,
                                    .dim = 16};
    s[3] = (struct dd_signal_input){.name = "feature:age",
                                    .kind = DD_SIGNAL_NUMERIC,
                                    .ref_num = ref,
                                    .cur_num = few,
                                    .n_ref = 500,
                                    .n_cur = 5};
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    CHECK(o.alpha == 0.05 && o.min_samples == 20 && o.mmd_permutations == 100);
    CHECK(o.methods[DD_SIGNAL_NUMERIC] == (DD_M_KS | DD_M_WASSERSTEIN));
    struct dd_report rep;
    CHECK_EQ_INT(dd_eval_run(s, 4, &o, &rep), 0);
    CHECK_EQ_INT(rep.n_results, 8);
    CHECK(rep.drift == 1);
    CHECK_EQ_STR(rep.correction, "holm");
    CHECK_EQ_STR(rep.results[0].method, "ks");
    CHECK(rep.results[0].drift && rep.results[0].p_value < 1e-20);
    CHECK_EQ_STR(rep.results[1].method, "wasserstein");
    CHECK(rep.results[1].drift && isnan(rep.results[1].p_value));
    CHECK_EQ_STR(rep.results[2].method, "chi2");
    CHECK_EQ_INT(rep.results[2].df, 2); /* "fish" absent from both: dropped */
    CHECK_EQ_STR(rep.results[3].method, "psi");
    CHECK_EQ_STR(rep.results[4].method, "cosine_centroid");
    CHECK_EQ_STR(rep.results[5].method, "pca_ks");
    CHECK(rep.results[5].components > 0);
    CHECK_EQ_INT(rep.results[6].status, DD_EINSUFFICIENT);
    CHECK_EQ_INT(rep.results[7].status, DD_EINSUFFICIENT);

    struct dd_buf b;
    dd_buf_init(&b);
    dd_report_json_members(&rep, &b);
    CHECK(strncmp(b.data, "\"drift\":true,\"correction\":\"holm\",\"alpha\":0.05,\"signals\":[",
                  56) == 0);
    CHECK(strstr(b.data, "{\"signal\":\"confidence\",\"method\":\"ks\",\"statistic\":") != NULL);
    CHECK(strstr(b.data, "\"method\":\"chi2\"") && strstr(b.data, "\"df\":2"));
    CHECK(strstr(b.data, "\"components\":") && strstr(b.data, "\"correction\":\"bonferroni\""));
    CHECK(strstr(b.data, "{\"signal\":\"feature:age\",\"method\":\"ks\",\"status\":\"insufficient_"
                         "data\",\"n_ref\":500,\"n_cur\":5}") != NULL);
    /* effect sizes have no p_value member */
    const char *w = strstr(b.data, "\"method\":\"wasserstein\"");
    const char *p_after = w ? strstr(w, "p_value") : NULL;
    CHECK(w && (!p_after || p_after > strstr(w, "}")));
    CHECK(strstr(b.data, "nan") == NULL && strstr(b.data, "inf") == NULL);
    dd_buf_reset(&b);
    dd_report_text(&rep, &b);
    CHECK(strstr(b.data, "verdict: DRIFT") != NULL);
    CHECK(strstr(b.data, "insufficient_data") != NULL);
    fprintf(stderr, "%s", b.data);
    dd_report_release(&rep);

    /* effect sizes alone never decide the verdict: a threshold of 1e-9 makes
     * wasserstein flag drift on identical-distribution data, verdict stays */
    s[0].cur_num = ref + 250;
    s[0].n_cur = 250;
    s[0].ref_num = ref;
    s[0].n_ref = 250;
    o.threshold[3] = 1e-9;
    CHECK_EQ_INT(dd_eval_run(s, 1, &o, &rep), 0);
    CHECK(rep.results[1].drift == 1 && rep.results[0].drift == 0 && rep.drift == 0);
    dd_report_release(&rep);
    dd_eval_options_default(&o);

    /* every method on one signal each, plus a reused PCA */
    o.methods[DD_SIGNAL_NUMERIC] = DD_M_KS | DD_M_WASSERSTEIN | DD_M_PSI | DD_M_JS;
    o.methods[DD_SIGNAL_CATEGORICAL] = DD_M_CHI2 | DD_M_PSI | DD_M_JS;
    o.methods[DD_SIGNAL_EMBEDDING] = DD_M_COSINE | DD_M_PCA_KS | DD_M_PCA_RECON | DD_M_MMD;
    struct dd_pca pca;
    CHECK_EQ_INT(dd_pca_fit(eref, 300, 16, 0.9, 32, &pca), 0);
    s[2].ref_pca = &pca;
    CHECK_EQ_INT(dd_eval_run(s, 3, &o, &rep), 0);
    CHECK_EQ_INT(rep.n_results, 11);
    CHECK_EQ_STR(rep.results[9].method, "pca_reconstruction");
    CHECK(rep.results[9].threshold == rep.results[9].upper && !isnan(rep.results[9].lower));
    CHECK_EQ_STR(rep.results[10].method, "mmd");
    dd_buf_reset(&b);
    dd_report_json_members(&rep, &b);
    CHECK(strstr(b.data, "\"lower\":") && strstr(b.data, "\"method\":\"jensen_shannon\""));
    dd_report_release(&rep);
    s[2].ref_pca = NULL;
    dd_pca_release(&pca);

    /* the reference as counts (how the server gives it) is the same test;
     * counts that do not add up to n_ref, or more counts than categories,
     * are refused */
    o.methods[DD_SIGNAL_CATEGORICAL] = DD_M_CHI2 | DD_M_PSI | DD_M_JS;
    struct dd_report by_rows, by_counts;
    CHECK_EQ_INT(dd_eval_run(&s[1], 1, &o, &by_rows), 0);
    uint64_t counts[5] = {0, 0, 0, 0, 0};
    for (int i = 0; i < 300; i++)
        counts[rc_[i]]++;
    struct dd_signal_input sc = s[1];
    sc.ref_cat = NULL;
    sc.ref_counts = counts;
    sc.n_ref_counts = 3;
    CHECK_EQ_INT(dd_eval_run(&sc, 1, &o, &by_counts), 0);
    CHECK_EQ_INT(by_counts.n_results, 3);
    for (size_t i = 0; i < by_rows.n_results && i < by_counts.n_results; i++)
        CHECK(by_rows.results[i].statistic == by_counts.results[i].statistic &&
              (i || by_rows.results[i].p_value == by_counts.results[i].p_value));
    dd_report_release(&by_rows);
    dd_report_release(&by_counts);
    counts[0]++;
    CHECK_EQ_INT(dd_eval_run(&sc, 1, &o, &by_counts), DD_EINVAL);
    counts[0]--;
    sc.n_ref_counts = 5;
    CHECK_EQ_INT(dd_eval_run(&sc, 1, &o, &by_counts), DD_EINVAL);
    dd_eval_options_default(&o);

    /* names */
    CHECK_EQ_INT(dd_method_parse("pca_ks"), DD_M_PCA_KS);
    CHECK_EQ_INT(dd_method_parse("nope"), 0);
    CHECK_EQ_STR(dd_method_name(DD_M_JS), "jensen_shannon");

    /* degenerate inputs: errors, never NaN */
    dd_eval_options_default(&o);
    struct dd_signal_input bad = s[2];
    bad.dim = 0;
    CHECK_EQ_INT(dd_eval_run(&bad, 1, &o, &rep), DD_EINVAL);
    bad = s[2];
    bad.cur_dim = 8;
    CHECK_EQ_INT(dd_eval_run(&bad, 1, &o, &rep), DD_EDIM);
    bad = s[0];
    double nanv[30];
    for (int i = 0; i < 30; i++)
        nanv[i] = i == 7 ? NAN : i;
    bad.cur_num = nanv;
    bad.n_cur = 30;
    CHECK_EQ_INT(dd_eval_run(&bad, 1, &o, &rep), DD_EINVAL);
    bad = s[1];
    bad.n_categories = 2; /* indexes up to 2 -> out of range */
    CHECK_EQ_INT(dd_eval_run(&bad, 1, &o, &rep), DD_EINVAL);
    o.methods[DD_SIGNAL_NUMERIC] = DD_M_CHI2; /* not for numeric signals */
    CHECK_EQ_INT(dd_eval_run(s, 1, &o, &rep), DD_EINVAL);
    dd_eval_options_default(&o);
    /* empty windows: insufficient, not an error */
    bad = s[0];
    bad.n_cur = 0;
    bad.cur_num = NULL;
    CHECK_EQ_INT(dd_eval_run(&bad, 1, &o, &rep), 0);
    CHECK(rep.results[0].status == DD_EINSUFFICIENT && rep.drift == 0);
    dd_report_release(&rep);
    /* constant and equal: D = 0, p = 1, no drift */
    double k1[40];
    for (int i = 0; i < 40; i++)
        k1[i] = 3.0;
    bad = s[0];
    bad.ref_num = k1;
    bad.cur_num = k1;
    bad.n_ref = 40;
    bad.n_cur = 30;
    bad.ref_sorted = 1;
    CHECK_EQ_INT(dd_eval_run(&bad, 1, &o, &rep), 0);
    CHECK(rep.results[0].statistic == 0 && rep.results[0].p_value == 1 && !rep.drift);
    CHECK(rep.results[1].statistic == 0);
    dd_report_release(&rep);
    /* no signals at all */
    CHECK_EQ_INT(dd_eval_run(NULL, 0, NULL, &rep), 0);
    CHECK(rep.n_results == 0 && rep.drift == 0);
    dd_buf_reset(&b);
    dd_report_json_members(&rep, &b);
    CHECK_EQ_STR(b.data, "\"drift\":false,\"correction\":\"holm\",\"alpha\":0.05,\"signals\":[]");
    dd_report_release(&rep);

    dd_buf_release(&b);
    free(ref);
    free(cur);
    free(few);
    free(eref);
    free(ecur);
    CHECK_DONE();
}
