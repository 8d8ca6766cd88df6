/* Tests the kinds of server/monitor/signals.c and the "types" setting of
 * server/monitor/settings.c (issue #15 item 3): declared types come before
 * any guess (signals_build_cur_typed()), numeric-looking strings keep a
 * feature numeric with mixed_types counted, missing:<feature> from nulls, a
 * regression's prediction and error signal, and settings_apply_over()'s
 * null (back to the layer below) and type checks. */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "fixture_signals.h"
#include "server/monitor/settings.h"

/* The signal set of ref against cur, with the settings ms (NULL: none). */
struct pair {
    struct dd_batch ref, cur;
    struct signals_ref *r;
    struct signal_set s;
};

static void pair_build(struct pair *p, const char *ref, const char *cur,
                       const struct model_settings *ms)
{
    char err[200];
    load(ref, &p->ref);
    load(cur, &p->cur);
    p->r = signals_ref_build(p->ref.events, p->ref.n);
    CHECK_EQ_INT(signals_build_cur_typed(p->r, p->cur.events, p->cur.n, ms, &p->s, err, sizeof err),
                 0);
}

static void pair_release(struct pair *p)
{
    signals_release(&p->s);
    signals_ref_free(p->r);
    dd_batch_release(&p->cur);
    dd_batch_release(&p->ref);
}

/* The input called name is numeric, with exactly the n_ref reference values
 * ref and the n_cur current values cur, in order; a failure names it. */
static void check_numeric(const struct signal_set *s, const char *name, const double *ref,
                          size_t n_ref, const double *cur, size_t n_cur)
{
    int failures0 = check_failures;
    const struct dd_signal_input *x = find(s, name);
    CHECK(x && x->kind == DD_SIGNAL_NUMERIC);
    if (x && x->kind == DD_SIGNAL_NUMERIC) {
        CHECK_EQ_INT(x->n_ref, n_ref);
        for (size_t i = 0; i < n_ref && i < x->n_ref; i++)
            CHECK_EQ_DBL(x->ref_num[i], ref[i]);
        CHECK_EQ_INT(x->n_cur, n_cur);
        for (size_t i = 0; i < n_cur && i < x->n_cur; i++)
            CHECK_EQ_DBL(x->cur_num[i], cur[i]);
    }
    if (check_failures != failures0)
        fprintf(stderr, "  (signal %s)\n", name);
}

/* a string that reads as a number keeps the feature numeric; the rarer
 * type is counted over both sides */
TEST(numeric_strings_stay_numeric)
{
    struct pair p;
    pair_build(&p,
               "{\"features\":{\"age\":30}}\n{\"features\":{\"age\":\"31.5\"}}\n"
               "{\"features\":{\"age\":32}}\n",
               "{\"features\":{\"age\":\"40\"}}\n{\"features\":{\"age\":41}}\n", NULL);
    check_numeric(&p.s, "feature:age", (double[]){30, 31.5, 32}, 3, (double[]){40, 41}, 2);
    const struct dd_signal_input *age = find(&p.s, "feature:age");
    CHECK(age && age->mixed_types == 2); /* "31.5" and "40" among three numbers */
    CHECK(!find(&p.s, "missing:age"));   /* nothing missing: no row */
    pair_release(&p);
}

/* the declared type wins over the guess, both ways, re-reading the stored
 * reference side in the declared kind */
