/* h_lifecycle.c — the DELETE endpoints (docs/api.md "Deleting data"): a
 * model, a version, a version's stored reference, and a model's events of a
 * time range (a data-protection request).
 *
 * Each is a sequence of writer jobs of at most STORE_DELETE_BATCH rows
 * (store_w_delete()), submitted until the store says the target is gone, so
 * ingest commits between the batches of a huge delete.  Every batch leaves
 * the counters right, so a delete cut short (a restart, a 503) leaves a
 * consistent database and the same request sent again finishes it.  The
 * answer sums the batches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/timefmt.h"
#include "ingest/event.h"
#include "server/api/answer.h"
#include "server/api/api.h"
#include "server/api/handlers.h"
#include "server/api/metrics.h"
#include "server/monitor/evaluator.h"
#include "server/store/store.h"
#include "server/store/writer.h"

#define DELETE_BUSY_WAIT_MS 20 /* a full queue after the first batch: wait this long ... */
#define DELETE_BUSY_TRIES 500  /* ... this many times (10 s) before answering 503 */

/* Runs the batches of d until the target is gone; the sums into *total.
 * 0, or answers (404 for an unknown target, the writer's error) and
 * returns non-zero. */
static int delete_all_or_reply(struct http_req *r, struct store_delete *d,
                               struct store_deleted *total)
{
    struct api *a = api_of(r);
    memset(total, 0, sizeof *total);
    if (store_r_max_event_id(a->store, &d->max_event_id) != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read the events table");
        return -1;
    }
    for (int batch = 0, busy = 0;;) {
        struct writer_result wr;
        writer_submit_delete(a->writer, d, &wr);
        if (wr.rc == DD_EOVERLOAD && batch > 0 && busy++ < DELETE_BUSY_TRIES) {
            /* half done: finish it rather than leave the client to retry */
            nanosleep(&(struct timespec){0, DELETE_BUSY_WAIT_MS * 1000000L}, NULL);
            continue;
        }
        if (wr.rc == DD_ENOTFOUND && batch > 0)
            return 0; /* another delete finished it meanwhile */
        if (wr.rc == DD_ENOTFOUND) {
            if (d->what == STORE_DELETE_REFERENCE)
                http_reply_error(r, 404, "not_found", -1,
                                 "model '%s' has no version '%s' with a stored reference", d->model,
                                 d->version);
            else if (d->version)
                http_reply_error(r, 404, "not_found", -1, "model '%s' has no version '%s'",
                                 d->model, d->version);
            else
                http_reply_error(r, 404, "not_found", -1, "model '%s' not found", d->model);
            return -1;
        }
        if (wr.rc != 0) {
            answer_writer_error(r, wr.rc);
            return -1;
        }
        batch++;
        busy = 0;
        total->versions += wr.deleted.versions;
        total->events += wr.deleted.events;
        total->reference_events += wr.deleted.reference_events;
        total->evaluations += wr.deleted.evaluations;
        if (wr.deleted.done)
            return 0;
    }
}

/* Deletes d's target and answers 200 with what went. */
static void delete_and_reply(struct http_req *r, struct store_delete *d)
{
    struct store_deleted t;
    if (delete_all_or_reply(r, d, &t) != 0)
        return;
    if (d->what == STORE_DELETE_MODEL || d->what == STORE_DELETE_VERSION) {
        /* no series of what is gone stays in /metrics (docs/prometheus.md) */
        evaluator_forget(api_of(r)->evaluator, d->model, d->version);
        if (d->what == STORE_DELETE_MODEL)
            metrics_forget_model(d->model);
    }
    if (d->what == STORE_DELETE_REFERENCE)
        http_reply_jsonf(r, 200, "{\"deleted\":{\"reference_events\":%lld}}",
                         (long long)t.reference_events);
    else if (d->what == STORE_DELETE_EVENTS)
        http_reply_jsonf(r, 200, "{\"deleted\":{\"events\":%lld}}", (long long)t.events);
    else
        http_reply_jsonf(
            r, 200,
            "{\"deleted\":{\"versions\":%lld,\"events\":%lld,\"reference_events\":%lld,"
            "\"evaluations\":%lld}}",
            (long long)t.versions, (long long)t.events, (long long)t.reference_events,
            (long long)t.evaluations);
}

void h_model_delete(struct http_req *r)
{
    if (answer_query_known(r, NULL) == 0)
        delete_and_reply(r,
                         &(struct store_delete){.what = STORE_DELETE_MODEL, .model = r->params[0]});
}

void h_version_delete(struct http_req *r)
{
    if (answer_query_known(r, NULL) == 0)
        delete_and_reply(r, &(struct store_delete){.what = STORE_DELETE_VERSION,
                                                   .model = r->params[0],
                                                   .version = r->params[1]});
}

void h_reference_delete(struct http_req *r)
{
    if (answer_query_known(r, NULL) == 0)
        delete_and_reply(r, &(struct store_delete){.what = STORE_DELETE_REFERENCE,
                                                   .model = r->params[0],
                                                   .version = r->params[1]});
}

void h_events_delete(struct http_req *r)
{
    static const char *const known[] = {"from", "to", "version", NULL};
    if (answer_query_known(r, known) != 0)
        return;
    struct store_delete d = {.what = STORE_DELETE_EVENTS, .model = r->params[0]};
    char version[DD_NAME_MAX + 1];
    if (answer_query_range(r, 1, &d.from_ms, &d.to_ms) != 0 ||
        answer_query_version(r, version, &d.version) != 0)
        return;
    delete_and_reply(r, &d);
}
