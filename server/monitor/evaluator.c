/* evaluator.c — evaluate_version() and the scheduled evaluator thread. */
#include "server/monitor/evaluator.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/timefmt.h"
#include "server/monitor/alerts.h"
#include "server/monitor/distributions.h"
#include "server/monitor/drift.h"
#include "server/monitor/refcache.h"
#include "base/periodic.h"
#include "server/monitor/settings.h"
#include "server/store/writer.h"

/* window (a setting's syntax) or, with period, from_ms <= ts < to_ms. */
static int evaluate(const struct monitor_env *env, const char *model, const char *version,
                    const char *window, const int64_t *period, int64_t now, struct dd_buf *json,
                    struct dd_report *rep_out, struct dd_buf *dist, char *err, size_t errlen)
{
    struct window_data d;
    struct dd_report rep = {0};
    int64_t t0 = dd_mono_ns();
    int rc =
        period ? window_load_period(env, model, version, period[0], period[1], now, &d, err, errlen)
               : window_load(env, model, version, window, now, &d, err, errlen);
    if (rc != 0)
        return rc;
    int64_t t1 = dd_mono_ns();
    struct dd_eval_options opt;
    dd_eval_options_default(&opt);
    if (env->defaults.mmd_permutations > 0)
        opt.mmd_permutations = (size_t)env->defaults.mmd_permutations;
    rc = drift_evaluate(d.ref, &d.cur, &opt, &d.settings, &rep, err, errlen);
    if (rc != 0)
        goto out;
    if (rep.has_calibration && rep.decision.n_stale && d.entry) /* types changed since */
        refcache_recalibrate(env->refcache, d.entry);
    int64_t t2 = dd_mono_ns();
    struct drift_meta m = {
        .model = model,
        .version = version,
        .from_ms = d.window.last_n ? d.cur_info.from_ms : d.window.from_ms,
        .to_ms = d.window.last_n ? d.cur_info.to_ms
                 : period        ? period[1]
                                 : d.window.to_ms,
        .n_cur_total = d.cur_info.total,
        .n_excluded = d.excluded,
        .n_cur = d.cur.n,
        .n_ref = d.ref->n_events,
        .sampled = d.cur_info.sampled,
        .computed_ms = now,
        .ref_performance = d.ref->performance,
        .cur = &d.cur,
    };
    drift_report_json(&m, &rep, json);
    if (dist && distributions_json(&d, model, version, NULL, now, dist, err, errlen) != 0)
        dd_buf_reset(dist); /* the drift report stands; the plot is built on demand */
    dd_debug("evaluated",
             "model=%s version=%s ref=%zu cur=%zu load_ms=%.2f stats_ms=%.2f render_ms=%.2f", model,
             version, d.ref->n_events, d.cur.n, (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6,
             (double)(dd_mono_ns() - t2) / 1e6);
    if (rep_out) {
        *rep_out = rep;
        memset(&rep, 0, sizeof rep);
    }
out:
    dd_report_release(&rep);
    window_data_release(env, &d);
    return rc;
}

int evaluate_version(const struct monitor_env *env, const char *model, const char *version,
                     const char *window, int64_t now, struct dd_buf *json,
                     struct dd_report *rep_out, struct dd_buf *dist, char *err, size_t errlen)
{
    return evaluate(env, model, version, window, NULL, now, json, rep_out, dist, err, errlen);
}

int evaluate_period(const struct monitor_env *env, const char *model, const char *version,
                    int64_t from_ms, int64_t to_ms, int64_t now_ms, struct dd_buf *json, char *err,
                    size_t errlen)
{
    int64_t period[2] = {from_ms, to_ms};
    return evaluate(env, model, version, NULL, period, now_ms, json, NULL, NULL, err, errlen);
}

/* ---- the scheduled evaluator ---- */

struct latest { /* one gauge line set */
    char model[DD_NAME_MAX + 1], version[DD_NAME_MAX + 1], signal[160];
    const char *method;
    const char *kind; /* "test" or "effect_size" (dd_result.kind) */
    double statistic, p_value;
    int drift;
    int64_t last_ms; /* the version's last event, -1: none (evaluator_series_listed()) */
};

/* One version's state after a round: its verdict and its last event, the
 * gauges a staleness or drift alert reads. */
struct vstate {
    char model[DD_NAME_MAX + 1], version[DD_NAME_MAX + 1];
    char status[20]; /* the latest report's status; "" before the first */
    int64_t last_ms; /* -1: no events */
};

/* A round's distributions body for one version's configured window. */
struct snapshot {
    char model[DD_NAME_MAX + 1], version[DD_NAME_MAX + 1], window[64];
    int64_t computed_ms;
    char *json;
    size_t len;
};

static void snapshots_free(struct snapshot *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i].json);
    free(s);
}

