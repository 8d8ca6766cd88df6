/* h_drift.c — GET /api/v1/models/{model}/drift?version=V&window=W (docs/api.md).
 *
 * Evaluates on demand with evaluate_version() (evaluator.h): the version's
 * reference against the current window.  Without ?version= the version with
 * the latest event is taken.  The scheduled evaluation's stored answer is
 * returned instead while it is younger than eval_interval ("computed_at"
 * says when it was computed).  GET .../drift/history reads the stored
 * per-signal results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/timefmt.h"
#include "server/api/answer.h"
#include "server/api/api.h"
#include "server/monitor/distributions.h"
#include "server/monitor/evaluator.h"
#include "server/api/handlers.h"
#include "server/monitor/settings.h"
#include "server/store/store.h"

/* The version named by ?version=, else the one with the latest event. */
static int pick_version_or_reply(struct http_req *r, char *out, size_t outsz)
{
    if (http_query(r, "version", out, outsz) == 1) {
        if (!dd_name_valid(out, strlen(out))) {
            http_reply_error(r, 400, "invalid_query", -1,
                             "version: must match [A-Za-z0-9._-]{1,128}");
            return -1;
        }
        return 0;
    }
    struct store_model_info *ms = NULL;
    size_t n = 0;
    int rc = store_r_models(api_of(r)->store, r->params[0], &ms, &n);
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
    if (http_query(r, "window", window, sizeof window) != 1) {
        struct model_settings ms;
        if (settings_load(api_of(r)->store, &api_of(r)->mon->defaults, r->params[0], &ms) != 0) {
            http_reply_error(r, 500, "internal", -1, "cannot read the model's settings");
            return;
        }
        snprintf(window, sizeof window, "%s", ms.window);
    }
    struct dd_buf b;
    dd_buf_init(&b);
    int64_t now = dd_now_ms(), computed;
    char *cached = NULL;
    /* the scheduled evaluation's answer, while it is younger than one interval */
    if (store_r_latest_evaluation(api_of(r)->store, r->params[0], version, window, &computed,
                                  &cached) == 0 &&
        computed >= now - api_of(r)->mon->eval_interval_ms) {
        http_reply(r, 200, "application/json; charset=utf-8", cached, strlen(cached));
        free(cached);
        dd_buf_release(&b);
        return;
    }
    free(cached);
    char err[256];
    int rc = evaluate_version(api_of(r)->mon, r->params[0], version, window, now, &b, NULL, NULL,
                              err, sizeof err);
    if (rc == 0)
        http_reply_json(r, 200, &b);
    else
        answer_error(r, rc, "%s", err);
    dd_buf_release(&b);
}

#define HISTORY_MAX_POINTS 10000
#define HISTORY_DEFAULT_MS (24 * 3600 * 1000LL)

static int query_time_or_reply(struct http_req *r, const char *name, int64_t dflt, int64_t *out)
{
    char v[64];
    int got = http_query(r, name, v, sizeof v);
    if (got == 0) {
        *out = dflt;
        return 0;
    }
    char *end;
    long long ms = strtoll(v, &end, 10);
    if (got == 1 && *end == '\0' && end != v && ms >= 0) {
        *out = ms;
        return 0;
    }
    if (got == 1 && dd_time_parse(v, strlen(v), out) == 0)
        return 0;
    http_reply_error(r, 400, "invalid_query", -1,
                     "%s: must be an RFC 3339 time or epoch milliseconds", name);
    return -1;
}

void h_drift_history(struct http_req *r)
{
    char version[DD_NAME_MAX + 1], signal[200], method[64];
    if (http_query(r, "signal", signal, sizeof signal) != 1 ||
        http_query(r, "method", method, sizeof method) != 1) {
        http_reply_error(r, 400, "invalid_query", -1,
                         "signal and method are required (e.g. signal=confidence&method=ks)");
        return;
    }
    if (pick_version_or_reply(r, version, sizeof version) != 0)
        return;
    int64_t now = dd_now_ms(), from, to;
    if (query_time_or_reply(r, "to", now, &to) != 0 ||
        query_time_or_reply(r, "from", to - HISTORY_DEFAULT_MS, &from) != 0)
        return;
    struct store_point *pts = NULL;
    size_t n = 0;
    int rc = store_r_history(api_of(r)->store, r->params[0], version, signal, method, from, to,
                             HISTORY_MAX_POINTS, &pts, &n);
    if (rc == DD_ENOTFOUND) {
        http_reply_error(r, 404, "not_found", -1, "model '%s' has no version '%s'", r->params[0],
                         version);
        return;
    }
    if (rc != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read the history");
        return;
    }
    struct dd_buf b;
    dd_buf_init(&b);
    dd_buf_puts(&b, "{\"model\":");
    dd_json_str(&b, r->params[0]);
    dd_buf_puts(&b, ",\"version\":");
    dd_json_str(&b, version);
    dd_buf_puts(&b, ",\"signal\":");
    dd_json_str(&b, signal);
    dd_buf_puts(&b, ",\"method\":");
    dd_json_str(&b, method);
    dd_buf_puts(&b, ",\"points\":[");
    for (size_t i = 0; i < n; i++) {
        dd_buf_puts(&b, i ? ",{\"t\":" : "{\"t\":");
        dd_json_time(&b, pts[i].t_ms);
        dd_buf_puts(&b, ",\"statistic\":");
        dd_json_num(&b, pts[i].statistic);
        dd_buf_puts(&b, ",\"p_value\":");
        dd_json_num(&b, pts[i].p_value);
        dd_buf_puts(&b, pts[i].drift ? ",\"drift\":true}" : ",\"drift\":false}");
    }
    dd_buf_puts(&b, "]}");
    http_reply_json(r, 200, &b);
    dd_buf_release(&b);
    free(pts);
}

/* ---- GET .../distributions: what the dashboard plots ---- */

void h_distributions(struct http_req *r)
{
    char version[DD_NAME_MAX + 1], window[64], only[200] = "";
    if (pick_version_or_reply(r, version, sizeof version) != 0)
        return;
    int has_window = http_query(r, "window", window, sizeof window) == 1;
    http_query(r, "signal", only, sizeof only);
    int64_t now = dd_now_ms();
    struct dd_buf b;
    dd_buf_init(&b);
    /* the scheduled round's snapshot of the model's own window, while fresh */
    struct model_settings ms;
    if (!only[0] &&
        settings_load(api_of(r)->store, &api_of(r)->mon->defaults, r->params[0], &ms) == 0 &&
        evaluator_distributions(api_of(r)->evaluator, r->params[0], version,
                                has_window ? window : ms.window,
                                now - api_of(r)->mon->eval_interval_ms, &b) == 0) {
        http_reply_json(r, 200, &b);
        dd_buf_release(&b);
        return;
    }
    struct window_data d;
    char err[256];
    int rc = window_load(api_of(r)->mon, r->params[0], version, has_window ? window : NULL, now, &d,
                         err, sizeof err);
    if (rc != 0) {
        answer_error(r, rc, "%s", err);
        dd_buf_release(&b);
        return;
    }
    rc = distributions_json(&d, r->params[0], version, only[0] ? only : NULL, now, &b, err,
                            sizeof err);
    if (rc == 0)
        http_reply_json(r, 200, &b);
    else if (rc == DD_ENOTFOUND)
        http_reply_error(r, 404, "not_found", -1, "no signal '%s' in this window", only);
    else
        answer_error(r, rc, "%s", err);
    dd_buf_release(&b);
    window_data_release(api_of(r)->mon, &d);
}
