/* refcache.c — the prepared-reference cache (refcache.h). */
#include "server/monitor/refcache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/periodic.h"
#include "base/timefmt.h"
#include "server/monitor/settings.h"
#include "server/store/store.h"
#include "server/store/writer.h"

/* References of fewer events get no calibration (2 × the smallest pair
 * size, analysis/calibrate.h): their summaries are complete without one. */
#define REFCACHE_CALIBRATE_MIN DD_CALIB_MIN_EVENTS
/* The calibrator looks at its queue this often when it is empty. */
#define CALIBRATOR_IDLE_MS 100

/* A reference to calibrate in the background, due at due_ms (monotonic). */
struct calib_job {
    char model[DD_NAME_MAX + 1], version[DD_NAME_MAX + 1];
    int64_t set_ms, due_ms;
    int again; /* calibrated already, but under other declared types */
};

struct refcache {
    struct store *st;
    struct writer *w;
    struct periodic *calibrator; /* NULL: calibrate while preparing */
    int64_t calib_delay_ms;
    const struct monitor_defaults *defaults; /* the calibrator's, for models' declared types */
    pthread_mutex_t mu;                      /* guards everything below */
    struct refcache_entry *entries[REFCACHE_MAX];
    int n;
    uint64_t clock;
    struct calib_job *jobs; /* the calibrator's queue, oldest first */
    size_t n_jobs, cap_jobs;
};

struct refcache *refcache_new(struct store *st, struct writer *w)
{
    struct refcache *c = dd_calloc(1, sizeof *c);
    c->st = st;
    c->w = w;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

static void entry_free(struct refcache_entry *e)
{
    reference_release(&e->ref);
    free(e);
}

void refcache_free(struct refcache *c)
{
    if (!c)
        return;
    periodic_stop(c->calibrator); /* a calibration in progress is stored first */
    free(c->jobs);
    for (int i = 0; i < c->n; i++)
        entry_free(c->entries[i]);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* Queues the calibration of (model, version, set_ms) unless it is queued. */
static void calib_enqueue(struct refcache *c, const char *model, const char *version,
                          int64_t set_ms, int again)
{
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n_jobs; i++)
        if (c->jobs[i].set_ms == set_ms && !strcmp(c->jobs[i].model, model) &&
            !strcmp(c->jobs[i].version, version)) {
            pthread_mutex_unlock(&c->mu);
            return;
        }
    if (c->n_jobs == c->cap_jobs) {
        c->cap_jobs = c->cap_jobs ? 2 * c->cap_jobs : 8;
        c->jobs = dd_realloc(c->jobs, dd_mul(c->cap_jobs, sizeof *c->jobs));
    }
    struct calib_job *j = &c->jobs[c->n_jobs++];
    snprintf(j->model, sizeof j->model, "%s", model);
    snprintf(j->version, sizeof j->version, "%s", version);
    j->set_ms = set_ms;
    j->again = again;
    j->due_ms = dd_mono_ns() / 1000000 + c->calib_delay_ms;
    pthread_mutex_unlock(&c->mu);
}

/* Decodes the stored summary of e's reference, or reads its events,
 * prepares it and stores the summary.  "loaded", "computed", or NULL with
 * *rc set. */
static const char *prepare(struct refcache *c, struct refcache_entry *e, int *rc)
{
    char *blob = NULL;
    size_t len = 0;
    if (store_r_ref_summary(c->st, e->model, e->version, e->set_ms, &blob, &len) == 0) {
        int ok = reference_decode(blob, len, &e->ref) == 0;
        free(blob);
        if (ok && (e->ref.calibration || e->ref.n_events < REFCACHE_CALIBRATE_MIN))
            return "loaded";
        if (ok && c->calibrator) { /* its calibration is due (again, after a restart) */
            e->ref.calibrating = 1;
            return "loaded";
        }
        if (ok) { /* a summary from before #14: calibrate it once, store it again */
            reference_release(&e->ref);
            dd_info("stored reference summary has no calibration, preparing again",
                    "model=%s version=%s", e->model, e->version);
        } else {
            dd_warn("stored reference summary unreadable, preparing again", "model=%s version=%s",
                    e->model, e->version);
        }
    }
    struct store_window w = {.reference = 1};
    struct store_window_info info;
    struct dd_batch events;
    *rc = store_r_events(c->st, e->model, e->version, &w, &events, &info);
    if (*rc != 0)
        return NULL;
    reference_prepare(&events, 1, &e->ref);
    if (!c->calibrator)
        reference_calibrate(&e->ref, &events, NULL);
    else if (events.n >= REFCACHE_CALIBRATE_MIN)
        e->ref.calibrating = 1; /* the calibrator's job (refcache_get() queues it) */
    dd_batch_release(&events);
    struct dd_buf enc;
    dd_buf_init(&enc);
    reference_encode(&e->ref, &enc);
    struct writer_result wr;
    writer_submit_ref_summary(c->w, e->model, e->version, e->set_ms, enc.data, enc.len, &wr);
    if (wr.rc != 0) /* still usable; the next start prepares it again */
        dd_warn("cannot store the reference summary", "model=%s version=%s err=%s", e->model,
                e->version, dd_errname(wr.rc));
    dd_buf_release(&enc);
    return "computed";
}

int refcache_get(struct refcache *c, const char *model, const char *version, int64_t set_ms,
                 struct refcache_entry **out)
{
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < c->n; i++) {
        struct refcache_entry *e = c->entries[i];
        if (!e->stale && e->set_ms == set_ms && !strcmp(e->model, model) &&
            !strcmp(e->version, version)) {
            e->borrowers++;
            e->last_used = ++c->clock;
            pthread_mutex_unlock(&c->mu);
            *out = e;
            return 0;
        }
    }
    pthread_mutex_unlock(&c->mu);

