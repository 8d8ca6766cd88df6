/* h_drift.c — GET /api/v1/models/{model}/drift?version=V&window=W (API.md).
 *
 * Evaluates on demand with evaluate_version() (evaluator.h): the version's
 * reference against the current window.  Without ?version= the version with
 * the latest event is taken.  The scheduled evaluation's stored answer is
 * returned instead while it is younger than eval_interval ("computed_at"
 * says when it was computed).  GET .../drift/history reads the stored
 * per-signal results.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/embed.h"
#include "base/err.h"
#include "base/timefmt.h"
#include "server/app.h"
#include "server/evaluator.h"
#include "server/handlers.h"
#include "server/settings.h"
#include "server/signals.h"
#include "server/store.h"

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
    if (http_query(r, "window", window, sizeof window) != 1) {
        struct model_settings ms;
        if (settings_load(r->app->store, &r->app->cfg, r->params[0], &ms) != 0) {
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
    if (store_r_latest_evaluation(r->app->store, r->params[0], version, window, &computed,
                                  &cached) == 0 &&
        computed >= now - r->app->cfg.eval_interval_ms) {
        http_reply(r, 200, "application/json; charset=utf-8", cached, strlen(cached));
        free(cached);
        dd_buf_release(&b);
        return;
    }
    free(cached);
    char err[256];
    int rc = evaluate_version(r->app, r->params[0], version, window, now, &b, NULL, err,
                              sizeof err);
    switch (rc) {
    case 0:
        http_reply_json(r, 200, &b);
        break;
    case DD_EINVAL:
        http_reply_error(r, 400, "invalid_query", -1, "%s", err);
        break;
    case DD_ENOTFOUND:
        http_reply_error(r, 404, "not_found", -1, "%s", err);
        break;
    case DD_EDIM:
        http_reply_error(r, 409, "conflict", -1, "%s", err);
        break;
    default:
        http_reply_error(r, 500, "internal", -1, "%s", err);
    }
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
    int rc = store_r_history(r->app->store, r->params[0], version, signal, method, from, to,
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

#define DIST_BINS 20
#define DIST_MAX_CATEGORIES 30
#define DIST_MAX_POINTS 500

static void hist_json(struct dd_buf *b, const double *x, size_t n, double lo, double hi)
{
    size_t counts[DIST_BINS] = {0};
    double width = (hi - lo) / DIST_BINS;
    for (size_t i = 0; i < n; i++) {
        size_t k = width > 0 ? (size_t)((x[i] - lo) / width) : 0;
        counts[k >= DIST_BINS ? DIST_BINS - 1 : k]++;
    }
    dd_buf_putc(b, '[');
    for (int k = 0; k < DIST_BINS; k++)
        dd_buf_printf(b, k ? ",%zu" : "%zu", counts[k]);
    dd_buf_putc(b, ']');
}

static void numeric_json(struct dd_buf *b, const struct dd_signal_input *s)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < s->n_ref; i++) {
        lo = fmin(lo, s->ref_num[i]);
        hi = fmax(hi, s->ref_num[i]);
    }
    for (size_t i = 0; i < s->n_cur; i++) {
        lo = fmin(lo, s->cur_num[i]);
        hi = fmax(hi, s->cur_num[i]);
    }
    if (!(lo <= hi))
        lo = hi = 0;
    dd_buf_puts(b, "\"kind\":\"numeric\",\"edges\":[");
    for (int k = 0; k <= DIST_BINS; k++) {
        if (k)
            dd_buf_putc(b, ',');
        dd_json_num(b, lo + (hi - lo) * k / DIST_BINS);
    }
    dd_buf_puts(b, "],\"reference\":");
    hist_json(b, s->ref_num, s->n_ref, lo, hi);
    dd_buf_puts(b, ",\"current\":");
    hist_json(b, s->cur_num, s->n_cur, lo, hi);
}

struct cat_count {
    size_t idx, ref, cur;
};

static int by_counts_desc(const void *pa, const void *pb)
{
    const struct cat_count *a = pa, *b = pb;
    if (a->ref != b->ref)
        return a->ref < b->ref ? 1 : -1;
    if (a->cur != b->cur)
        return a->cur < b->cur ? 1 : -1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Shares of the most frequent categories (by reference, then current), the
 * rest folded into "(other)". */
static void categorical_json(struct dd_buf *b, const struct dd_signal_input *s)
{
    size_t nc = s->n_categories;
    struct cat_count *c = calloc(nc ? nc : 1, sizeof *c);
    if (!c)
        return;
    for (size_t i = 0; i < nc; i++)
        c[i].idx = i;
    for (size_t i = 0; i < s->n_ref; i++)
        c[s->ref_cat[i]].ref++;
    for (size_t i = 0; i < s->n_cur; i++)
        c[s->cur_cat[i]].cur++;
    qsort(c, nc, sizeof *c, by_counts_desc);
    size_t shown = nc < DIST_MAX_CATEGORIES ? nc : DIST_MAX_CATEGORIES;
    size_t other[2] = {0, 0};
    for (size_t i = shown; i < nc; i++) {
        other[0] += c[i].ref;
        other[1] += c[i].cur;
    }
    dd_buf_puts(b, "\"kind\":\"categorical\",\"categories\":[");
    for (size_t i = 0; i < shown; i++) {
        if (i)
            dd_buf_putc(b, ',');
        dd_json_str(b, s->categories[c[i].idx]);
    }
    if (shown < nc)
        dd_buf_puts(b, ",\"(other)\"");
    for (int side = 0; side < 2; side++) {
        double total = (double)(side ? s->n_cur : s->n_ref);
        dd_buf_puts(b, side ? "],\"current\":[" : "],\"reference\":[");
        for (size_t i = 0; i < shown; i++) {
            if (i)
                dd_buf_putc(b, ',');
            dd_json_num(b, total > 0 ? (double)(side ? c[i].cur : c[i].ref) / total : 0);
        }
        if (shown < nc) {
            dd_buf_putc(b, ',');
            dd_json_num(b, total > 0 ? (double)other[side] / total : 0);
        }
    }
    dd_buf_putc(b, ']');
    free(c);
}

