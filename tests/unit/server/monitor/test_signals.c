/* Tests server/signals.c: events -> per-signal arrays (kinds, order, shared
 * category indexes, embeddings, probability classes, dimension mismatch),
 * the prepared reference side (sorted, counted) and its byte form. */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "fixture_signals.h"

/* The reference's count of category `name` of a categorical signal. */
static uint64_t ref_count(const struct dd_signal_input *s, const char *name)
{
    for (size_t k = 0; k < s->n_ref_counts && k < s->n_categories; k++)
        if (!strcmp(s->categories[k], name))
            return s->ref_counts[k];
    return 0;
}

/* Two sets are the same inputs, value for value. */
static void check_same(const struct signal_set *a, const struct signal_set *b)
{
    CHECK_EQ_INT(a->n, b->n);
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        const struct dd_signal_input *x = &a->inputs[i], *y = &b->inputs[i];
        CHECK_EQ_STR(x->name, y->name);
        CHECK(x->kind == y->kind && x->n_ref == y->n_ref && x->n_cur == y->n_cur);
        CHECK(x->ref_sorted == y->ref_sorted && x->dim == y->dim);
        if (x->kind == DD_SIGNAL_NUMERIC && x->n_ref == y->n_ref && x->n_cur == y->n_cur) {
            CHECK(!x->n_ref || !memcmp(x->ref_num, y->ref_num, x->n_ref * sizeof(double)));
            CHECK(!x->n_cur || !memcmp(x->cur_num, y->cur_num, x->n_cur * sizeof(double)));
        } else if (x->kind == DD_SIGNAL_CATEGORICAL && x->n_categories == y->n_categories) {
            CHECK(!x->ref_cat && !y->ref_cat); /* the reference side as counts */
            for (size_t k = 0; k < x->n_categories; k++)
                CHECK_EQ_INT(ref_count(x, x->categories[k]), ref_count(y, x->categories[k]));
            for (size_t k = 0; k < x->n_cur && x->n_cur == y->n_cur; k++)
                CHECK_EQ_STR(x->categories[x->cur_cat[k]], y->categories[y->cur_cat[k]]);
        } else if (x->kind == DD_SIGNAL_EMBEDDING && x->n_ref == y->n_ref) {
            CHECK(!memcmp(x->ref_emb, y->ref_emb, x->n_ref * x->dim * sizeof(float)));
        } else {
            CHECK(0);
        }
    }
}

/* The prepared reference side: sorted numbers, counted categories, and a
 * byte form that gives the same inputs back and refuses anything cut short. */
