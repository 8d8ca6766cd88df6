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
#include "base/timefmt.h"
#include "server/store/store.h"
#include "server/store/writer.h"

/* References of fewer events get no calibration (2 × the smallest pair
 * size, analysis/calibrate.h): their summaries are complete without one. */
#define REFCACHE_CALIBRATE_MIN 40

struct refcache {
    struct store *st;
    struct writer *w;
    pthread_mutex_t mu; /* guards everything below */
    struct refcache_entry *entries[REFCACHE_MAX];
    int n;
    uint64_t clock;
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
    for (int i = 0; i < c->n; i++)
        entry_free(c->entries[i]);
    pthread_mutex_destroy(&c->mu);
    free(c);
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
    reference_calibrate(&e->ref, &events);
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
            e->ref.n_events, e->ref.has_pca ? "yes" : "no", e->ref.calibration ? "yes" : "no", how,
            (double)(dd_mono_ns() - t0) / 1e6);
    e->borrowers = 1;

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
