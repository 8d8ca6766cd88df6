/* Tests server/reference.c: a prepared reference (signals, PCA,
 * performance) survives its byte form unchanged — the drift report from the
 * decoded reference is the report from the events, number for number — and
 * damaged bytes are refused, never half-read. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "ingest/parse.h"
#include "server/monitor/drift.h"
#include "server/monitor/reference.h"
#include "check.h"

/* n events with a 6-d embedding, confidence, a categorical feature and a
 * label; shift moves the embedding and confidence. */
static void make(struct dd_batch *b, int n, double shift, unsigned seed)
{
    struct dd_buf s;
    dd_buf_init(&s);
    srand(seed);
    for (int i = 0; i < n; i++) {
        double u[6];
        for (int j = 0; j < 6; j++)
            u[j] = (double)rand() / RAND_MAX * (1 + j) + shift;
        dd_buf_printf(&s, "{\"prediction\":\"%s\",\"label\":\"%s\",\"confidence\":%.6f,"
                      "\"features\":{\"region\":\"r%d\"},\"embedding\":[%.6f,%.6f,%.6f,%.6f,%.6f,%.6f]}\n",
                      i % 3 ? "cat" : "dog", i % 5 ? "cat" : "dog",
                      (double)rand() / RAND_MAX * 0.5 + shift / 4, i % 4, u[0], u[1], u[2], u[3],
                      u[4], u[5]);
    }
    struct dd_parse_error pe;
    CHECK_EQ_INT(dd_parse_events(s.data, s.len, DD_BODY_NDJSON, b, &pe), 0);
    dd_buf_release(&s);
}

static void report_of(const struct ref_prepared *r, const struct dd_batch *cur,
                      struct dd_buf *json)
{
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    struct dd_report rep;
    char err[200];
    CHECK_EQ_INT(drift_evaluate(r, cur, &o, NULL, &rep, err, sizeof err), 0);
    struct drift_meta m = {.model = "m", .version = "v", .from_ms = -1, .to_ms = -1,
                           .n_cur_total = cur->n, .n_cur = cur->n, .n_ref = r->n_events,
                           .computed_ms = -1, .ref_performance = r->performance, .cur = cur};
    drift_report_json(&m, &rep, json);
    dd_report_release(&rep);
}

int main(void)
{
    struct dd_batch ref, cur;
    make(&ref, 400, 0, 1);
    make(&cur, 300, 0.3, 2);

    struct ref_prepared r;
    reference_prepare(&ref, 1, &r);
    CHECK_EQ_INT(r.n_events, 400);
    CHECK(r.has_pca && r.pca.dim == 6 && r.pca.n_ref == 400 && r.pca.k >= 1);
    /* 400 labeled: accuracy = share of i with (i%3 != 0) == (i%5 != 0) */
    CHECK(r.performance && strstr(r.performance, "\"labeled\":400"));

    struct dd_buf a, b, bytes;
    dd_buf_init(&a);
    dd_buf_init(&b);
    dd_buf_init(&bytes);
    report_of(&r, &cur, &a);
    CHECK(strstr(a.data, "\"signal\":\"embedding\",\"method\":\"pca_ks\"") != NULL);
    CHECK(strstr(a.data, "\"performance\":{\"reference\":{\"labeled\":400") != NULL);

    reference_encode(&r, &bytes);
    struct ref_prepared back;
    CHECK_EQ_INT(reference_decode(bytes.data, bytes.len, &back), 0);
    CHECK_EQ_INT(back.n_events, 400);
    CHECK(back.has_pca && back.pca.k == r.pca.k && back.pca.err_mean == r.pca.err_mean);
    CHECK_EQ_STR(back.performance, r.performance);
    report_of(&back, &cur, &b);
    dd_buf_putc(&a, 0);
    dd_buf_putc(&b, 0);
    CHECK_EQ_STR(b.data, a.data); /* byte for byte */
    reference_release(&back);

    /* the check's path (PCA fitted by the evaluation) gives the same report */
    struct ref_prepared plain;
    reference_prepare(&ref, 0, &plain);
    CHECK(!plain.has_pca);
    dd_buf_reset(&b);
    report_of(&plain, &cur, &b);
    dd_buf_putc(&b, 0);
    CHECK_EQ_STR(b.data, a.data);
    reference_release(&plain);

    /* damaged bytes: every prefix and a wrong format are refused */
    int refused = 0;
    for (size_t len = 0; len < bytes.len; len += 1 + len / 64)
        refused += reference_decode(bytes.data, len, &back) == DD_EINVAL;
    int tries = 0;
    for (size_t len = 0; len < bytes.len; len += 1 + len / 64)
        tries++;
    CHECK_EQ_INT(refused, tries);
    /* random damage: each decode fails cleanly or gives a reference that
     * releases cleanly (under ASan: no read out of bounds, no leak) */
    srand(7);
    for (int t = 0; t < 3000; t++) {
        size_t at = (size_t)rand() % bytes.len;
        char was = bytes.data[at];
        bytes.data[at] ^= (char)(1 + rand() % 255);
        if (reference_decode(bytes.data, bytes.len, &back) == 0)
            reference_release(&back);
        bytes.data[at] = was;
    }
    CHECK_EQ_INT(reference_decode(bytes.data, bytes.len, &back), 0); /* undamaged again */
    reference_release(&back);
    bytes.data[4] ^= 0x7f; /* format number */
    CHECK_EQ_INT(reference_decode(bytes.data, bytes.len, &back), DD_EINVAL);

    /* no labels, no embeddings: no performance, no PCA, still a round trip */
    struct dd_batch small;
    struct dd_parse_error pe;
    const char *nd = "{\"confidence\":0.5}\n{\"confidence\":0.25}\n";
    CHECK_EQ_INT(dd_parse_events(nd, strlen(nd), DD_BODY_NDJSON, &small, &pe), 0);
    struct ref_prepared s;
    reference_prepare(&small, 1, &s);
    CHECK(!s.has_pca && !s.performance && s.n_events == 2);
    dd_buf_reset(&bytes);
    reference_encode(&s, &bytes);
    CHECK_EQ_INT(reference_decode(bytes.data, bytes.len, &back), 0);
    CHECK(!back.has_pca && !back.performance && back.n_events == 2);
    reference_release(&back);
    reference_release(&s);
    dd_batch_release(&small);

    dd_buf_release(&a);
    dd_buf_release(&b);
    dd_buf_release(&bytes);
    reference_release(&r);
    dd_batch_release(&ref);
    dd_batch_release(&cur);
    CHECK_DONE();
}