TEST(prepared_reference)
{
    struct dd_batch ref, cur;
    load("{\"prediction\":\"b\",\"confidence\":0.9,\"features\":{\"age\":30,\"f\":1},\"embedding\":"
         "[1,0]}\n"
         "{\"prediction\":\"a\",\"confidence\":0.1,\"features\":{\"age\":20,\"f\":2},\"embedding\":"
         "[0,1],"
         "\"label\":\"a\"}\n"
         "{\"prediction\":\"b\",\"confidence\":0.5,\"features\":{\"age\":25,\"f\":1},\"embedding\":"
         "[1,1],"
         "\"label\":\"a\"}\n",
         &ref);
    load("{\"prediction\":\"c\",\"confidence\":0.2,\"features\":{\"age\":1,\"f\":\"x\",\"new\":3},"
         "\"embedding\":[2,2]}\n",
         &cur);
    struct signals_ref *r = signals_ref_build(ref.events, ref.n);
    CHECK_EQ_INT(signals_ref_events(r), 3);
    size_t rows;
    uint32_t dim;
    const float *emb = signals_ref_embeddings(r, &rows, &dim);
    CHECK(rows == 3 && dim == 2 && emb[4] == 1.0f && emb[5] == 1.0f);

    struct signal_set a, b;
    char err[200];
    CHECK_EQ_INT(signals_build_cur(r, cur.events, cur.n, &a, err, sizeof err), 0);
    const struct dd_signal_input *c = find(&a, "confidence");
    CHECK(c && c->ref_sorted && c->n_ref == 3);
    CHECK(c && c->ref_num[0] == 0.1 && c->ref_num[1] == 0.5 && c->ref_num[2] == 0.9);
    const struct dd_signal_input *p = find(&a, "prediction");
    CHECK(p && p->n_ref == 3 && p->n_cur == 1 && p->n_categories == 3);
    CHECK(p && ref_count(p, "b") == 2 && ref_count(p, "a") == 1 && ref_count(p, "c") == 0);
    CHECK(p && !strcmp(p->categories[p->cur_cat[0]], "c"));
    /* numeric in the reference, a string in the current window: categories */
    const struct dd_signal_input *f = find(&a, "feature:f");
    CHECK(f && f->kind == DD_SIGNAL_CATEGORICAL && f->n_ref == 3 && f->n_cur == 1);
    /* order: the reference's features, then the new one, then performance */
    const char *order[] = {"confidence", "prediction",  "embedding",  "feature:age",
                           "feature:f",  "feature:new", "performance"};
    CHECK_EQ_INT(a.n, 7);
    for (size_t i = 0; i < a.n && i < 7; i++)
        CHECK_EQ_STR(a.inputs[i].name, order[i]);

    /* the same inputs from the byte form */
    struct dd_buf bytes;
    dd_buf_init(&bytes);
    signals_ref_encode(r, &bytes);
    struct signals_ref *back = NULL;
    CHECK_EQ_INT(signals_ref_decode(bytes.data, bytes.len, &back), 0);
    if (back) {
        CHECK_EQ_INT(signals_build_cur(back, cur.events, cur.n, &b, err, sizeof err), 0);
        check_same(&a, &b);
        signals_release(&b);
        signals_ref_free(back);
    }
    /* every shorter prefix, and a changed magic, are refused */
    int refused = 0;
    for (size_t len = 0; len < bytes.len; len++) {
        back = NULL;
        refused += signals_ref_decode(bytes.data, len, &back) == DD_EINVAL && !back;
    }
    CHECK_EQ_INT(refused, bytes.len);
    bytes.data[0] ^= 1;
    CHECK_EQ_INT(signals_ref_decode(bytes.data, bytes.len, &back), DD_EINVAL);
    dd_buf_release(&bytes);
    signals_release(&a);

    /* a current window of another dimension */
    dd_batch_release(&cur);
    load("{\"embedding\":[1,2,3]}\n", &cur);
    CHECK_EQ_INT(signals_build_cur(r, cur.events, cur.n, &a, err, sizeof err), DD_EDIM);
    signals_release(&a);
    signals_ref_free(r);
    dd_batch_release(&cur);
    dd_batch_release(&ref);
}

/* The reference of the cases below: mixed kinds, probabilities, latency. */
static void load_reference(struct dd_batch *ref)
{
    load("{\"prediction\":\"cat\",\"confidence\":0.9,\"features\":{\"age\":30,\"country\":\"de\"},"
         "\"embedding\":[1,0],\"probabilities\":[0.9,0.1]}\n"
         "{\"prediction\":\"dog\",\"confidence\":0.6,\"features\":{\"age\":40,\"country\":\"fr\"},"
         "\"embedding\":[0,1],\"probabilities\":[0.4,0.6],\"latency_ms\":5}\n"
         "{\"prediction\":7,\"features\":{\"mixed\":1}}\n",
         ref);
}

/* Kinds, report order, shared category indexes, embeddings, probability
 * classes. */