TEST(declared_types)
{
    struct model_settings ms;
    memset(&ms, 0, sizeof ms);
    ms.n_types = 2;
    snprintf(ms.types[0].signal, sizeof ms.types[0].signal, "feature:zip");
    ms.types[0].type = SETTINGS_TYPE_CATEGORICAL;
    snprintf(ms.types[1].signal, sizeof ms.types[1].signal, "feature:v");
    ms.types[1].type = SETTINGS_TYPE_NUMERIC;
    struct pair p;
    pair_build(&p,
               "{\"features\":{\"zip\":10115,\"v\":\"1.5\"}}\n"
               "{\"features\":{\"zip\":10115,\"v\":\"n/a\"}}\n"
               "{\"features\":{\"zip\":80331,\"v\":\"2\"}}\n",
               "{\"features\":{\"zip\":80331,\"v\":3}}\n", &ms);
    const struct dd_signal_input *zip = find(&p.s, "feature:zip");
    CHECK(zip && zip->kind == DD_SIGNAL_CATEGORICAL);
    if (zip) {
        CHECK_EQ_INT(zip->n_ref, 3);
        CHECK_EQ_INT(zip->n_categories, 2);
        CHECK_EQ_STR(zip->categories[0], "10115");
        CHECK_EQ_INT(zip->ref_counts[0], 2);
        CHECK_EQ_STR(zip->categories[zip->cur_cat[0]], "80331");
        CHECK_EQ_INT(zip->mixed_types, 0); /* declared: no guess to report */
    }
    /* v was categorical in the reference ("n/a"); declared numeric, the
     * categories that read as numbers are its values */
    check_numeric(&p.s, "feature:v", (double[]){1.5, 2}, 2, (double[]){3}, 1);
    pair_release(&p);

    /* without the declaration the same data is guessed: zip numeric, v categorical */
    pair_build(&p,
               "{\"features\":{\"zip\":10115,\"v\":\"1.5\"}}\n"
               "{\"features\":{\"zip\":10115,\"v\":\"n/a\"}}\n",
               "{\"features\":{\"zip\":80331,\"v\":3}}\n", NULL);
    CHECK(find(&p.s, "feature:zip") && find(&p.s, "feature:zip")->kind == DD_SIGNAL_NUMERIC);
    CHECK(find(&p.s, "feature:v") && find(&p.s, "feature:v")->kind == DD_SIGNAL_CATEGORICAL);
    CHECK(find(&p.s, "feature:v") && find(&p.s, "feature:v")->mixed_types == 1);
    pair_release(&p);
}

/* nulls: missing:<feature>, present/missing counted on both sides */
TEST(missing_values)
{
    struct pair p;
    pair_build(
        &p, "{\"features\":{\"x\":1}}\n{\"features\":{\"x\":2}}\n{\"features\":{\"x\":null}}\n",
        "{\"features\":{\"x\":null}}\n{\"features\":{\"x\":null}}\n{\"features\":{\"x\":5}}\n",
        NULL);
    const struct dd_signal_input *m = find(&p.s, "missing:x");
    CHECK(m && m->kind == DD_SIGNAL_CATEGORICAL && m->methods == DD_M_CHI2);
    if (m) {
        CHECK_EQ_INT(m->n_ref, 3);
        CHECK_EQ_INT(m->n_cur, 3);
        CHECK_EQ_INT(m->n_categories, 2);
        CHECK_EQ_STR(m->categories[0], "present");
        CHECK_EQ_INT(m->ref_counts[0], 2);
        CHECK_EQ_INT(m->ref_counts[1], 1);
        int missing_now = 0;
        for (size_t i = 0; i < m->n_cur; i++)
            missing_now += !strcmp(m->categories[m->cur_cat[i]], "missing");
        CHECK_EQ_INT(missing_now, 2);
    }
    const struct dd_signal_input *x = find(&p.s, "feature:x");
    CHECK(x && x->n_ref == 2 && x->n_cur == 1);
    /* report order: the feature, then its missing share */
    CHECK(x && m && m == x + 1);
    pair_release(&p);
}

/* a regression: numeric prediction, prediction - label as "error", no
 * correct/incorrect; the byte form keeps the kinds */
TEST(regression)
{
    struct pair p;
    pair_build(&p,
               "{\"prediction\":1.5,\"label\":1}\n{\"prediction\":2.5,\"label\":\"2\"}\n"
               "{\"prediction\":4,\"label\":\"x\"}\n",
               "{\"prediction\":10.25,\"label\":10}\n{\"prediction\":3}\n", NULL);
    /* 4 is an integer: a number too */
    check_numeric(&p.s, "prediction", (double[]){1.5, 2.5, 4}, 3, (double[]){10.25, 3}, 2);
    /* "x" is no number */
    check_numeric(&p.s, "error", (double[]){0.5, 0.5}, 2, (double[]){0.25}, 1);
    CHECK(find(&p.s, "error") && find(&p.s, "error")->methods == DD_M_KS);
    CHECK(!find(&p.s, "performance"));
    struct dd_buf bytes;
    dd_buf_init(&bytes);
    signals_ref_encode(p.r, &bytes);
    struct signals_ref *back = NULL;
    CHECK_EQ_INT(signals_ref_decode(bytes.data, bytes.len, &back), 0);
    struct signal_set s2;
    char err[100];
    if (back) {
        CHECK_EQ_INT(signals_build_cur(back, p.cur.events, p.cur.n, &s2, err, sizeof err), 0);
        CHECK(find(&s2, "error") && find(&s2, "error")->n_ref == 2);
        signals_release(&s2);
        signals_ref_free(back);
    }
    dd_buf_release(&bytes);
    pair_release(&p);
}

