/* demo.c — the demo traffic thread (demo.h). */
#include "server/demo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/timefmt.h"
#include "ingest/parse.h"
#include "server/api/metrics.h"
#include "server/app.h"
#include "base/periodic.h"
#include "server/monitor/drift.h"
#include "server/monitor/evaluator.h"
#include "server/monitor/refcache.h"
#include "server/monitor/rules.h"
#include "server/monitor/settings.h"
#include "server/store/store.h"
#include "server/store/writer.h"

#define CLASSES 5
#define DIM 16
/* Room for the labels waiting for their time: DEMO_LABEL_DELAY_S seconds of
 * both classifier versions, and slack; a label that finds it full is lost,
 * as labels are in life. */
#define PENDING_MAX 2048
/* Of each second, at most this long goes to evaluating the history. */
#define DEMO_HISTORY_SLICE_MS 500
_Static_assert(PENDING_MAX >= 2 * DEMO_RATE * (DEMO_LABEL_DELAY_S + 2), "a delay's labels fit");

/* A label due at due_ms for event id of demo-classifier. */
struct pending {
    int64_t due_ms;
    char id[48];
    int label;
};

/* Owned by the demo thread (demo_second()) but for the fields set before it
 * starts. */
struct demo {
    struct app *app;
    struct periodic *thread;
    struct dd_rng rng;
    struct dd_buf body;
    int started;
    int64_t start_ns;
    int64_t phase_s; /* demo-embedder's half cycle (DEMO_PHASE_S, DRIFTD_DEMO_PHASE) */
    int phase;       /* demo-embedder: 1 while drifted, -1 before the first second */
    uint64_t run;    /* this run's start (ms), in every live event id: ids stay unique */
    uint64_t seq;    /* live events so far */
    struct pending pending[PENDING_MAX]; /* a ring, in due order */
    size_t head, n_pending;
    int64_t history_now;              /* the start a fresh demo's history ends at */
    int history_next, history_points; /* next point to evaluate (0: none left), of points */
};

static const struct stream {
    const char *model, *version;
    int drift; /* 0 never, 1 always, 2 in every second phase */
} streams[] = {
    {"demo-classifier", "v1", 0},
    {"demo-classifier", "v2", 1},
    {"demo-embedder", "v1", 2},
};
#define N_STREAMS (sizeof streams / sizeof streams[0])

/* Index drawn from the weights w[0..n) (summing to 1). */
static int pick(struct dd_rng *rng, const double *w, int n)
{
    double u = dd_rng_uniform(rng);
    for (int i = 0; i < n - 1; i++) {
        if (u < w[i])
            return i;
        u -= w[i];
    }
    return n - 1;
}

/* One classifier event's members; with_label 0 leaves out the label (it comes
 * later).  Returns the true class. */
static int classifier_event(struct dd_buf *b, int drifted, int with_label, struct dd_rng *rng)
{
    static const double classes[2][CLASSES] = {{0.40, 0.25, 0.15, 0.12, 0.08},
                                               {0.20, 0.20, 0.20, 0.20, 0.20}};
    static const double countries[2][3] = {{0.30, 0.30, 0.40}, {0.60, 0.25, 0.15}};
    static const char *const country[3] = {"de", "fr", "us"};
    int truth = pick(rng, classes[drifted], CLASSES);
    /* the model is right 90% of the time on data like its training set, 70% after the drift */
    int pred =
        dd_rng_uniform(rng) < (drifted ? 0.70 : 0.90) ? truth : (int)dd_rng_below(rng, CLASSES);
    double conf =
        drifted ? 0.35 + 0.5 * dd_rng_uniform(rng) : 0.5 + 0.5 * sqrt(dd_rng_uniform(rng));
    double p[CLASSES], rest = 0;
    for (int k = 0; k < CLASSES; k++)
        rest += p[k] = k == pred ? 0 : 0.05 + dd_rng_uniform(rng);
    for (int k = 0; k < CLASSES; k++)
        p[k] = k == pred ? conf : (1 - conf) * p[k] / rest;
    dd_buf_printf(b, "\"prediction\":\"c%d\",", pred);
    if (with_label)
        dd_buf_printf(b, "\"label\":\"c%d\",", truth);
    dd_buf_printf(b, "\"confidence\":%.4f,\"latency_ms\":%.2f,\"probabilities\":[", conf,
                  8 + 3 * fabs(dd_rng_normal(rng)) + (drifted ? 4 : 0));
    for (int k = 0; k < CLASSES; k++)
        dd_buf_printf(b, "%s%.4f", k ? "," : "", p[k]);
    dd_buf_printf(b, "],\"features\":{\"age\":%.1f,\"country\":\"%s\"}",
                  40 + 12 * dd_rng_normal(rng) + (drifted ? 7 : 0),
                  country[pick(rng, countries[drifted], 3)]);
    return truth;
}