/* A model (version "": all its versions) deleted while a round may have
 * read it: the round's results leave it out when they are published. */
struct forgotten {
    char model[DD_NAME_MAX + 1], version[DD_NAME_MAX + 1];
    uint64_t seq;
};

struct evaluator {
    const struct monitor_env *env;
    struct periodic *thread;
    /* guarded by mu */
    pthread_mutex_t mu;
    struct latest *latest;
    size_t n_latest;
    struct vstate *vstates;
    size_t n_vstates;
    struct snapshot *snaps;
    size_t n_snaps;
    uint64_t rounds, evaluations;
    double last_round_s, total_s;
    double last_round_cpu_s;     /* the evaluator thread's CPU time in the last round */
    struct forgotten *forgotten; /* evaluator_forget() since the last round began */
    size_t n_forgotten;
    uint64_t forget_seq; /* evaluator_forget() calls so far */
};

/* CPU time of the calling thread, in seconds. */
static double thread_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void remember(struct evaluator *e, const char *model, const struct store_version_info *vi,
                     const struct dd_report *rep, struct latest **acc, size_t *n)
{
    const char *version = vi->name;
    (void)e;
    for (size_t i = 0; i < rep->n_results; i++) {
        const struct dd_result *r = &rep->results[i];
        if (r->status != 0)
            continue;
        *acc = dd_realloc(*acc, (*n + 1) * sizeof **acc);
        struct latest *l = &(*acc)[(*n)++];
        snprintf(l->model, sizeof l->model, "%s", model);
        snprintf(l->version, sizeof l->version, "%s", version);
        snprintf(l->signal, sizeof l->signal, "%s", r->signal);
        l->method = r->method;
        l->kind = r->kind ? r->kind : "effect_size";
        l->statistic = r->statistic;
        l->p_value = r->p_value;
        l->drift = r->drift;
        l->last_ms = vi->last_ms;
    }
}

/* Once a version has its first reference_size events, its automatic
 * reference is copied to ref_events (source "auto"): from then on it is
 * fixed, whatever arrives later with older timestamps, and retention cannot
 * move it (store_w_freeze_reference()). */
static void freeze_auto_reference(struct evaluator *e, const char *model,
                                  const struct store_version_info *vi,
                                  const struct model_settings *set)
{
    struct store_reference ref;
    int exists;
    if (vi->events < set->reference_size ||
        store_r_reference(e->env->store, model, vi->name, &ref, &exists) != DD_ENOTFOUND || !exists)
        return;
    struct writer_result wr;
    writer_submit_freeze_reference(e->env->writer, model, vi->name, (size_t)set->reference_size,
                                   &wr);
    if (wr.rc != 0)
        dd_warn("cannot freeze the automatic reference", "model=%s version=%s err=%s", model,
                vi->name, dd_errname(wr.rc));
}

/* Versions with recent events are evaluated every round.  One without
 * (none in EVAL_ACTIVE_MS, or none at all: a reference alone) is evaluated
 * until its stored status says its window is empty, so that a status
 * never stays "ok" over data that is gone and a version with a reference
 * and no traffic reports insufficient_data; a last:N window of an idle
 * version cannot change, so it keeps its status. */