/* Every step-th row of an n x dim matrix, at most DIST_MAX_POINTS rows. */
static float *sample_rows(const float *x, size_t n, size_t dim, size_t *m)
{
    size_t step = n > DIST_MAX_POINTS ? (n + DIST_MAX_POINTS - 1) / DIST_MAX_POINTS : 1;
    *m = n ? (n + step - 1) / step : 0;
    float *out = malloc((*m ? *m : 1) * dim * sizeof *out);
    for (size_t i = 0; i < *m && out; i++)
        memcpy(out + i * dim, x + i * step * dim, dim * sizeof *out);
    return out;
}

static void points_json(struct dd_buf *b, const struct dd_pca *p, const float *x, size_t m)
{
    double *proj = malloc((m ? m : 1) * p->k_eff * sizeof *proj);
    dd_buf_putc(b, '[');
    if (proj && m && dd_pca_project(p, x, m, proj) == 0)
        for (size_t i = 0; i < m; i++) {
            if (i)
                dd_buf_putc(b, ',');
            dd_buf_putc(b, '[');
            dd_json_num(b, proj[i * p->k_eff]);
            dd_buf_putc(b, ',');
            dd_json_num(b, p->k_eff > 1 ? proj[i * p->k_eff + 1] : 0.0);
            dd_buf_putc(b, ']');
        }
    dd_buf_putc(b, ']');
    free(proj);
}

static void embedding_json(struct dd_buf *b, const struct dd_signal_input *s)
{
    size_t mr, mc;
    float *r = sample_rows(s->ref_emb, s->n_ref, s->dim, &mr);
    float *c = sample_rows(s->cur_emb, s->n_cur, s->dim, &mc);
    struct dd_pca p;
    dd_buf_puts(b, "\"kind\":\"embedding\"");
    if (r && c && mr >= 2 && dd_pca_fit(r, mr, s->dim, 1.0, 2, &p) == 0) {
        dd_buf_puts(b, ",\"explained\":");
        dd_json_num(b, p.explained);
        dd_buf_puts(b, ",\"reference\":");
        points_json(b, &p, r, mr);
        dd_buf_puts(b, ",\"current\":");
        points_json(b, &p, c, mc);
        dd_pca_release(&p);
    } else {
        dd_buf_puts(b, ",\"reference\":[],\"current\":[]");
    }
    free(r);
    free(c);
}

void h_distributions(struct http_req *r)
{
    char version[DD_NAME_MAX + 1], window[64], only[200] = "";
    if (pick_version_or_reply(r, version, sizeof version) != 0)
        return;
    int has_window = http_query(r, "window", window, sizeof window) == 1;
    http_query(r, "signal", only, sizeof only);
    struct eval_data d;
    char err[256];
    int rc = eval_load(r->app, r->params[0], version, has_window ? window : NULL, dd_now_ms(),
                       &d, err, sizeof err);
    if (rc != 0) {
        int status = rc == DD_EINVAL ? 400 : rc == DD_ENOTFOUND ? 404 : 500;
        http_reply_error(r, status, status == 400 ? "invalid_query" : status == 404 ? "not_found"
                                                                              : "internal",
                         -1, "%s", err);
        return;
    }
    struct signal_set set;
    rc = signals_build(d.ref->events, d.ref->n, d.cur.events, d.cur.n, &set, err, sizeof err);
    if (rc != 0) {
        http_reply_error(r, 409, "conflict", -1, "%s", err);
        eval_data_release(r->app, &d);
        return;
    }
    struct dd_buf b;
    dd_buf_init(&b);
    dd_buf_puts(&b, "{\"model\":");
    dd_json_str(&b, r->params[0]);
    dd_buf_puts(&b, ",\"version\":");
    dd_json_str(&b, version);
    dd_buf_printf(&b, ",\"reference\":{\"events\":%zu},\"window\":{\"events\":%zu},\"signals\":[",
                  d.ref->n, d.cur.n);
    int first = 1, found = 0;
    for (size_t i = 0; i < set.n; i++) {
        const struct dd_signal_input *s = &set.inputs[i];
        if (only[0] && strcmp(only, s->name) != 0)
            continue;
        found = 1;
        dd_buf_puts(&b, first ? "{\"signal\":" : ",{\"signal\":");
        first = 0;
        dd_json_str(&b, s->name);
        dd_buf_printf(&b, ",\"n_ref\":%zu,\"n_cur\":%zu,", s->n_ref, s->n_cur);
        if (s->kind == DD_SIGNAL_NUMERIC)
            numeric_json(&b, s);
        else if (s->kind == DD_SIGNAL_CATEGORICAL)
            categorical_json(&b, s);
        else
            embedding_json(&b, s);
        dd_buf_putc(&b, '}');
    }
    dd_buf_puts(&b, "]}");
    if (only[0] && !found)
        http_reply_error(r, 404, "not_found", -1, "no signal '%s' in this window", only);
    else
        http_reply_json(r, 200, &b);
    dd_buf_release(&b);
    signals_release(&set);
    eval_data_release(r->app, &d);
}