static void embedder_event(struct dd_buf *b, int drifted, struct dd_rng *rng)
{
    dd_buf_printf(b, "\"prediction\":\"c%d\",\"confidence\":%.4f,\"embedding\":[",
                  (int)dd_rng_below(rng, CLASSES), 0.6 + 0.4 * dd_rng_uniform(rng));
    /* centred on the first four axes; drifted, the centroid also moves 0.8 sd along the
     * next four, which turns it by ~39 degrees (cosine distance 0.22) */
    for (int j = 0; j < DIM; j++)
        dd_buf_printf(b, "%s%.4f", j ? "," : "",
                      dd_rng_normal(rng) + (j < 4 ? 1.0 : 0.0) +
                          (drifted && j >= 4 && j < 8 ? 0.8 : 0));
    dd_buf_putc(b, ']');
}

/* How events_body() labels and stamps its events. */
enum label_mode {
    LABELS_ALL,   /* every event carries its label */
    LABELS_SHARE, /* DEMO_LABEL_SHARE of them do (history: their labels came long ago) */
    LABELS_LATE   /* none does; DEMO_LABEL_SHARE of them get one DEMO_LABEL_DELAY_S later */
};
struct body_opts {
    enum label_mode labels;
    const char *id_prefix; /* NULL: no ids (LABELS_LATE needs them) */
    uint64_t first_seq;
    int64_t ts_from, ts_to; /* ts spread over [from, to); to == 0: stamped on receipt */
    struct demo *d;         /* LABELS_LATE: whose queue the labels join */
};

static void queue_label(struct demo *d, const char *id, int label, int64_t due_ms)
{
    if (d->n_pending == PENDING_MAX)
        return;
    struct pending *p = &d->pending[(d->head + d->n_pending++) % PENDING_MAX];
    p->due_ms = due_ms;
    p->label = label;
    snprintf(p->id, sizeof p->id, "%s", id);
}

static void events_body(struct dd_buf *out, const char *model, const char *version, int drifted,
                        size_t n, struct dd_rng *rng, const struct body_opts *o)
{
    int classifier = !strcmp(model, "demo-classifier");
    int64_t now = dd_now_ms();
    dd_buf_reset(out);
    dd_buf_puts(out, "{\"events\":[");
    for (size_t i = 0; i < n; i++) {
        char id[48] = "";
        if (o->id_prefix)
            snprintf(id, sizeof id, "%s-%llu", o->id_prefix,
                     (unsigned long long)(o->first_seq + i));
        dd_buf_printf(out, "%s{\"version\":", i ? "," : "");
        dd_json_str(out, version);
        if (id[0])
            dd_buf_printf(out, ",\"id\":\"%s\"", id);
        if (o->ts_to)
            dd_buf_printf(out, ",\"ts\":%lld",
                          (long long)(o->ts_from +
                                      (o->ts_to - o->ts_from) * (int64_t)i / (int64_t)(n ? n : 1)));
        dd_buf_putc(out, ',');
        if (classifier) {
            int share = dd_rng_uniform(rng) < DEMO_LABEL_SHARE;
            int inline_label = o->labels == LABELS_ALL || (o->labels == LABELS_SHARE && share);
            int truth = classifier_event(out, drifted, inline_label, rng);
            if (o->labels == LABELS_LATE && share && id[0] && o->d)
                queue_label(o->d, id, truth, now + DEMO_LABEL_DELAY_S * 1000);
        } else {
            embedder_event(out, drifted, rng);
        }
        dd_buf_putc(out, '}');
    }
    dd_buf_puts(out, "]}");
}

void demo_body(struct dd_buf *out, const char *model, const char *version, int drifted, size_t n,
               struct dd_rng *rng)
{
    struct body_opts o = {.labels = LABELS_ALL};
    events_body(out, model, version, drifted, n, rng, &o);
}

/* Parses body and hands it to the writer: as events, or as the version's
 * reference.  0 or the writer's error. */