TEST(signal_arrays)
{
    struct dd_batch ref, cur;
    load_reference(&ref);
    load("{\"prediction\":\"dog\",\"confidence\":0.5,\"features\":{\"age\":50,\"country\":\"de\","
         "\"mixed\":\"x\"},\"embedding\":[1,1]}\n",
         &cur);
    struct signal_set s;
    char err[200];
    struct signals_ref *r = signals_ref_build(ref.events, ref.n);
    CHECK_EQ_INT(signals_build_cur(r, cur.events, cur.n, &s, err, sizeof err), 0);
    /* report order: fixed signals, embedding, features, probability classes */
    const char *order[] = {"confidence",    "prediction",    "latency",
                           "embedding",     "feature:age",   "feature:country",
                           "feature:mixed", "probability:0", "probability:1"};
    CHECK_EQ_INT(s.n, 9);
    for (size_t i = 0; i < s.n && i < 9; i++)
        CHECK_EQ_STR(s.inputs[i].name, order[i]);

    const struct dd_signal_input *c = find(&s, "confidence");
    CHECK(c && c->kind == DD_SIGNAL_NUMERIC && c->n_ref == 2 && c->n_cur == 1);
    CHECK(c && c->ref_num[0] == 0.6 && c->ref_num[1] == 0.9 && c->cur_num[0] == 0.5); /* sorted */

    /* categories share indexes across sides; integers become their decimal */
    const struct dd_signal_input *p = find(&s, "prediction");
    CHECK(p && p->kind == DD_SIGNAL_CATEGORICAL && p->n_ref == 3 && p->n_cur == 1);
    CHECK(p && p->n_categories == 3);
    CHECK(p && !p->ref_cat && ref_count(p, "dog") == 1 &&
          !strcmp(p->categories[p->cur_cat[0]], "dog"));
    CHECK(p && ref_count(p, "7") == 1 && ref_count(p, "cat") == 1);

    const struct dd_signal_input *age = find(&s, "feature:age");
    CHECK(age && age->kind == DD_SIGNAL_NUMERIC && age->cur_num[0] == 50);
    const struct dd_signal_input *country = find(&s, "feature:country");
    CHECK(country && country->kind == DD_SIGNAL_CATEGORICAL && ref_count(country, "de") == 1 &&
          !strcmp(country->categories[country->cur_cat[0]], "de"));
    /* a feature with any string value is categorical, numbers as text */
    const struct dd_signal_input *mixed = find(&s, "feature:mixed");
    CHECK(mixed && mixed->kind == DD_SIGNAL_CATEGORICAL && mixed->n_ref == 1 && mixed->n_cur == 1);
    CHECK(mixed && ref_count(mixed, "1") == 1 && ref_count(mixed, "x") == 0);

    const struct dd_signal_input *e = find(&s, "embedding");
    CHECK(e && e->kind == DD_SIGNAL_EMBEDDING && e->dim == 2 && e->n_ref == 2 && e->n_cur == 1);
    CHECK(e && e->ref_emb[2] == 0.0f && e->ref_emb[3] == 1.0f && e->cur_emb[1] == 1.0f);

    const struct dd_signal_input *p1 = find(&s, "probability:1");
    CHECK(p1 && p1->n_ref == 2 && p1->n_cur == 0 && p1->ref_num[1] == (double)0.6f);
    const struct dd_signal_input *lat = find(&s, "latency");
    CHECK(lat && lat->n_ref == 1 && lat->n_cur == 0);
    signals_release(&s);
    dd_batch_release(&cur);
    signals_ref_free(r);
    dd_batch_release(&ref);
}

/* embeddings of another dimension: a clear error */
TEST(dimension_mismatch)
{
    struct dd_batch ref, cur;
    struct signal_set s;
    char err[200];
    load_reference(&ref);
    struct signals_ref *r = signals_ref_build(ref.events, ref.n);
    load("{\"embedding\":[1,2,3]}\n", &cur);
    CHECK_EQ_INT(signals_build_cur(r, cur.events, cur.n, &s, err, sizeof err), DD_EDIM);
    CHECK(strstr(err, "dimension 3") && strstr(err, "2"));
    signals_release(&s);
    dd_batch_release(&cur);
    signals_ref_free(r);
    dd_batch_release(&ref);
}

/* empty current window: signals exist with n_cur = 0 */
TEST(empty_window)
{
    struct dd_batch ref;
    struct signal_set s;
    char err[200];
    load_reference(&ref);
    struct signals_ref *r = signals_ref_build(ref.events, ref.n);
    CHECK_EQ_INT(signals_build_cur(r, NULL, 0, &s, err, sizeof err), 0);
    CHECK(find(&s, "confidence") && find(&s, "confidence")->n_cur == 0);
    signals_release(&s);
    signals_ref_free(r);
    dd_batch_release(&ref);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(prepared_reference);
    RUN(signal_arrays);
    RUN(dimension_mismatch);
    RUN(empty_window);
    CHECK_DONE();
}