static int should_evaluate(const struct store_version_info *vi, const struct model_settings *set,
                           int64_t now)
{
    if (vi->last_ms >= now - EVAL_ACTIVE_MS)
        return 1;
    if (!strcmp(vi->status, "insufficient_data") || !strcmp(vi->status, "no_reference"))
        return 0;
    return !vi->status[0] || strncmp(set->window, "last:", 5) != 0;
}

/* ---- alert rules, after each version's evaluation (alerts.h) ---- */

/* The rules and silences a round applies, read once per round. */
struct round_alerting {
    struct rule *rules;
    size_t n_rules;
    struct silence *silences;
    size_t n_silences;
};

static void round_alerting_load(struct evaluator *e, struct round_alerting *ra)
{
    memset(ra, 0, sizeof *ra);
    struct store_alerting_row *rows = NULL;
    size_t n = 0;
    if (store_r_alerting(e->env->store, STORE_RULES, NULL, &rows, &n) == 0 && n) {
        ra->rules = dd_calloc(n, sizeof *ra->rules);
        for (size_t i = 0; i < n; i++) {
            char err[256];
            if (rules_parse(rows[i].body, strlen(rows[i].body), NULL, &ra->rules[ra->n_rules], err,
                            sizeof err) == 0)
                ra->n_rules++;
            else
                dd_warn("stored rule skipped", "rule=%s err=\"%s\"", rows[i].id, err);
        }
    }
    store_alerting_rows_free(rows, n);
    rows = NULL;
    n = 0;
    if (ra->n_rules && store_r_alerting(e->env->store, STORE_SILENCES, NULL, &rows, &n) == 0 && n) {
        ra->silences = dd_calloc(n, sizeof *ra->silences);
        for (size_t i = 0; i < n; i++) {
            struct silence *s = &ra->silences[ra->n_silences];
            char err[256];
            if (rules_silence_parse(rows[i].body, strlen(rows[i].body), INT64_MIN, s, err,
                                    sizeof err) != 0)
                continue;
            snprintf(s->id, sizeof s->id, "%.20s", rows[i].id);
            s->ends_ms = rows[i].ends_ms;
            ra->n_silences++;
        }
    }
    store_alerting_rows_free(rows, n);
}

static void round_alerting_release(struct round_alerting *ra)
{
    free(ra->rules);
    free(ra->silences);
}

/* The newest other version of the model (latest first event) whose latest
 * evaluation found no drift; NULL: none. */
static const char *rollback_candidate(const struct store_model_info *m, const char *version)
{
    const struct store_version_info *best = NULL;
    for (size_t i = 0; i < m->n_versions; i++) {
        const struct store_version_info *v = &m->versions[i];
        if (!strcmp(v->name, version) || strcmp(v->status, "ok") != 0)
            continue;
        if (!best || v->first_ms > best->first_ms)
            best = v;
    }
    return best ? best->name : NULL;
}

/* Stores the round's evaluation of one version with the alert changes it
 * causes, in one writer transaction. */