static int submit(struct app *app, const struct stream *s, const struct dd_buf *body, int reference)
{
    struct dd_batch batch;
    struct dd_parse_error pe;
    struct writer_result res;
    if (dd_parse_events(body->data, body->len, DD_BODY_JSON, &batch, &pe) != 0) {
        dd_error("demo body rejected", "model=%s err=\"%s\"", s->model, pe.message);
        dd_batch_release(&batch);
        return DD_EINVAL;
    }
    if (reference)
        writer_submit_reference(app->mon.writer, s->model, s->version, &batch, &res);
    else
        writer_submit_events(app->mon.writer, s->model, &batch, dd_now_ms(), &res);
    if (!reference && res.rc == 0) /* counted like POST .../events (metrics.h) */
        metrics_count_model_events(s->model, res.ingest.accepted, res.ingest.duplicates);
    dd_batch_release(&batch);
    return res.rc;
}

/* Gives a version without an explicit reference one of undrifted events and
 * prepares its summary (as h_reference_put() does).  1 when it set one. */
static int ensure_reference(struct app *app, const struct stream *s, struct dd_rng *rng,
                            struct dd_buf *body)
{
    struct store_reference ref;
    int exists;
    if (store_r_reference(app->mon.store, s->model, s->version, &ref, &exists) != DD_ENOTFOUND)
        return 0;
    demo_body(body, s->model, s->version, 0, DEMO_REFERENCE, rng);
    if (submit(app, s, body, 1) != 0)
        return 0;
    refcache_prepare_current(app->mon.refcache, s->model, s->version);
    dd_info("demo reference set", "model=%s version=%s events=%d", s->model, s->version,
            DEMO_REFERENCE);
    return 1;
}

/* demo-embedder's window, half its phase (2m by default), unless someone
 * stored settings for it. */
static void ensure_settings(struct demo *d)
{
    struct app *app = d->app;
    char *stored = NULL;
    if (store_r_settings(app->mon.store, "demo-embedder", &stored) != DD_ENOTFOUND) {
        free(stored);
        return;
    }
    struct model_settings ms;
    settings_defaults(&app->mon.defaults, &ms);
    int64_t w = d->phase_s / 2;
    if (w % 60 == 0)
        snprintf(ms.window, sizeof ms.window, "%lldm", (long long)(w / 60));
    else
        snprintf(ms.window, sizeof ms.window, "%llds", (long long)w);
    struct dd_buf json;
    dd_buf_init(&json);
    settings_json(&ms, &json);
    struct writer_result res;
    writer_submit_settings(app->mon.writer, "demo-embedder", json.data, &res);
    dd_buf_release(&json);
}

/* The alert rule DEMO_RULE_ID: demo-embedder's verdict is drift.  No
 * receiver: its alerts are recorded (GET /api/v1/alerts) and sent nowhere.
 * A rule of that id already stored (by an earlier run, or edited by hand)
 * is left as it is. */
static void ensure_rule(struct app *app)
{
    static const char body[] = "{\"id\":\"" DEMO_RULE_ID "\",\"model\":\"demo-embedder\","
                               "\"condition\":\"drift\",\"severity\":\"warning\","
                               "\"labels\":{\"source\":\"demo\"}}";
    struct rule rule;
    char err[256];
    if (rules_parse(body, sizeof body - 1, NULL, &rule, err, sizeof err) != 0) {
        dd_warn("demo rule refused", "err=\"%s\"", err);
        return;
    }
    struct dd_buf stored;
    dd_buf_init(&stored);
    rules_json(&rule, &stored);
    struct store_alerting_op op = {.what = STORE_RULE_ADD,
                                   .id = rule.id,
                                   .body = stored.data,
                                   .now_ms = dd_now_ms(),
                                   .rule_model = rule.model,
                                   .rule_version = rule.version};
    struct writer_result wr;
    writer_submit_alerting(app->mon.writer, &op, &wr);
    if (wr.rc == 0)
        dd_info("demo alert rule", "rule=%s model=demo-embedder condition=drift", rule.id);
    dd_buf_release(&stored);
}

/* demo-embedder drifted at wall time t (ms): the phases alternate every
 * phase_s, the first after the start undrifted, the one before it drifted. */
static int drifted_at(const struct demo *d, int64_t start_ms, int64_t t)
{
    int64_t p = d->phase_s * 1000, k = (t - start_ms) / p;
    if (t < start_ms && (t - start_ms) % p)
        k--; /* floor */
    return (int)(k & 1);
}

