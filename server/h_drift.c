/* h_drift.c — GET /api/v1/models/{model}/drift?version=V&window=W (API.md).
 *
 * Evaluates on demand: the version's reference (the one set with PUT, else
 * its first DRIFT_REFERENCE_SIZE events) against the current window, read
 * with the (version_id, ts) index and capped at DRIFT_MAX_SAMPLE events (the
 * most recent; reported as "sampled").  Not yet: reference summaries
 * computed once, the scheduled evaluator, stored history and per-model
 * settings (the monitoring issue's next steps).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/timefmt.h"
#include "server/app.h"
#include "server/drift.h"
#include "server/handlers.h"
#include "server/store.h"

#define DRIFT_MAX_SAMPLE 50000
#define DRIFT_DEFAULT_WINDOW "1h"

/* "15m", "1h", ... or "last:N".  0, or DD_EINVAL. */
static int parse_window(const char *s, int64_t now, struct store_window *w)
{
    memset(w, 0, sizeof *w);
    if (!strncmp(s, "last:", 5)) {
        char *end;
        long long n = strtoll(s + 5, &end, 10);
        if (*end || n < 1 || n > 10000000)
            return DD_EINVAL;
        w->last_n = (size_t)n;
        return 0;
    }
    int64_t ms;
    if (dd_duration_parse(s, &ms) != 0)
        return DD_EINVAL;
    w->to_ms = now;
    w->from_ms = now - ms;
    return 0;
}

/* The version named by ?version=, else the one with the latest event. */
static int pick_version_or_reply(struct http_req *r, char *out, size_t outsz)
{
    if (http_query(r, "version", out, outsz) == 1) {
        if (!dd_name_valid(out, strlen(out))) {
            http_reply_error(r, 400, "invalid_query", -1, "version: must match [A-Za-z0-9._-]{1,128}");
            return -1;
        }
        return 0;
    }
    struct store_model_info *ms = NULL;
    size_t n = 0;
    int rc = store_r_models(r->app->store, r->params[0], &ms, &n);
    if (rc == DD_ENOTFOUND || (rc == 0 && ms[0].n_versions == 0)) {
        store_models_free(ms, n);
        http_reply_error(r, 404, "not_found", -1, "model '%s' not found", r->params[0]);
        return -1;
    }
    if (rc != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read model");
        return -1;
    }
    const struct store_version_info *best = &ms[0].versions[0];
    for (size_t i = 1; i < ms[0].n_versions; i++)
        if (ms[0].versions[i].last_ms > best->last_ms)
            best = &ms[0].versions[i];
    snprintf(out, outsz, "%s", best->name);
    store_models_free(ms, n);
    return 0;
}

void h_drift_get(struct http_req *r)
{
    char version[DD_NAME_MAX + 1], window[64];
    if (pick_version_or_reply(r, version, sizeof version) != 0)
        return;
    if (http_query(r, "window", window, sizeof window) != 1)
        snprintf(window, sizeof window, "%s", DRIFT_DEFAULT_WINDOW);
    int64_t now = dd_now_ms();
    struct store_window cw;
    if (parse_window(window, now, &cw) != 0) {
        http_reply_error(r, 400, "invalid_query", -1,
                         "window: must be a duration such as 15m, 1h, 24h, or last:N");
        return;
    }
    cw.max_sample = DRIFT_MAX_SAMPLE;
    struct store_reference explicit_ref;
    int exists = 0;
    int has_ref = store_r_reference(r->app->store, r->params[0], version, &explicit_ref,
                                    &exists) == 0;
    struct store_window rw = {.first_n = DRIFT_REFERENCE_SIZE, .reference = has_ref};
    struct dd_batch ref, cur;
    struct store_window_info ri, ci;
    dd_batch_init(&ref);
    dd_batch_init(&cur);
    struct dd_report rep = {0};
    struct dd_buf b;
    dd_buf_init(&b);
    int rc = store_r_events(r->app->store, r->params[0], version, &rw, &ref, &ri);
    if (rc == 0)
        rc = store_r_events(r->app->store, r->params[0], version, &cw, &cur, &ci);
    if (rc == DD_ENOTFOUND) {
        http_reply_error(r, 404, "not_found", -1, "model '%s' has no version '%s'",
                         r->params[0], version);
        goto out;
    }
    if (rc != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read events");
        goto out;
    }
    struct dd_eval_options opt;
    dd_eval_options_default(&opt);
    char err[256];
    rc = drift_evaluate(&ref, &cur, &opt, &rep, err, sizeof err);
    if (rc == DD_EDIM) {
        http_reply_error(r, 409, "conflict", -1, "%s", err);
        goto out;
    }
    if (rc != 0) {
        http_reply_error(r, 500, "internal", -1, "%s", err);
        goto out;
    }
    struct drift_meta m = {
        .model = r->params[0],
        .version = version,
        .from_ms = cw.last_n ? ci.from_ms : cw.from_ms,
        .to_ms = cw.last_n ? ci.to_ms : cw.to_ms,
        .n_cur_total = ci.total,
        .n_cur = cur.n,
        .n_ref = ref.n,
        .sampled = ci.sampled,
        .computed_ms = now,
    };
    drift_report_json(&m, &rep, &b);
    http_reply_json(r, 200, &b);
out:
    dd_buf_release(&b);
    dd_report_release(&rep);
    dd_batch_release(&ref);
    dd_batch_release(&cur);
}