static void store_round(struct evaluator *e, const struct round_alerting *ra,
                        const struct store_model_info *m, const char *version, const char *window,
                        int64_t now, const char *status, const struct dd_report *rep,
                        const char *json)
{
    struct alerts_plan plan = {0};
    struct store_alert *open = NULL;
    size_t n_open = 0;
    int watched = 0;
    for (size_t i = 0; i < ra->n_rules && !watched; i++)
        watched = rules_match(&ra->rules[i], m->name, version);
    if (watched) {
        struct store_alert_filter f = {.model = m->name, .version = version, .open_only = 1};
        if (store_r_alerts(e->env->store, &f, &open, &n_open) == 0) {
            struct alerts_round rd = {
                .model = m->name,
                .version = version,
                .status = status,
                .rep = rep,
                .report_json = json,
                .now_ms = now,
                .external_url = e->env->external_url ? e->env->external_url : "http://localhost",
                .rollback_candidate = rollback_candidate(m, version),
            };
            alerts_plan_version(ra->rules, ra->n_rules, ra->silences, ra->n_silences, open, n_open,
                                &rd, &plan);
        } else {
            dd_warn("cannot read alerts", "model=%s version=%s", m->name, version);
        }
    }
    struct writer_result wr;
    writer_submit_evaluation_alerts(e->env->writer, m->name, version, window, now, status, rep,
                                    json, plan.changes, plan.n, &wr);
    if (wr.rc != 0)
        dd_warn("cannot store evaluation", "model=%s version=%s err=%s", m->name, version,
                dd_errname(wr.rc));
    for (size_t i = 0; wr.rc == 0 && i < plan.n; i++) {
        const struct store_alert_change *c = &plan.changes[i];
        if (c->n_outbox || c->drop || (c->alert_id == 0))
            dd_info("alert", "rule=%s model=%s version=%s state=%s notifications=%zu", c->rule_id,
                    c->model, c->version, c->drop ? "dropped" : c->state, c->n_outbox);
    }
    alerts_plan_release(&plan);
    store_alerts_free(open, n_open);
}

/* ---- the /metrics series of deleted and inactive versions ---- */

static int forgets(const struct evaluator *e, uint64_t since, const char *model,
                   const char *version)
{
    for (size_t i = 0; i < e->n_forgotten; i++) {
        const struct forgotten *f = &e->forgotten[i];
        if (f->seq >= since && !strcmp(f->model, model) &&
            (!f->version[0] || !strcmp(f->version, version)))
            return 1;
    }
    return 0;
}

static uint64_t forget_seq_now(struct evaluator *e)
{
    pthread_mutex_lock(&e->mu);
    uint64_t seq = e->forget_seq;
    pthread_mutex_unlock(&e->mu);
    return seq;
}

/* e->mu held: leaves out of l and v the versions of the deletes numbered
 * since or later. */
static void drop_forgotten(const struct evaluator *e, uint64_t since, struct latest *l, size_t *n_l,
                           struct vstate *v, size_t *n_v)
{
    size_t k = 0;
    for (size_t i = 0; i < *n_l; i++)
        if (!forgets(e, since, l[i].model, l[i].version))
            l[k++] = l[i];
    *n_l = k;
    k = 0;
    for (size_t i = 0; i < *n_v; i++)
        if (!forgets(e, since, v[i].model, v[i].version))
            v[k++] = v[i];
    *n_v = k;
}

/* e->mu held: leaves out of a round's results (before they are published)
 * the versions deleted since the round began (seq >= since): the round may
 * have read them before the delete.  The deletes before it are forgotten:
 * this round read the store after them. */
static void forget_published(struct evaluator *e, uint64_t since, struct latest *l, size_t *n_l,
                             struct vstate *v, size_t *n_v)
{
    drop_forgotten(e, since, l, n_l, v, n_v);
    size_t k = 0;
    for (size_t i = 0; i < e->n_forgotten; i++)
        if (e->forgotten[i].seq >= since)
            e->forgotten[k++] = e->forgotten[i];
    e->n_forgotten = k;
}

void evaluator_forget(struct evaluator *e, const char *model, const char *version)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    e->forgotten = dd_realloc(e->forgotten, (e->n_forgotten + 1) * sizeof *e->forgotten);
    struct forgotten *f = &e->forgotten[e->n_forgotten++];
    snprintf(f->model, sizeof f->model, "%s", model);
    snprintf(f->version, sizeof f->version, "%s", version ? version : "");
    f->seq = e->forget_seq++;
    /* what /metrics shows now: the published round without them */
    drop_forgotten(e, f->seq, e->latest, &e->n_latest, e->vstates, &e->n_vstates);
    pthread_mutex_unlock(&e->mu);
}