    /* not cached: prepare outside the lock (two threads may both do it once) */
    struct refcache_entry *e = dd_calloc(1, sizeof *e);
    snprintf(e->model, sizeof e->model, "%s", model);
    snprintf(e->version, sizeof e->version, "%s", version);
    e->set_ms = set_ms;
    int64_t t0 = dd_mono_ns();
    int rc = 0;
    const char *how = prepare(c, e, &rc);
    if (!how) {
        free(e);
        return rc;
    }
    dd_info("reference prepared",
            "model=%s version=%s events=%zu pca=%s calibrated=%s how=%s ms=%.1f", model, version,
            e->ref.n_events, e->ref.has_pca ? "yes" : "no",
            e->ref.calibration   ? "yes"
            : e->ref.calibrating ? "pending"
                                 : "no",
            how, (double)(dd_mono_ns() - t0) / 1e6);
    e->borrowers = 1;
    if (e->ref.calibrating && c->calibrator)
        calib_enqueue(c, model, version, set_ms, 0);

    pthread_mutex_lock(&c->mu);
    e->last_used = ++c->clock;
    /* an older reference of the same version is replaced */
    for (int i = 0; i < c->n; i++) {
        struct refcache_entry *o = c->entries[i];
        if (!strcmp(o->model, model) && !strcmp(o->version, version))
            o->stale = 1;
    }
    /* drop stale or least recently used entries nobody borrows */
    for (int i = 0; i < c->n;) {
        struct refcache_entry *o = c->entries[i];
        if (o->stale && !o->borrowers) {
            entry_free(o);
            c->entries[i] = c->entries[--c->n];
        } else {
            i++;
        }
    }
    if (c->n == REFCACHE_MAX) {
        int lru = -1;
        for (int i = 0; i < c->n; i++)
            if (!c->entries[i]->borrowers &&
                (lru < 0 || c->entries[i]->last_used < c->entries[lru]->last_used))
                lru = i;
        if (lru >= 0) {
            entry_free(c->entries[lru]);
            c->entries[lru] = c->entries[--c->n];
        }
    }
    if (c->n < REFCACHE_MAX)
        c->entries[c->n++] = e;
    else
        e->stale = 1; /* every slot is borrowed: this one lives until put */
    pthread_mutex_unlock(&c->mu);
    *out = e;
    return 0;
}

void refcache_put(struct refcache *c, struct refcache_entry *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&c->mu);
    e->borrowers--;
    int in_table = 0;
    for (int i = 0; i < c->n; i++)
        in_table |= c->entries[i] == e;
    int drop = !in_table && e->borrowers == 0;
    pthread_mutex_unlock(&c->mu);
    if (drop)
        entry_free(e);
}

void refcache_prepare_current(struct refcache *c, const char *model, const char *version)
{
    struct store_reference stored;
    int exists;
    struct refcache_entry *entry;
    if (store_r_reference(c->st, model, version, &stored, &exists) == 0 &&
        refcache_get(c, model, version, stored.set_ms, &entry) == 0)
        refcache_put(c, entry);
}

/* ---- the calibrator ------------------------------------------------------- */

/* 1 when (model, version)'s current reference is still the one set at set_ms. */
static int still_current(struct refcache *c, const struct calib_job *j)
{
    struct store_reference stored;
    int exists;
    return store_r_reference(c->st, j->model, j->version, &stored, &exists) == 0 &&
           stored.set_ms == j->set_ms;
}

/* Gives back the job's entry; one that stays in the table may be queued
 * again (refcache_recalibrate()). */
static void job_done(struct refcache *c, struct refcache_entry *e)
{
    pthread_mutex_lock(&c->mu);
    e->recalibrating = 0;
    pthread_mutex_unlock(&c->mu);
    refcache_put(c, e);
}

