/* h_reference.c — PUT and GET /api/v1/models/{model}/versions/{version}/reference
 * (docs/api.md "Reference data").  A PUT replaces the reference with the events
 * of its body, or with the version's own events in {"from", "to"}; the
 * writer thread does it in one transaction.  A range is counted, and over
 * reference_max sampled, on a reader first, so the writer (and all ingest
 * behind it) copies at most reference_max events and never scans the range.
 * Without a PUT, a version's reference is its first events (see server/monitor/window.c). */
#include <string.h>

#include "base/err.h"
#include "ingest/csv.h"
#include "ingest/parse.h"
#include "server/api/api.h"
#include "server/monitor/evaluator.h"
#include "server/api/handlers.h"
#include "server/monitor/settings.h"
#include "server/store/store.h"
#include "server/store/writer.h"
#include "server/api/answer.h"

void h_reference_put(struct http_req *r)
{
    if (answer_query_known(r, NULL) != 0) /* takes no query parameters */
        return;
    const char *model = r->params[0], *version = r->params[1];
    enum dd_body_format fmt;
    if (answer_body_format(r, ANSWER_JSON | ANSWER_NDJSON | ANSWER_CSV, &fmt) != 0)
        return;
    struct dd_buf body;
    dd_buf_init(&body);
    struct dd_batch batch;
    dd_batch_init(&batch);
    struct store_range_sample range = {0};
    if (http_read_body_or_reply(r, api_of(r)->body_limit, &body) != 0)
        goto out;
    const char *text = body.data ? body.data : "";
    struct dd_parse_error pe;
    struct writer_result res;
    if (fmt != DD_BODY_JSON || dd_body_is_events(text, body.len)) {
        int rc = fmt == DD_BODY_CSV ? dd_parse_csv(text, body.len, &batch, &pe)
                                    : dd_parse_events(text, body.len, fmt, &batch, &pe);
        if (rc != 0) {
            http_reply_error(r, rc == DD_ECONFLICT ? 409 : 400, pe.code, pe.index, "%s",
                             pe.message);
            goto out;
        }
        if (batch.n == 0) {
            http_reply_error(r, 400, "invalid_body", -1,
                             "events: a reference needs at least one event");
            goto out;
        }
        for (size_t i = 0; i < batch.n; i++)
            batch.events[i].version = version;
        writer_submit_reference(api_of(r)->writer, model, version, &batch, &res);
    } else {
        if (dd_parse_time_range(text, body.len, &range.from_ms, &range.to_ms, &pe) != 0) {
            http_reply_error(r, 400, pe.code, -1, "%s", pe.message);
            goto out;
        }
        range.max = (size_t)api_of(r)->mon->reference_max;
        int rc = store_r_range_sample(api_of(r)->store, model, version, &range);
        if (rc == 0 && range.in_range == 0) {
            /* keep the reference there is rather than replace it with nothing */
            http_reply_error(r, 400, "invalid_body", -1,
                             "from, to: version '%s' has no events in that range", version);
            goto out;
        }
        if (rc != 0)
            res.rc = rc;
        else
            writer_submit_reference_range(api_of(r)->writer, model, version, &range, &res);
    }
    switch (res.rc) {
    case 0:
        break;
    case DD_ECONFLICT:
        http_reply_error(r, 409, "conflict", res.reference.conflict_index,
                         "events[%ld].embedding: dimension %u differs from the model's %u",
                         res.reference.conflict_index, batch.dim, res.reference.model_dim);
        goto out;
    default: /* not found, overloaded, shutting down, storage full, internal */
        answer_writer_error(r, res.rc);
        goto out;
    }
    /* summarise it now, once, so that no evaluation has to (refcache.h) */
    refcache_prepare_current(api_of(r)->refcache, model, version);
    struct dd_buf b;
    dd_buf_init(&b);
    dd_buf_printf(&b, "{\"events\":%zu", res.reference.kept);
    if (range.n_ids) /* a range over reference_max: sampled */
        dd_buf_printf(&b, ",\"sampled\":true,\"in_range\":%zu", range.in_range);
    dd_buf_putc(&b, '}');
    http_reply_json(r, 200, &b);
    dd_buf_release(&b);
out:
    dd_buf_release(&body);
    dd_batch_release(&batch);
    store_range_sample_release(&range);
}

void h_reference_get(struct http_req *r)
{
    if (answer_query_known(r, NULL) != 0) /* takes no query parameters */
        return;
    const char *model = r->params[0], *version = r->params[1];
    struct store_reference ref;
    int exists = 0;
    int rc = store_r_reference(api_of(r)->store, model, version, &ref, &exists);
    if (!exists) {
        http_reply_error(r, 404, "not_found", -1, "model '%s' has no version '%s'", model, version);
        return;
    }
    struct dd_buf b;
    dd_buf_init(&b);
    if (rc == DD_ENOTFOUND) {
        /* the automatic reference: the version's first reference_size events */
        struct model_settings ms;
        settings_load(api_of(r)->store, &api_of(r)->mon->defaults, model, &ms);
        struct store_window w = {.first_n = (size_t)ms.reference_size};
        struct dd_batch first;
        struct store_window_info info;
        if (store_r_events(api_of(r)->store, model, version, &w, &first, &info) != 0) {
            http_reply_error(r, 500, "internal", -1, "cannot read the reference");
            dd_buf_release(&b);
            return;
        }
        dd_buf_printf(&b, "{\"source\":\"auto\",\"events\":%zu,\"complete\":%s,\"from\":", first.n,
                      first.n >= (size_t)ms.reference_size ? "true" : "false");
        dd_json_time(&b, info.from_ms);
        dd_buf_puts(&b, ",\"to\":");
        dd_json_time(&b, info.to_ms);
        dd_buf_printf(&b, ",\"embedding_dim\":");
        if (first.dim)
            dd_json_int(&b, first.dim);
        else
            dd_buf_puts(&b, "null");
        dd_buf_putc(&b, '}');
        dd_batch_release(&first);
    } else if (rc == 0) {
        dd_buf_puts(&b, "{\"source\":");
        dd_json_str(&b, ref.source);
        dd_buf_printf(&b, ",\"events\":%lld,\"complete\":true,\"from\":", (long long)ref.events);
        dd_json_time(&b, ref.first_ms);
        dd_buf_puts(&b, ",\"to\":");
        dd_json_time(&b, ref.last_ms);
        dd_buf_puts(&b, ",\"set_at\":");
        dd_json_time(&b, ref.set_ms);
        dd_buf_putc(&b, '}');
    } else {
        http_reply_error(r, 500, "internal", -1, "cannot read the reference");
        dd_buf_release(&b);
        return;
    }
    http_reply_json(r, 200, &b);
    dd_buf_release(&b);
}