int evaluator_series_listed(int64_t last_ms, int64_t now_ms, int64_t inactive_ms)
{
    return last_ms < 0 || last_ms >= now_ms - inactive_ms;
}

static void round_once(struct evaluator *e)
{
    int64_t start = dd_mono_ns(), now = dd_now_ms();
    double cpu_start = thread_cpu_s();
    uint64_t forget_seq = forget_seq_now(e); /* deletes from here on may be in this round */
    struct store_model_info *ms = NULL;
    size_t n = 0, evaluated = 0;
    if (store_r_models(e->env->store, NULL, &ms, &n) != 0)
        return;
    struct round_alerting ra;
    round_alerting_load(e, &ra);
    struct latest *acc = NULL;
    size_t n_acc = 0;
    struct snapshot *snaps = NULL;
    size_t n_snaps = 0;
    struct vstate *vs = NULL;
    size_t n_vs = 0;
    for (size_t i = 0; i < n; i++) {
        store_r_statuses(e->env->store, &ms[i]); /* on failure: "" (evaluated again) */
        for (size_t v = 0; v < ms[i].n_versions; v++) {
            const struct store_version_info *vi = &ms[i].versions[v];
            vs = dd_realloc(vs, (n_vs + 1) * sizeof *vs);
            struct vstate *st = &vs[n_vs++];
            snprintf(st->model, sizeof st->model, "%s", ms[i].name);
            snprintf(st->version, sizeof st->version, "%s", vi->name);
            snprintf(st->status, sizeof st->status, "%s", vi->status);
            st->last_ms = vi->last_ms;
            struct model_settings set;
            if (settings_load(e->env->store, &e->env->defaults, ms[i].name, &set) != 0)
                continue;
            if (!should_evaluate(vi, &set, now))
                continue;
            struct dd_buf json, dist;
            dd_buf_init(&json);
            dd_buf_init(&dist);
            struct dd_report rep = {0};
            char err[256];
            freeze_auto_reference(e, ms[i].name, vi, &set);
            int rc = evaluate_version(e->env, ms[i].name, vi->name, set.window, now, &json, &rep,
                                      &dist, err, sizeof err);
            if (rc == 0 && dist.len) {
                snaps = dd_realloc(snaps, (n_snaps + 1) * sizeof *snaps);
                struct snapshot *sn = &snaps[n_snaps++];
                snprintf(sn->model, sizeof sn->model, "%s", ms[i].name);
                snprintf(sn->version, sizeof sn->version, "%s", vi->name);
                snprintf(sn->window, sizeof sn->window, "%s", set.window);
                sn->computed_ms = now;
                sn->len = dist.len;
                sn->json = dist.data; /* ownership moves to the snapshot */
                dd_buf_init(&dist);
            }
            if (rc == 0) {
                remember(e, ms[i].name, vi, &rep, &acc, &n_acc);
                snprintf(st->status, sizeof st->status, "%s", drift_status(&rep));
                /* a later version's rollback target sees this round's verdict */
                snprintf(ms[i].versions[v].status, sizeof ms[i].versions[v].status, "%s",
                         st->status);
                store_round(e, &ra, &ms[i], vi->name, set.window, now, st->status, &rep, json.data);
                evaluated++;
            } else {
                dd_warn("evaluation failed", "model=%s version=%s err=\"%s\"", ms[i].name, vi->name,
                        err);
            }
            dd_report_release(&rep);
            dd_buf_release(&json);
            dd_buf_release(&dist);
        }
    }
    store_models_free(ms, n);
    round_alerting_release(&ra);
    double secs = (double)(dd_mono_ns() - start) / 1e9;
    pthread_mutex_lock(&e->mu);
    forget_published(e, forget_seq, acc, &n_acc, vs, &n_vs);
    free(e->latest);
    e->latest = acc;
    e->n_latest = n_acc;
    free(e->vstates);
    e->vstates = vs;
    e->n_vstates = n_vs;
    snapshots_free(e->snaps, e->n_snaps);
    e->snaps = snaps;
    e->n_snaps = n_snaps;
    e->rounds++;
    e->evaluations += evaluated;
    e->last_round_s = secs;
    e->last_round_cpu_s = thread_cpu_s() - cpu_start;
    e->total_s += secs;
    pthread_mutex_unlock(&e->mu);
    dd_debug("evaluation round", "versions=%zu seconds=%.3f", evaluated, secs);
}

