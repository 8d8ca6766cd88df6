/* h_ingest.c — telemetry in: POST .../events and .../labels (docs/api.md
 * "Telemetry ingest").  Parse and validate on the request's thread, then
 * hand the batch to the writer and answer only once it is committed. */
#include <string.h>

#include "base/err.h"
#include "base/timefmt.h"
#include "ingest/parse.h"
#include "server/api/api.h"
#include "server/api/handlers.h"
#include "server/api/metrics.h"
#include "server/store/writer.h"
#include "server/api/answer.h"

static int parse_error_status(int rc)
{
    return rc == DD_ECONFLICT ? 409 : 400;
}

/* Answers a writer failure (answer.h); 1 if it did. */
static int writer_failed_or_reply(struct http_req *r, const struct writer_result *res)
{
    if (res->rc == 0)
        return 0;
    answer_writer_error(r, res->rc);
    return 1;
}

/* What the events and labels POSTs both take: no query parameters and a JSON
 * or NDJSON body of at most body_limit.  0 with *fmt and the body, or answered
 * and -1. */
static int body_or_reply(struct http_req *r, enum dd_body_format *fmt, struct dd_buf *body)
{
    if (answer_query_known(r, NULL) != 0 ||
        answer_body_format(r, ANSWER_JSON | ANSWER_NDJSON, fmt) != 0)
        return -1;
    return http_read_body_or_reply(r, api_of(r)->body_limit, body) != 0 ? -1 : 0;
}

void h_events_post(struct http_req *r)
{
    int64_t received = dd_now_ms();
    enum dd_body_format fmt;
    struct dd_buf body;
    dd_buf_init(&body);
    struct dd_batch batch;
    dd_batch_init(&batch);
    if (body_or_reply(r, &fmt, &body) != 0)
        goto out;
    struct dd_parse_error pe;
    int rc = dd_parse_events(body.data ? body.data : "", body.len, fmt, &batch, &pe);
    dd_buf_release(&body); /* the batch holds copies; free the body before waiting */
    if (rc != 0) {
        http_reply_error(r, parse_error_status(rc), pe.code, pe.index, "%s", pe.message);
        goto out;
    }
    if (batch.n == 0) {
        /* nothing to store: answer without creating the model */
        static const char none[] = "{\"accepted\":0,\"duplicates\":0}";
        http_reply(r, 202, "application/json; charset=utf-8", none, sizeof none - 1);
        goto out;
    }
    struct writer_result res;
    writer_submit_events(api_of(r)->writer, r->params[0], &batch, received, &res);
    if (res.rc == DD_ECONFLICT) {
        long i = res.ingest.conflict_index;
        http_reply_error(r, 409, "conflict", i,
                         "events[%ld].embedding: dimension %u differs from the model's %u", i,
                         batch.dim, res.ingest.model_dim);
        goto out;
    }
    if (writer_failed_or_reply(r, &res))
        goto out;
    metrics_count_model_events(r->params[0], res.ingest.accepted, res.ingest.duplicates);
    http_reply_jsonf(r, 202, "{\"accepted\":%zu,\"duplicates\":%zu}", res.ingest.accepted,
                     res.ingest.duplicates);
out:
    dd_buf_release(&body);
    dd_batch_release(&batch);
}

/* ids listed in a labels answer at most (the count is always whole) */
#define LABELS_UNKNOWN_LISTED 100

void h_labels_post(struct http_req *r)
{
    enum dd_body_format fmt;
    struct dd_buf body;
    dd_buf_init(&body);
    struct dd_labels labels = {0};
    if (body_or_reply(r, &fmt, &body) != 0)
        goto out;
    struct dd_parse_error pe;
    const char *text = body.data ? body.data : "";
    if ((fmt == DD_BODY_NDJSON ? dd_parse_labels_ndjson(text, body.len, &labels, &pe)
                               : dd_parse_labels(text, body.len, &labels, &pe)) != 0) {
        http_reply_error(r, 400, pe.code, pe.index, "%s", pe.message);
        goto out;
    }
    struct writer_result res;
    writer_submit_labels(api_of(r)->writer, r->params[0], &labels, &res);
    if (writer_failed_or_reply(r, &res))
        goto out;
    dd_buf_reset(&body);
    dd_buf_printf(&body, "{\"updated\":%zu,\"unknown\":%zu,\"unknown_ids\":[", res.labels.updated,
                  res.labels.unknown);
    for (size_t i = 0, listed = 0; i < labels.n && listed < LABELS_UNKNOWN_LISTED; i++)
        if (labels.unknown[i]) {
            dd_buf_puts(&body, listed++ ? "," : "");
            dd_json_str(&body, labels.items[i].id);
        }
    dd_buf_puts(&body, "]}");
    http_reply_json(r, 200, &body);
out:
    dd_buf_release(&body);
    dd_labels_release(&labels);
}
