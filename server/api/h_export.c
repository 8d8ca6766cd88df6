/* h_export.c — GET /api/v1/models/{model}/events (docs/api.md "Exporting
 * events"): a model's stored events as NDJSON in the ingest format, in
 * (ts, id) order, streamed a page at a time, for retraining pipelines.
 *
 * Each line is an EVENT that POST .../events stores as the same row: the
 * export of a re-ingested export is the same bytes.  What that takes, field
 * by field (ingest/parse.c is the other side):
 *   - prediction: a string, except a numeric prediction (prediction_num) as
 *     a number.  A class sent as 3 is stored as the text "3", like "3", so
 *     the string is exact; a numeric one is never integer-valued below 2^53
 *     (those are classes), so its number reads back as numeric again;
 *   - label: a string (stored as text whatever was sent);
 *   - numbers in their shortest text that reads back as the same double;
 *     -0 as -0.0 and infinities (a feature sent as 1e999) as +-1e999, which
 *     JSON parsers read back as the same value;
 *   - probabilities: the shortest decimal that reads back as the same float;
 *   - embedding_b64: the stored float32 bytes; features: null for missing.
 *
 * Memory: one page of the store (STORE_EXPORT_PAGE_ROWS) and a chunk of
 * EXPORT_CHUNK bytes of text, whatever the range.  The store is read on a
 * reader connection per page, so an export holds no connection between two
 * pages and never delays the writer.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/timefmt.h"
#include "ingest/event.h"
#include "server/api/answer.h"
#include "server/api/api.h"
#include "server/api/handlers.h"
#include "server/store/store.h"

/* Text sent in one chunk: big enough that a chunk's framing and its write
 * are noise, small next to a page. */
#define EXPORT_CHUNK (64u << 10)
/* A double that reads back as itself (see the top). */
static void number(struct dd_buf *b, double v)
{
    if (isinf(v))
        dd_buf_puts(b, v > 0 ? "1e999" : "-1e999");
    else if (v == 0 && signbit(v))
        dd_buf_puts(b, "-0.0");
    else
        dd_json_num(b, v);
}

/* The shortest decimal that reads back as the float f. */
static void float_number(struct dd_buf *b, float f)
{
    char t[32];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, (double)f);
        if ((float)strtod(t, NULL) == f)
            break;
    }
    dd_buf_puts(b, t);
}

static void event_line(struct dd_buf *b, const struct dd_event *e)
{
    int first = 1;
    dd_buf_putc(b, '{');
    if (e->id)
        dd_json_kstr(b, &first, "id", e->id);
    dd_json_kstr(b, &first, "version", e->version);
    dd_json_ktime(b, &first, "ts", e->ts_ms);
    if (e->has & DD_HAS_PREDICTION_NUM) {
        dd_json_key(b, "prediction", &first);
        number(b, e->prediction_num);
    } else if (e->prediction) {
        dd_json_kstr(b, &first, "prediction", e->prediction);
    }
    if (e->has & DD_HAS_CONFIDENCE) {
        dd_json_key(b, "confidence", &first);
        number(b, e->confidence);
    }
    if (e->has & DD_HAS_LATENCY) {
        dd_json_key(b, "latency_ms", &first);
        number(b, e->latency_ms);
    }
    if (e->label)
        dd_json_kstr(b, &first, "label", e->label);
    if (e->n_probabilities) {
        dd_json_key(b, "probabilities", &first);
        dd_buf_putc(b, '[');
        for (uint32_t i = 0; i < e->n_probabilities; i++) {
            if (i)
                dd_buf_putc(b, ',');
            float p;
            memcpy(&p, (const char *)e->probabilities + 4 * (size_t)i, 4);
            float_number(b, p);
        }
        dd_buf_putc(b, ']');
    }
    if (e->dim) {
        dd_json_key(b, "embedding_b64", &first);
        size_t n = (size_t)e->dim * 4, len = DD_BASE64_ENCODED_LEN(n);
        dd_buf_reserve(b, len + 2);
        b->data[b->len++] = '"';
        dd_base64_encode((const uint8_t *)e->embedding, n, b->data + b->len);
        b->len += len;
        dd_buf_putc(b, '"');
    }
    if (e->features) {
        dd_json_key(b, "features", &first);
        dd_buf_putc(b, '{');
        size_t pos = 0;
        struct dd_feature f;
        for (int k = 0; dd_features_next(e->features, e->features_len, &pos, &f) == 1; k++) {
            if (k)
                dd_buf_putc(b, ',');
            dd_json_strn(b, f.name, f.name_len);
            dd_buf_putc(b, ':');
            if (f.is_missing)
                dd_buf_puts(b, "null");
            else if (f.is_string)
                dd_json_strn(b, f.str, f.str_len);
            else
                number(b, f.num);
        }
        dd_buf_putc(b, '}');
    }
    dd_buf_puts(b, "}\n");
}

/* The range of the request: 0, or answers 400 and returns -1. */
static int range_or_reply(struct http_req *r, struct store_export_range *q, char *version)
{
    static const char *const known[] = {"version", "from", "to", NULL};
    if (answer_query_known(r, known) != 0)
        return -1;
    q->model = r->params[0];
    q->from_ms = 0;
    q->to_ms = INT64_MAX;
    if (answer_query_range(r, 0, &q->from_ms, &q->to_ms) != 0)
        return -1;
    return answer_query_version(r, version, &q->version);
}

void h_events_export(struct http_req *r)
{
    char version[DD_NAME_MAX + 1];
    struct store_export_range q = {0};
    if (range_or_reply(r, &q, version) != 0)
        return;
    struct store_export *x = NULL;
    int model_exists = 0;
    int rc = store_r_export_open(api_of(r)->store, &q, &x, &model_exists);
    if (rc == DD_ENOTFOUND && model_exists) {
        http_reply_error(r, 404, "not_found", -1, "model '%s' has no version '%s'", q.model,
                         q.version);
        return;
    }
    if (rc == DD_ENOTFOUND) {
        http_reply_error(r, 404, "not_found", -1, "model '%s' not found", q.model);
        return;
    }
    if (rc != 0) {
        answer_error(r, rc, "could not read the events of model '%s'", q.model);
        return;
    }
    rc = http_stream_begin(r, "application/x-ndjson");
    struct dd_buf b;
    dd_buf_init(&b);
    size_t events = 0;
    const char *cut = NULL;
    while (rc == 0) {
        const struct dd_event *page;
        size_t n;
        rc = store_r_export_next(x, &page, &n);
        if (rc != 0) {
            cut = "read failed";
            break;
        }
        for (size_t i = 0; i < n && rc == 0; i++) {
            event_line(&b, &page[i]);
            if (b.len >= EXPORT_CHUNK) {
                rc = http_stream_write(r, b.data, b.len);
                dd_buf_reset(&b);
            }
        }
        events += n;
        if (n == 0 && rc == 0 && b.len)
            rc = http_stream_write(r, b.data, b.len);
        if (n == 0)
            break;
    }
    if (rc < 0 && !cut)
        cut = rc == DD_ESHUTDOWN ? "server stopping" : "client gone";
    if (cut)
        dd_log(strcmp(cut, "read failed") == 0 ? DD_LOG_ERROR : DD_LOG_INFO, "export cut",
               "rid=%s model=%s events=%zu why=\"%s\" err=%s", r->rid, q.model, events, cut,
               dd_strerror(rc));
    /* rc: 0 the whole body was sent; 1 a HEAD request; < 0 cut */
    http_stream_end(r, rc >= 0);
    dd_buf_release(&b);
    store_export_free(x);
}