static int64_t evaluator_round(void *arg)
{
    struct evaluator *e = arg;
    round_once(e);
    return e->env->eval_interval_ms;
}

int evaluator_distributions(struct evaluator *e, const char *model, const char *version,
                            const char *window, int64_t min_computed_ms, struct dd_buf *out)
{
    int rc = DD_ENOTFOUND;
    if (!e)
        return rc;
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < e->n_snaps; i++) {
        const struct snapshot *sn = &e->snaps[i];
        if (!strcmp(sn->model, model) && !strcmp(sn->version, version) &&
            !strcmp(sn->window, window) && sn->computed_ms >= min_computed_ms) {
            dd_buf_append(out, sn->json, sn->len);
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

/* Releases an evaluator whose thread has ended (or never started). */
static void evaluator_free(void *arg)
{
    struct evaluator *e = arg;
    pthread_mutex_destroy(&e->mu);
    free(e->latest);
    free(e->vstates);
    free(e->forgotten);
    snapshots_free(e->snaps, e->n_snaps);
    free(e);
}

int evaluator_start(const struct monitor_env *env, struct evaluator **out)
{
    struct evaluator *e = dd_calloc(1, sizeof *e);
    e->env = env;
    pthread_mutex_init(&e->mu, NULL);
    int rc = periodic_start_owning(&e->thread, evaluator_round, e, 8u << 20, evaluator_free);
    *out = rc == 0 ? e : NULL;
    return rc;
}

void evaluator_stop(struct evaluator *e)
{
    if (e)
        periodic_stop(e->thread); /* and evaluator_free(e) */
}

/* Prometheus label value escaping: \\ \" \n. */
static void label(struct dd_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            dd_buf_putc(b, '\\');
        if (*s == '\n') {
            dd_buf_puts(b, "\\n");
            continue;
        }
        dd_buf_putc(b, *s);
    }
}

static void gauge(struct dd_buf *b, const char *name, const struct latest *l, double v)
{
    dd_buf_printf(b, "%s{model=\"", name);
    label(b, l->model);
    dd_buf_puts(b, "\",version=\"");
    label(b, l->version);
    dd_buf_puts(b, "\",signal=\"");
    label(b, l->signal);
    dd_buf_printf(b, "\",method=\"%s\",kind=\"%s\"} ", l->method, l->kind);
    if (v != v)
        dd_buf_puts(b, "NaN\n");
    else
        dd_buf_printf(b, "%.17g\n", v);
}

static void version_labels(struct dd_buf *b, const char *name, const struct vstate *v)
{
    dd_buf_printf(b, "%s{model=\"", name);
    label(b, v->model);
    dd_buf_puts(b, "\",version=\"");
    label(b, v->version);
    dd_buf_putc(b, '"');
}

/* The per-version gauges (e->mu held): the verdict one-hot over every
 * status, so `driftd_version_status{status="drift"} == 1` and
 * `{status="insufficient_data"} == 1` are the alerts; the last event's
 * time for staleness (`time() - driftd_last_event_timestamp_seconds`).
 * Only the versions evaluator_series_listed() keeps. */
static void render_versions(struct evaluator *e, struct dd_buf *b, int64_t now_ms,
                            int64_t inactive_ms)
{
    static const char *const statuses[] = {"ok", "drift", "insufficient_data", "no_reference"};
    dd_buf_puts(b, "# HELP driftd_version_status The latest report's top-level status per version:"
                   " 1 for the status it has, 0 for the others.\n"
                   "# TYPE driftd_version_status gauge\n");
    for (size_t i = 0; i < e->n_vstates; i++) {
        const struct vstate *v = &e->vstates[i];
        if (!evaluator_series_listed(v->last_ms, now_ms, inactive_ms))
            continue;
        const char *now = v->status[0] ? v->status : "no_reference";
        for (size_t k = 0; k < sizeof statuses / sizeof statuses[0]; k++) {
            version_labels(b, "driftd_version_status", v);
            dd_buf_printf(b, ",status=\"%s\"} %d\n", statuses[k], !strcmp(now, statuses[k]));
        }
    }
    dd_buf_puts(b, "# HELP driftd_last_event_timestamp_seconds Time (Unix seconds) of the latest"
                   " event of each version that has events.\n"
                   "# TYPE driftd_last_event_timestamp_seconds gauge\n");
    for (size_t i = 0; i < e->n_vstates; i++) {
        const struct vstate *v = &e->vstates[i];
        if (v->last_ms < 0 || !evaluator_series_listed(v->last_ms, now_ms, inactive_ms))
            continue;
        version_labels(b, "driftd_last_event_timestamp_seconds", v);
        dd_buf_printf(b, "} %.3f\n", (double)v->last_ms / 1e3);
    }
}

void evaluator_render_metrics(struct evaluator *e, struct dd_buf *b)
{
    if (!e)
        return;
    int64_t now_ms = dd_now_ms(), inactive_ms = EVAL_ACTIVE_MS;
    pthread_mutex_lock(&e->mu);
    dd_buf_puts(b, "# HELP driftd_evaluation_rounds_total Scheduled evaluation rounds run.\n"
                   "# TYPE driftd_evaluation_rounds_total counter\n");
    dd_buf_printf(b, "driftd_evaluation_rounds_total %llu\n", (unsigned long long)e->rounds);
    dd_buf_puts(b, "# HELP driftd_evaluation_round_seconds Duration of the last evaluation round.\n"
                   "# TYPE driftd_evaluation_round_seconds gauge\n");
    dd_buf_printf(b, "driftd_evaluation_round_seconds %.6f\n", e->last_round_s);
    dd_buf_puts(b, "# HELP driftd_evaluation_round_cpu_seconds CPU time of the evaluator thread in"
                   " the last evaluation round.\n"
                   "# TYPE driftd_evaluation_round_cpu_seconds gauge\n");
    dd_buf_printf(b, "driftd_evaluation_round_cpu_seconds %.6f\n", e->last_round_cpu_s);
    dd_buf_puts(b, "# HELP driftd_evaluation_seconds_total Time spent in evaluation rounds.\n"
                   "# TYPE driftd_evaluation_seconds_total counter\n");
    dd_buf_printf(b, "driftd_evaluation_seconds_total %.6f\n", e->total_s);
    static const char *const fam[3][2] = {
        {"driftd_drift_statistic", "Latest drift statistic per model, version, signal and method."},
        {"driftd_drift_p_value", "Latest p-value (tests only)."},
        {"driftd_drift_detected",
         "1 when the latest evaluation flagged drift on this row; only kind=\"test\" rows decide"
         " a version's verdict (driftd_version_status)."}};
    for (int f = 0; f < 3; f++) {
        dd_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", fam[f][0], fam[f][1], fam[f][0]);
        for (size_t i = 0; i < e->n_latest; i++) {
            const struct latest *l = &e->latest[i];
            if ((f == 1 && l->p_value != l->p_value) ||
                !evaluator_series_listed(l->last_ms, now_ms, inactive_ms))
                continue;
            gauge(b, fam[f][0], l, f == 0 ? l->statistic : f == 1 ? l->p_value : l->drift);
        }
    }
    render_versions(e, b, now_ms, inactive_ms);
    pthread_mutex_unlock(&e->mu);
}
