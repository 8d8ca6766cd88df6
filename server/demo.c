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
#include "server/monitor/refcache.h"
#include "server/monitor/settings.h"
#include "server/store/store.h"
#include "server/store/writer.h"

#define CLASSES 5
#define DIM 16

struct demo {
    struct app *app;
    struct periodic *thread;
    struct dd_rng rng;
    struct dd_buf body;
    int started;
    int64_t start_ns;
    int phase; /* demo-embedder: 1 while drifted, -1 before the first second */
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

static void classifier_event(struct dd_buf *b, int drifted, struct dd_rng *rng)
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
    dd_buf_printf(b,
                  "\"prediction\":\"c%d\",\"label\":\"c%d\",\"confidence\":%.4f,"
                  "\"latency_ms\":%.2f,\"probabilities\":[",
                  pred, truth, conf, 8 + 3 * fabs(dd_rng_normal(rng)) + (drifted ? 4 : 0));
    for (int k = 0; k < CLASSES; k++)
        dd_buf_printf(b, "%s%.4f", k ? "," : "", p[k]);
    dd_buf_printf(b, "],\"features\":{\"age\":%.1f,\"country\":\"%s\"}",
                  40 + 12 * dd_rng_normal(rng) + (drifted ? 7 : 0),
                  country[pick(rng, countries[drifted], 3)]);
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

void demo_body(struct dd_buf *out, const char *model, const char *version, int drifted, size_t n,
               struct dd_rng *rng)
{
    int classifier = !strcmp(model, "demo-classifier");
    dd_buf_reset(out);
    dd_buf_puts(out, "{\"events\":[");
    for (size_t i = 0; i < n; i++) {
        dd_buf_printf(out, "%s{\"version\":", i ? "," : "");
        dd_json_str(out, version);
        dd_buf_putc(out, ',');
        if (classifier)
            classifier_event(out, drifted, rng);
        else
            embedder_event(out, drifted, rng);
        dd_buf_putc(out, '}');
    }
    dd_buf_puts(out, "]}");
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
 * prepares its summary (as h_reference_put() does). */
static void ensure_reference(struct app *app, const struct stream *s, struct dd_rng *rng,
                             struct dd_buf *body)
{
    struct store_reference ref;
    int exists;
    if (store_r_reference(app->mon.store, s->model, s->version, &ref, &exists) != DD_ENOTFOUND)
        return;
    demo_body(body, s->model, s->version, 0, DEMO_REFERENCE, rng);
    if (submit(app, s, body, 1) != 0)
        return;
    refcache_prepare_current(app->mon.refcache, s->model, s->version);
    dd_info("demo reference set", "model=%s version=%s events=%d", s->model, s->version,
            DEMO_REFERENCE);
}

/* demo-embedder's 2-minute window, unless someone stored settings for it. */
static void ensure_settings(struct app *app)
{
    char *stored = NULL;
    if (store_r_settings(app->mon.store, "demo-embedder", &stored) != DD_ENOTFOUND) {
        free(stored);
        return;
    }
    struct model_settings ms;
    settings_defaults(&app->mon.defaults, &ms);
    snprintf(ms.window, sizeof ms.window, "2m");
    struct dd_buf json;
    dd_buf_init(&json);
    settings_json(&ms, &json);
    struct writer_result res;
    writer_submit_settings(app->mon.writer, "demo-embedder", json.data, &res);
    dd_buf_release(&json);
}

/* One second of demo traffic (the first call sets references and
 * settings); waits what is left of the second. */
static int64_t demo_second(void *arg)
{
    struct demo *d = arg;
    struct app *app = d->app;
    int64_t t0 = dd_mono_ns();
    if (!d->started) {
        for (size_t i = 0; i < N_STREAMS; i++)
            ensure_reference(app, &streams[i], &d->rng, &d->body);
        ensure_settings(app);
        d->started = 1;
        d->start_ns = t0 = dd_mono_ns();
    }
    int drifted_phase = (int)(((t0 - d->start_ns) / 1000000000 / DEMO_PHASE_S) % 2);
    if (drifted_phase != d->phase)
        dd_info("demo phase", "model=demo-embedder drifted=%s", drifted_phase ? "yes" : "no");
    d->phase = drifted_phase;
    for (size_t i = 0; i < N_STREAMS; i++) {
        const struct stream *s = &streams[i];
        int drifted = s->drift == 2 ? drifted_phase : s->drift;
        demo_body(&d->body, s->model, s->version, drifted, DEMO_RATE, &d->rng);
        submit(app, s, &d->body, 0); /* a full queue just skips a second of demo traffic */
    }
    return 1000 - (dd_mono_ns() - t0) / 1000000;
}

int demo_start(struct app *app, struct demo **out)
{
    struct demo *d = dd_calloc(1, sizeof *d);
    d->app = app;
    d->phase = -1;
    dd_rng_seed(&d->rng, (uint64_t)dd_now_ms());
    dd_buf_init(&d->body);
    dd_info("demo traffic",
            "models=\"demo-classifier (v1, v2), demo-embedder (v1)\" events_per_s=%d",
            DEMO_RATE * (int)N_STREAMS);
    if (periodic_start(&d->thread, demo_second, d, 0) != 0) {
        dd_buf_release(&d->body);
        free(d);
        return DD_EIO;
    }
    *out = d;
    return 0;
}

void demo_stop(struct demo *d)
{
    if (!d)
        return;
    periodic_stop(d->thread);
    dd_buf_release(&d->body);
    free(d);
}
