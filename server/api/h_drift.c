/* h_drift.c — GET /api/v1/models/{model}/drift?version=V&window=W|from=T&to=T
 * (docs/api.md).
 *
 * Evaluates on demand with evaluate_version() (evaluator.h): the version's
 * reference against the current window.  Without ?version= the version with
 * the latest event is taken.  The scheduled evaluation's stored answer is
 * returned instead while it is younger than eval_interval ("computed_at"
 * says when it was computed).  ?from&to evaluate a past period on demand
 * (evaluate_period(), never stored).  GET .../drift/history reads the
 * stored per-signal results a page at a time.  Every endpoint here refuses
 * unknown or repeated query parameters (answer_query_known()).
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

/* Pages of GET .../drift/history (docs/api.md, "Pagination"). */
#define HISTORY_LIMIT_DEFAULT 100
#define HISTORY_LIMIT_MAX 1000

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

static int query_time_or_reply(struct http_req *r, const char *name, int64_t dflt, int64_t *out);

/* An evaluation's answer: the report in b when rc is 0, else the error err
 * says; b is released. */
static void reply_report(struct http_req *r, int rc, struct dd_buf *b, const char *err)
{
    if (rc == 0)
        http_reply_json(r, 200, b);
    else
        answer_error(r, rc, "%s", err);
    dd_buf_release(b);
}

/* ?from=T&to=T: both or neither, not with window, from < to.  1 when a
 * period was asked for (in *from, *to), 0 when not, -1 when answered. */
static int period_or_reply(struct http_req *r, int64_t *from, int64_t *to)
{
    char v[64];
    int has_from = http_query(r, "from", v, sizeof v) != 0,
        has_to = http_query(r, "to", v, sizeof v) != 0;
    if (!has_from && !has_to)
        return 0;
    if (http_query(r, "window", v, sizeof v) != 0) {
        http_reply_error(r, 400, "invalid_query", -1,
                         "window and from/to exclude each other: ask for a window relative to "
                         "now, or for a period with from and to");
        return -1;
    }
    if (!has_from || !has_to) {
        http_reply_error(r, 400, "invalid_query", -1,
                         "%s: required with %s (a period is from <= ts < to, each an RFC 3339 time "
                         "or epoch milliseconds)",
                         has_from ? "to" : "from", has_from ? "from" : "to");
        return -1;
    }
    if (query_time_or_reply(r, "from", 0, from) != 0 || query_time_or_reply(r, "to", 0, to) != 0)
        return -1;
    if (*from >= *to) {
        http_reply_error(r, 400, "invalid_query", -1,
                         "from: must be before to (from %lld ms, to %lld ms)", (long long)*from,
                         (long long)*to);
        return -1;
    }
    return 1;
}

void h_drift_get(struct http_req *r)
{
    static const char *const known[] = {"version", "window", "from", "to", NULL};
    char version[DD_NAME_MAX + 1], window[64];
    if (answer_query_known(r, known) != 0)
        return;
    int64_t from = 0, to = 0;
    int period = period_or_reply(r, &from, &to);
    if (period < 0 || pick_version_or_reply(r, version, sizeof version) != 0)
        return;
    if (period) {
        struct dd_buf b;
        dd_buf_init(&b);
        char err[256];
        int rc = evaluate_period(api_of(r)->mon, r->params[0], version, from, to, dd_now_ms(), &b,
                                 err, sizeof err);
        reply_report(r, rc, &b, err);
        return;
    }
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
    reply_report(r, rc, &b, err);
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
                     "%s: '%s' is not a time: expected an RFC 3339 time or epoch milliseconds",
                     name, got == 1 ? v : "(too long)");
    return -1;
}

/* ?limit (1..HISTORY_LIMIT_MAX, default HISTORY_LIMIT_DEFAULT) and ?cursor
 * (what next_cursor said: "t" and the time of the page's last point, so the
 * next page starts after it).  0 or answered. */
