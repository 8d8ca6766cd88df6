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
#include "tests/fuzz/ref_report.h"

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
        dd_buf_printf(
            &s,
            "{\"prediction\":\"%s\",\"label\":\"%s\",\"confidence\":%.6f,"
            "\"features\":{\"region\":\"r%d\"},\"embedding\":[%.6f,%.6f,%.6f,%.6f,%.6f,%.6f]}\n",
            i % 3 ? "cat" : "dog", i % 5 ? "cat" : "dog",
            (double)rand() / RAND_MAX * 0.5 + shift / 4, i % 4, u[0], u[1], u[2], u[3], u[4], u[5]);
    }
    struct dd_parse_error pe;
    CHECK_EQ_INT(dd_parse_events(s.data, s.len, DD_BODY_NDJSON, b, &pe), 0);
    dd_buf_release(&s);
}

static void report_of(const struct ref_prepared *r, const struct dd_batch *cur, struct dd_buf *json)
{
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    char err[200];
    CHECK_EQ_INT(ref_report_json(r, cur, &o, json, err, sizeof err), 0);
}

/* A reference of 400 events and a shifted window of 300, prepared with its
 * PCA, its report and its bytes: what the cases below start from. */
struct fixture {
    struct dd_batch ref, cur;
    struct ref_prepared r;
    struct dd_buf report, bytes;
};

static void fixture_init(struct fixture *f)
{
    make(&f->ref, 400, 0, 1);
    make(&f->cur, 300, 0.3, 2);
    reference_prepare(&f->ref, 1, &f->r);
    dd_buf_init(&f->report);
    dd_buf_init(&f->bytes);
    report_of(&f->r, &f->cur, &f->report);
    dd_buf_putc(&f->report, 0);
    reference_encode(&f->r, &f->bytes);
}

static void fixture_release(struct fixture *f)
{
    dd_buf_release(&f->report);
    dd_buf_release(&f->bytes);
    reference_release(&f->r);
    dd_batch_release(&f->ref);
    dd_batch_release(&f->cur);
}

/* r's report against the fixture's window is the fixture's, byte for byte */
static void check_same_report(const struct fixture *f, const struct ref_prepared *r)
{
    struct dd_buf b;
    dd_buf_init(&b);
    report_of(r, &f->cur, &b);
    dd_buf_putc(&b, 0);
    CHECK_EQ_STR(b.data, f->report.data);
    dd_buf_release(&b);
}

TEST(prepared)
{
    struct fixture f;
    fixture_init(&f);
    CHECK_EQ_INT(f.r.n_events, 400);
    CHECK(f.r.has_pca && f.r.pca.dim == 6 && f.r.pca.n_ref == 400 && f.r.pca.k >= 1);
    /* 400 labeled: accuracy = share of i with (i%3 != 0) == (i%5 != 0) */
    CHECK(f.r.performance && strstr(f.r.performance, "\"labeled\":400"));
    CHECK(strstr(f.report.data, "\"signal\":\"embedding\",\"method\":\"pca_ks\"") != NULL);
    CHECK(strstr(f.report.data, "\"performance\":{\"reference\":{\"labeled\":400") != NULL);
    fixture_release(&f);
}

/* the decoded reference gives the same report, byte for byte */
TEST(round_trip)
{
    struct fixture f;
    fixture_init(&f);
    struct ref_prepared back;
    CHECK_EQ_INT(reference_decode(f.bytes.data, f.bytes.len, &back), 0);
    CHECK_EQ_INT(back.n_events, 400);
    CHECK(back.has_pca);
    CHECK_EQ_INT(back.pca.k, f.r.pca.k);
    CHECK_EQ_DBL(back.pca.err_mean, f.r.pca.err_mean);
    CHECK_EQ_STR(back.performance, f.r.performance);
    check_same_report(&f, &back);
    reference_release(&back);
    fixture_release(&f);
}

/* the check's path (PCA fitted by the evaluation) gives the same report */
TEST(pca_fitted_by_evaluation)
{
    struct fixture f;
    fixture_init(&f);
    struct ref_prepared plain;
    reference_prepare(&f.ref, 0, &plain);
    CHECK(!plain.has_pca);
    check_same_report(&f, &plain);
    reference_release(&plain);
    fixture_release(&f);
}

/* damaged bytes: every prefix and a wrong format are refused; random damage
 * fails cleanly or gives a reference that releases cleanly (under ASan: no
 * read out of bounds, no leak) */
TEST(damaged_bytes)
{
    struct fixture f;
    fixture_init(&f);
    struct dd_buf *bytes = &f.bytes;
    struct ref_prepared back;
    int refused = 0;
    for (size_t len = 0; len < bytes->len; len += 1 + len / 64)
        refused += reference_decode(bytes->data, len, &back) == DD_EINVAL;
    int tries = 0;
    for (size_t len = 0; len < bytes->len; len += 1 + len / 64)
        tries++;
    CHECK_EQ_INT(refused, tries);
    srand(7);
    for (int t = 0; t < 3000; t++) {
        size_t at = (size_t)rand() % bytes->len;
        char was = bytes->data[at];
        bytes->data[at] ^= (char)(1 + rand() % 255);
        if (reference_decode(bytes->data, bytes->len, &back) == 0)
            reference_release(&back);
        bytes->data[at] = was;
    }
    CHECK_EQ_INT(reference_decode(bytes->data, bytes->len, &back), 0); /* undamaged again */
    reference_release(&back);
    bytes->data[4] ^= 0x7f; /* format number */
    CHECK_EQ_INT(reference_decode(bytes->data, bytes->len, &back), DD_EINVAL);
    fixture_release(&f);
}

/* no labels, no embeddings: no performance, no PCA, still a round trip */
TEST(no_labels_no_embeddings)
{
    struct dd_batch small;
    struct dd_parse_error pe;
    struct dd_buf bytes;
    dd_buf_init(&bytes);
    const char *nd = "{\"confidence\":0.5}\n{\"confidence\":0.25}\n";
    CHECK_EQ_INT(dd_parse_events(nd, strlen(nd), DD_BODY_NDJSON, &small, &pe), 0);
    struct ref_prepared s, back;
    reference_prepare(&small, 1, &s);
    CHECK(!s.has_pca && !s.performance && s.n_events == 2);
    reference_encode(&s, &bytes);
    CHECK_EQ_INT(reference_decode(bytes.data, bytes.len, &back), 0);
    CHECK(!back.has_pca && !back.performance && back.n_events == 2);
    reference_release(&back);
    reference_release(&s);
    dd_batch_release(&small);
    dd_buf_release(&bytes);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(prepared);
    RUN(round_trip);
    RUN(pca_fitted_by_evaluation);
    RUN(damaged_bytes);
    RUN(no_labels_no_embeddings);
    CHECK_DONE();
}