/* Evaluates one version as the evaluator would have at time t, over its
 * model's window, and stores the result with that time (no alert changes). */
static void evaluate_at(struct app *app, const struct stream *s, int64_t t)
{
    struct model_settings set;
    if (settings_load(app->mon.store, &app->mon.defaults, s->model, &set) != 0)
        return;
    struct dd_buf json;
    dd_buf_init(&json);
    struct dd_report rep = {0};
    char err[256];
    if (evaluate_version(&app->mon, s->model, s->version, set.window, t, &json, &rep, NULL, err,
                         sizeof err) == 0) {
        struct writer_result wr;
        writer_submit_evaluation_alerts(app->mon.writer, s->model, s->version, set.window, t,
                                        drift_status(&rep), &rep, json.data, NULL, 0, &wr);
    } else {
        dd_warn("demo history evaluation failed", "model=%s version=%s err=\"%s\"", s->model,
                s->version, err);
    }
    dd_report_release(&rep);
    dd_buf_release(&json);
}

/* A fresh demo's history: DEMO_HISTORY_H hours of events (DEMO_HISTORY_EVENTS
 * per version every DEMO_HISTORY_STEP_S, the last batch just before now) and
 * their evaluations at those times, so the drift history and a 24 h
 * sparkline have points from the first second, and every version has a
 * status at once instead of after the first eval_interval. */
static void backfill(struct demo *d)
{
    struct app *app = d->app;
    int64_t t0 = dd_mono_ns(), now = dd_now_ms();
    int64_t spread = d->phase_s / 2 * 1000; /* within demo-embedder's window */
    if (spread > 120000)
        spread = 120000;
    int points = DEMO_HISTORY_H * 3600 / DEMO_HISTORY_STEP_S;
    /* newest first: the minutes before the start (the current window at
     * start) are stored before the older points */
    for (int k = 0; k <= points; k++) {
        int64_t t = now - (int64_t)k * DEMO_HISTORY_STEP_S * 1000;
        size_t n = k == 0 ? DEMO_HISTORY_RECENT : DEMO_HISTORY_EVENTS;
        for (size_t i = 0; i < N_STREAMS; i++) {
            const struct stream *s = &streams[i];
            char prefix[32];
            snprintf(prefix, sizeof prefix, "h%llx-%s-%d", (unsigned long long)d->run, s->version,
                     k);
            struct body_opts o = {
                .labels = LABELS_SHARE, .id_prefix = prefix, .ts_from = t - spread, .ts_to = t};
            int drifted = s->drift == 2 ? drifted_at(d, now, t - 1) : s->drift;
            events_body(&d->body, s->model, s->version, drifted, n, &d->rng, &o);
            submit(app, s, &d->body, 0);
        }
    }
    /* the start's evaluation now (a status at once); the older points one
     * slice a second, after the live traffic (history_slice()) */
    for (size_t i = 0; i < N_STREAMS; i++)
        evaluate_at(app, &streams[i], now);
    d->history_now = now;
    d->history_next = 1;
    d->history_points = points;
    dd_info("demo history", "hours=%d points=%d events_per_version=%d seconds=%.1f", DEMO_HISTORY_H,
            points + 1, points * DEMO_HISTORY_EVENTS + DEMO_HISTORY_RECENT,
            (double)(dd_mono_ns() - t0) / 1e9);
}

/* Evaluates the history's points newest to oldest for at most
 * DEMO_HISTORY_SLICE_MS of this second, so live traffic never waits for the
 * history (evaluations are stored by time: the order does not matter). */
static void history_slice(struct demo *d)
{
    int64_t t0 = dd_mono_ns();
    while (d->history_next && d->history_next <= d->history_points &&
           (dd_mono_ns() - t0) / 1000000 < DEMO_HISTORY_SLICE_MS) {
        int64_t t = d->history_now - (int64_t)d->history_next * DEMO_HISTORY_STEP_S * 1000;
        for (size_t i = 0; i < N_STREAMS; i++)
            evaluate_at(d->app, &streams[i], t);
        if (++d->history_next > d->history_points) {
            dd_info("demo history evaluated", "points=%d", d->history_points + 1);
            d->history_next = 0;
        }
    }
}