static int page_or_reply(struct http_req *r, size_t *limit, int64_t *after)
{
    char v[64];
    char *end;
    *limit = HISTORY_LIMIT_DEFAULT;
    *after = -1;
    int got = http_query(r, "limit", v, sizeof v);
    if (got != 0) {
        long long l = strtoll(v, &end, 10);
        if (got != 1 || *end || end == v || l < 1 || l > HISTORY_LIMIT_MAX) {
            http_reply_error(r, 400, "invalid_query", -1, "limit: '%s' is not an integer in 1..%d",
                             got == 1 ? v : "(too long)", HISTORY_LIMIT_MAX);
            return -1;
        }
        *limit = (size_t)l;
    }
    got = http_query(r, "cursor", v, sizeof v);
    if (got != 0) {
        long long t = got == 1 && v[0] == 't' ? strtoll(v + 1, &end, 10) : -1;
        if (t < 0 || *end || end == v + 1) {
            http_reply_error(r, 400, "invalid_query", -1,
                             "cursor: '%s' is not a cursor of this list (pass next_cursor as it "
                             "was answered)",
                             got == 1 ? v : "(too long)");
            return -1;
        }
        *after = t;
    }
    return 0;
}

void h_drift_history(struct http_req *r)
{
    static const char *const known[] = {"version", "signal", "method", "from",
                                        "to",      "limit",  "cursor", NULL};
    char version[DD_NAME_MAX + 1], signal[200], method[64];
    if (answer_query_known(r, known) != 0)
        return;
    if (http_query(r, "signal", signal, sizeof signal) != 1 ||
        http_query(r, "method", method, sizeof method) != 1) {
        http_reply_error(r, 400, "invalid_query", -1,
                         "signal and method are required (e.g. signal=confidence&method=ks)");
        return;
    }
    if (pick_version_or_reply(r, version, sizeof version) != 0)
        return;
    int64_t now = dd_now_ms(), from, to, after;
    size_t limit;
    if (query_time_or_reply(r, "to", now, &to) != 0 ||
        query_time_or_reply(r, "from", to - HISTORY_DEFAULT_MS, &from) != 0 ||
        page_or_reply(r, &limit, &after) != 0)
        return;
    if (after >= from)
        from = after + 1;
    /* the store answers the most recent HISTORY_MAX_POINTS of a range: move
     * its end back until the range's oldest points are in the answer */
    struct store_point *pts = NULL;
    size_t n = 0;
    int rc = 0;
    for (int64_t end = to;;) {
        free(pts);
        pts = NULL;
        n = 0;
        rc = from > end ? 0
                        : store_r_history(api_of(r)->store, r->params[0], version, signal, method,
                                          from, end, HISTORY_MAX_POINTS, &pts, &n);
        if (rc != 0 || n < HISTORY_MAX_POINTS || n <= limit || pts[0].t_ms <= from)
            break;
        end = pts[0].t_ms - 1;
    }
    int more = 0;
    if (rc == 0 && n > limit) {
        n = limit;
        more = 1;
    } else if (rc == 0 && n && pts[n - 1].t_ms < to) {
        /* a full answer may still have newer points beyond what was read */
        struct store_point *next = NULL;
        size_t nn = 0;
        if (store_r_history(api_of(r)->store, r->params[0], version, signal, method,
                            pts[n - 1].t_ms + 1, to, 1, &next, &nn) == 0)
            more = nn > 0;
        free(next);
    }
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
    if (more)
        dd_buf_printf(&b, "],\"next_cursor\":\"t%lld\"}", (long long)pts[n - 1].t_ms);
    else
        dd_buf_puts(&b, "],\"next_cursor\":null}");
    http_reply_json(r, 200, &b);
    dd_buf_release(&b);
    free(pts);
}

/* ---- GET .../distributions: what the dashboard plots ---- */

void h_distributions(struct http_req *r)
{
    static const char *const known[] = {"version", "window", "signal", NULL};
    char version[DD_NAME_MAX + 1], window[64], only[200] = "";
    if (answer_query_known(r, known) != 0)
        return;
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