/* The settings body put, parsed and applied over base into s:
 * settings_apply_over()'s code (err says why). */
static int apply_put(struct model_settings *s, const struct model_settings *base, const char *put,
                     char *err, size_t err_size)
{
    struct dd_settings_input *in = calloc(1, sizeof *in);
    struct dd_parse_error pe;
    CHECK_EQ_INT(dd_parse_settings(put, strlen(put), in, &pe), 0);
    int rc = settings_apply_over(s, base, in, err, err_size);
    free(in);
    return rc;
}

/* s as GET answers it (settings_json()), in j as a C string. */
static const char *settings_text(const struct model_settings *s, struct dd_buf *j)
{
    dd_buf_reset(j);
    settings_json(s, j);
    dd_buf_putc(j, 0);
    return j->data;
}

/* settings_apply_over(): types, null back to the base, checks */
TEST(settings_types_and_null)
{
    struct model_settings base, s;
    memset(&base, 0, sizeof base);
    base.alpha = 0.05;
    snprintf(base.window, sizeof base.window, "1h");
    base.reference_size = 1000;
    base.min_samples = 20;
    s = base;
    char err[300];
    CHECK_EQ_INT(apply_put(&s, &base,
                           "{\"window\":\"30m\",\"types\":{\"feature:age\":\"numeric\"},"
                           "\"methods\":{\"feature:age\":[\"ks\"]},\"thresholds\":{\"psi\":0.4}}",
                           err, sizeof err),
                 0);
    struct dd_buf j;
    dd_buf_init(&j);
    CHECK_EQ_STR(settings_text(&s, &j),
                 "{\"alpha\":0.05,\"window\":\"30m\",\"reference_size\":1000,\"min_samples\":20,"
                 "\"methods\":{"
                 "\"feature:age\":[\"ks\"]},\"thresholds\":{\"psi\":0.4},\"types\":{"
                 "\"feature:age\":\"numeric\"}}");
    /* what GET answers parses back to the same */
    struct model_settings again = base;
    CHECK_EQ_INT(apply_put(&again, &base, j.data, err, sizeof err), 0);
    CHECK_EQ_INT(again.n_types, 1);
    CHECK_EQ_INT(again.types[0].type, SETTINGS_TYPE_NUMERIC);

    CHECK_EQ_INT(apply_put(&s, &base,
                           "{\"window\":null,\"types\":{\"feature:age\":null},\"methods\":{"
                           "\"feature:age\":null},\"thresholds\":{\"psi\":null}}",
                           err, sizeof err),
                 0);
    CHECK_EQ_STR(settings_text(&s, &j),
                 "{\"alpha\":0.05,\"window\":\"1h\",\"reference_size\":1000,\"min_samples\":20,"
                 "\"methods\":{},"
                 "\"thresholds\":{},\"types\":{}}");

    /* a declared type and a method of the other kind */
    CHECK_EQ_INT(apply_put(&s, &base,
                           "{\"types\":{\"feature:age\":\"numeric\"},\"methods\":{\"feature:age\":["
                           "\"chi2\"]}}",
                           err, sizeof err),
                 DD_EINVAL);
    CHECK_EQ_STR(err, "methods.feature:age: 'chi2' does not apply to a numeric signal "
                      "(types.feature:age)");
    CHECK_EQ_INT(apply_put(&s, &base, "{\"types\":{\"latency\":\"categorical\"}}", err, sizeof err),
                 DD_EINVAL);
    CHECK_STARTS_WITH(err, "types.latency: only prediction and feature:NAME take a type");
    dd_buf_release(&j);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(numeric_strings_stay_numeric);
    RUN(declared_types);
    RUN(missing_values);
    RUN(regression);
    RUN(settings_types_and_null);
    CHECK_DONE();
}