/* Sends the labels whose time has come, as POST .../labels would. */
static void send_labels(struct demo *d)
{
    int64_t now = dd_now_ms();
    struct dd_buf b;
    dd_buf_init(&b);
    dd_buf_puts(&b, "{\"labels\":[");
    size_t n = 0;
    while (d->n_pending && d->pending[d->head].due_ms <= now) {
        const struct pending *p = &d->pending[d->head];
        dd_buf_printf(&b, "%s{\"id\":\"%s\",\"label\":\"c%d\"}", n ? "," : "", p->id, p->label);
        n++;
        d->head = (d->head + 1) % PENDING_MAX;
        d->n_pending--;
    }
    dd_buf_puts(&b, "]}");
    if (n) {
        struct dd_labels labels;
        struct dd_parse_error pe;
        if (dd_parse_labels(b.data, b.len, &labels, &pe) == 0) {
            struct writer_result res;
            writer_submit_labels(d->app->mon.writer, "demo-classifier", &labels, &res);
            dd_debug("demo labels", "labels=%zu rc=%s", n, dd_errname(res.rc));
        } else {
            dd_error("demo labels rejected", "err=\"%s\"", pe.message);
        }
        dd_labels_release(&labels);
    }
    dd_buf_release(&b);
}

/* One second of demo traffic (the first call sets references, settings, the
 * alert rule and, on a fresh database, the history); waits what is left of
 * the second. */
static int64_t demo_second(void *arg)
{
    struct demo *d = arg;
    struct app *app = d->app;
    int64_t t0 = dd_mono_ns();
    if (!d->started) {
        int fresh = 0;
        for (size_t i = 0; i < N_STREAMS; i++)
            fresh |= ensure_reference(app, &streams[i], &d->rng, &d->body);
        ensure_settings(d);
        ensure_rule(app);
        if (fresh)
            backfill(d);
        d->started = 1;
        d->start_ns = t0 = dd_mono_ns();
    }
    int drifted_phase = (int)(((t0 - d->start_ns) / 1000000000 / d->phase_s) % 2);
    if (drifted_phase != d->phase)
        dd_info("demo phase", "model=demo-embedder drifted=%s", drifted_phase ? "yes" : "no");
    d->phase = drifted_phase;
    for (size_t i = 0; i < N_STREAMS; i++) {
        const struct stream *s = &streams[i];
        int drifted = s->drift == 2 ? drifted_phase : s->drift;
        char prefix[32];
        snprintf(prefix, sizeof prefix, "%llx-%s", (unsigned long long)d->run, s->version);
        struct body_opts o = {
            .labels = LABELS_LATE, .id_prefix = prefix, .first_seq = d->seq, .d = d};
        events_body(&d->body, s->model, s->version, drifted, DEMO_RATE, &d->rng, &o);
        submit(app, s, &d->body, 0); /* a full queue just skips a second of demo traffic */
    }
    d->seq += DEMO_RATE;
    send_labels(d);
    history_slice(d);
    return 1000 - (dd_mono_ns() - t0) / 1000000;
}

/* Releases a demo whose thread has ended (or never started). */
static void demo_free(void *arg)
{
    struct demo *d = arg;
    dd_buf_release(&d->body);
    free(d);
}

int demo_start(struct app *app, struct demo **out)
{
    struct demo *d = dd_calloc(1, sizeof *d);
    d->app = app;
    d->phase = -1;
    d->run = (uint64_t)dd_now_ms();
    d->phase_s = DEMO_PHASE_S;
    const char *env = getenv("DRIFTD_DEMO_PHASE");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end || v < 2 || v > 86400)
            dd_warn("DRIFTD_DEMO_PHASE ignored: not a number of seconds in [2, 86400]",
                    "value=\"%.40s\"", env);
        else
            d->phase_s = v;
    }
    dd_rng_seed(&d->rng, (uint64_t)dd_now_ms());
    dd_buf_init(&d->body);
    dd_info("demo traffic",
            "models=\"demo-classifier (v1, v2), demo-embedder (v1)\" events_per_s=%d "
            "embedder_phase_s=%lld",
            DEMO_RATE * (int)N_STREAMS, (long long)d->phase_s);
    int rc = periodic_start_owning(&d->thread, demo_second, d, 0, demo_free);
    *out = rc == 0 ? d : NULL;
    return rc;
}

void demo_stop(struct demo *d)
{
    if (d)
        periodic_stop(d->thread); /* and demo_free(d) */
}
