/* Tests server/signals.c: events -> per-signal arrays (kinds, order, shared
 * category indexes, embeddings, probability classes, dimension mismatch). */
#include <string.h>

#include "base/err.h"
#include "ingest/parse.h"
#include "server/signals.h"
#include "check.h"

static void load(const char *ndjson, struct dd_batch *b)
{
    struct dd_parse_error pe;
    int rc = dd_parse_events(ndjson, strlen(ndjson), DD_BODY_NDJSON, b, &pe);
    if (rc)
        fprintf(stderr, "parse: %s\n", pe.message);
    CHECK_EQ_INT(rc, 0);
}

static const struct dd_signal_input *find(const struct signal_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->inputs[i].name, name))
            return &s->inputs[i];
    return NULL;
}

int main(void)
{
    struct dd_batch ref, cur;
    load("{\"prediction\":\"cat\",\"confidence\":0.9,\"features\":{\"age\":30,\"country\":\"de\"},"
         "\"embedding\":[1,0],\"probabilities\":[0.9,0.1]}\n"
         "{\"prediction\":\"dog\",\"confidence\":0.6,\"features\":{\"age\":40,\"country\":\"fr\"},"
         "\"embedding\":[0,1],\"probabilities\":[0.4,0.6],\"latency_ms\":5}\n"
         "{\"prediction\":7,\"features\":{\"mixed\":1}}\n",
         &ref);
    load("{\"prediction\":\"dog\",\"confidence\":0.5,\"features\":{\"age\":50,\"country\":\"de\","
         "\"mixed\":\"x\"},\"embedding\":[1,1]}\n",
         &cur);
    struct signal_set s;
    char err[200];
    CHECK_EQ_INT(signals_build(ref.events, ref.n, cur.events, cur.n, &s, err, sizeof err), 0);

    /* report order: fixed signals, embedding, features, probability classes */
    const char *order[] = {"confidence", "prediction", "latency", "embedding", "feature:age",
                           "feature:country", "feature:mixed", "probability:0", "probability:1"};
    CHECK_EQ_INT(s.n, 9);
    for (size_t i = 0; i < s.n && i < 9; i++)
        CHECK_EQ_STR(s.inputs[i].name, order[i]);

    const struct dd_signal_input *c = find(&s, "confidence");
    CHECK(c && c->kind == DD_SIGNAL_NUMERIC && c->n_ref == 2 && c->n_cur == 1);
    CHECK(c && c->ref_num[1] == 0.6 && c->cur_num[0] == 0.5);

    /* categories share indexes across sides; integers become their decimal */
    const struct dd_signal_input *p = find(&s, "prediction");
    CHECK(p && p->kind == DD_SIGNAL_CATEGORICAL && p->n_ref == 3 && p->n_cur == 1);
    CHECK(p && p->n_categories == 3);
    CHECK(p && p->ref_cat[1] == p->cur_cat[0]);
    CHECK(p && !strcmp(p->categories[p->ref_cat[2]], "7"));

    const struct dd_signal_input *age = find(&s, "feature:age");
    CHECK(age && age->kind == DD_SIGNAL_NUMERIC && age->cur_num[0] == 50);
    const struct dd_signal_input *country = find(&s, "feature:country");
    CHECK(country && country->kind == DD_SIGNAL_CATEGORICAL && country->ref_cat[0] == country->cur_cat[0]);
    /* a feature with any string value is categorical, numbers as text */
    const struct dd_signal_input *mixed = find(&s, "feature:mixed");
    CHECK(mixed && mixed->kind == DD_SIGNAL_CATEGORICAL && mixed->n_ref == 1 && mixed->n_cur == 1);
    CHECK(mixed && !strcmp(mixed->categories[mixed->ref_cat[0]], "1"));

    const struct dd_signal_input *e = find(&s, "embedding");
    CHECK(e && e->kind == DD_SIGNAL_EMBEDDING && e->dim == 2 && e->n_ref == 2 && e->n_cur == 1);
    CHECK(e && e->ref_emb[2] == 0.0f && e->ref_emb[3] == 1.0f && e->cur_emb[1] == 1.0f);

    const struct dd_signal_input *p1 = find(&s, "probability:1");
    CHECK(p1 && p1->n_ref == 2 && p1->n_cur == 0 && p1->ref_num[1] == (double)0.6f);
    const struct dd_signal_input *lat = find(&s, "latency");
    CHECK(lat && lat->n_ref == 1 && lat->n_cur == 0);
    signals_release(&s);
    dd_batch_release(&cur);

    /* embeddings of another dimension: a clear error */
    load("{\"embedding\":[1,2,3]}\n", &cur);
    CHECK_EQ_INT(signals_build(ref.events, ref.n, cur.events, cur.n, &s, err, sizeof err), DD_EDIM);
    CHECK(strstr(err, "dimension 3") && strstr(err, "2"));
    signals_release(&s);
    dd_batch_release(&cur);

    /* empty current window: signals exist with n_cur = 0 */
    CHECK_EQ_INT(signals_build(ref.events, ref.n, NULL, 0, &s, err, sizeof err), 0);
    CHECK(find(&s, "confidence") && find(&s, "confidence")->n_cur == 0);
    signals_release(&s);
    dd_batch_release(&ref);
    CHECK_DONE();
}