void refcache_recalibrate(struct refcache *c, struct refcache_entry *e)
{
    pthread_mutex_lock(&c->mu);
    int queue = c->calibrator && !e->recalibrating && !e->stale && !e->ref.calibrating;
    e->recalibrating |= queue;
    pthread_mutex_unlock(&c->mu);
    if (queue)
        calib_enqueue(c, e->model, e->version, e->set_ms, 1);
}

/* Calibrates the job's reference, stores its summary again (now with the
 * calibration) and puts the calibrated entry in the table in place of the
 * pending one; borrowers of that one keep it until they put it. */
static void calibrate_job(struct refcache *c, const struct calib_job *j)
{
    if (!still_current(c, j)) /* replaced or deleted since: nothing to do */
        return;
    struct refcache_entry *e;
    if (refcache_get(c, j->model, j->version, j->set_ms, &e) != 0)
        return;
    if (!e->ref.calibrating && !j->again) { /* calibrated meanwhile (an older job) */
        job_done(c, e);
        return;
    }
    int64_t t0 = dd_mono_ns();
    struct store_window w = {.reference = 1};
    struct store_window_info info;
    struct dd_batch events;
    if (store_r_events(c->st, j->model, j->version, &w, &events, &info) != 0) {
        job_done(c, e);
        return;
    }
    if (!still_current(c, j) || events.n != e->ref.n_events) { /* read another reference */
        dd_batch_release(&events);
        job_done(c, e);
        return;
    }
    /* the borrowed summary with a calibration: a shallow copy, e stays as it is */
    struct ref_prepared r = e->ref;
    r.calibration = NULL;
    r.calibrating = 0;
    struct model_settings *ms = dd_malloc(sizeof *ms); /* the declared types as of now */
    int typed = c->defaults && settings_load(c->st, c->defaults, j->model, ms) == 0;
    reference_calibrate(&r, &events, typed ? ms : NULL);
    free(ms);
    dd_batch_release(&events);
    struct dd_buf enc;
    dd_buf_init(&enc);
    reference_encode(&r, &enc);
    int calibrated = r.calibration != NULL;
    dd_calibration_free(r.calibration);
    struct writer_result wr;
    writer_submit_ref_summary(c->w, j->model, j->version, j->set_ms, enc.data, enc.len, &wr);
    if (wr.rc != 0) /* the entry below still has it; the next start calibrates again */
        dd_warn("cannot store the reference summary", "model=%s version=%s err=%s", j->model,
                j->version, dd_errname(wr.rc));
    struct refcache_entry *ne = dd_calloc(1, sizeof *ne);
    memcpy(ne->model, e->model, sizeof ne->model);
    memcpy(ne->version, e->version, sizeof ne->version);
    ne->set_ms = e->set_ms;
    if (reference_decode(enc.data, enc.len, &ne->ref) != 0) { /* cannot happen: our own bytes */
        free(ne);
        ne = NULL;
    }
    dd_buf_release(&enc);
    dd_info("reference calibrated", "model=%s version=%s events=%zu calibrated=%s ms=%.1f",
            j->model, j->version, e->ref.n_events, calibrated ? "yes" : "no",
            (double)(dd_mono_ns() - t0) / 1e6);
    pthread_mutex_lock(&c->mu);
    int i = 0;
    while (ne && i < c->n && c->entries[i] != e)
        i++;
    if (ne && i < c->n && !e->stale) {
        ne->last_used = e->last_used;
        e->stale = 1;
        c->entries[i] = ne; /* e leaves the table: its last put frees it */
        ne = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    if (ne)
        entry_free(ne); /* e was replaced or evicted meanwhile: the store has it */
    job_done(c, e);
}

static int64_t calibrator_round(void *arg)
{
    struct refcache *c = arg;
    int64_t now = dd_mono_ns() / 1000000, wait = CALIBRATOR_IDLE_MS;
    struct calib_job job;
    int found = 0;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n_jobs; i++) {
        if (c->jobs[i].due_ms <= now) {
            job = c->jobs[i];
            memmove(&c->jobs[i], &c->jobs[i + 1], (c->n_jobs - i - 1) * sizeof *c->jobs);
            c->n_jobs--;
            found = 1;
            break;
        }
        if (c->jobs[i].due_ms - now < wait)
            wait = c->jobs[i].due_ms - now;
    }
    pthread_mutex_unlock(&c->mu);
    if (!found)
        return wait;
    calibrate_job(c, &job);
    return 0;
}

int refcache_start_calibrator(struct refcache *c, int64_t delay_ms,
                              const struct monitor_defaults *defaults)
{
    c->calib_delay_ms = delay_ms > 0 ? delay_ms : 0;
    c->defaults = defaults;
    return periodic_start(&c->calibrator, calibrator_round, c, 0);
}
