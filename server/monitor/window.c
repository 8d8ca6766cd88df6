/* window.c — what one evaluation reads (window.h). */
#include "server/monitor/window.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/timefmt.h"

/* How many of the ts[0..n) (a reference's event times) fall in [from, to]. */
static size_t count_in(const int64_t *ts, size_t n, int64_t from, int64_t to)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ts[i] >= from && ts[i] <= to;
    return k;
}

static int64_t *times_of(const struct dd_batch *b)
{
    int64_t *ts = dd_malloc((b->n ? b->n : 1) * sizeof *ts);
    for (size_t i = 0; i < b->n; i++)
        ts[i] = b->events[i].ts_ms;
    return ts;
}

/* The current window never holds an event of the automatic reference.
 * The reference is the version's first R events in (ts, id) order, and the
 * window is read newest first in that same order, so the reference events
 * it read are its oldest: the last k of the batch.  k is counted exactly,
 * ties of ts included (a batch posted without "ts" shares one time): for a
 * time window, the reference events with a time in it (of the window's
 * whole count, not only the sampled ones); for last:N, R - (V - n) of the
 * n events read, V the version's events. */
static int exclude_auto_reference(const struct monitor_env *env, const char *model,
                                  const char *version, const int64_t *ref_ts, size_t n_ref,
                                  struct window_data *d)
{
    struct dd_batch *cur = &d->cur;
    size_t k = 0;
    if (d->window.last_n) {
        struct store_model_info *ms = NULL;
        size_t nm = 0;
        int rc = store_r_models(env->store, model, &ms, &nm);
        if (rc != 0)
            return rc;
        int64_t v = -1;
        for (size_t i = 0; nm && i < ms[0].n_versions; i++)
            if (!strcmp(ms[0].versions[i].name, version))
                v = ms[0].versions[i].events;
        store_models_free(ms, nm);
        if (v >= 0 && (int64_t)n_ref > v - (int64_t)cur->n)
            k = (size_t)((int64_t)n_ref - (v - (int64_t)cur->n));
        if (k > cur->n)
            k = cur->n;
        cur->n -= k;
        d->cur_info.total = cur->n;
    } else {
        k = count_in(ref_ts, n_ref, d->window.from_ms, d->window.to_ms);
        /* a frozen reference's events may be gone from the events (retention):
         * at most the window's events up to the reference's last time are its
         * own (those read, plus all that sampling left unread, which are older) */
        int64_t last = INT64_MIN;
        for (size_t i = 0; i < n_ref; i++)
            if (ref_ts[i] > last)
                last = ref_ts[i];
        size_t upto = d->cur_info.total > cur->n ? d->cur_info.total - cur->n : 0;
        for (size_t i = 0; i < cur->n; i++)
            upto += cur->events[i].ts_ms <= last;
        if (k > upto)
            k = upto;
        if (k > d->cur_info.total)
            k = d->cur_info.total;
        size_t left = d->cur_info.total - k;
        if (cur->n > left)
            cur->n = left;
        d->cur_info.total = left;
        d->cur_info.sampled = left > cur->n;
    }
    d->excluded = k;
    if (k) {
        d->cur_info.from_ms = cur->n ? cur->events[cur->n - 1].ts_ms : -1;
        if (!cur->n)
            d->cur_info.to_ms = -1;
    }
    return 0;
}

static int load(const struct monitor_env *env, const char *model, const char *version,
                const char *window, const struct store_window *period, int64_t now,
                struct window_data *d, char *err, size_t errlen)
{
    struct store *st = env->store;
    memset(d, 0, sizeof *d);
    dd_batch_init(&d->cur);
    d->ref = &d->ref_own;
    if (settings_load(st, &env->defaults, model, &d->settings) != 0) {
        snprintf(err, errlen, "cannot read the settings of '%s'", model);
        return DD_EIO;
    }
    if (period) {
        d->window = *period;
    } else {
        if (!window)
            window = d->settings.window;
        if (settings_parse_window(window, now, &d->window) != 0) {
            snprintf(err, errlen,
                     "window: '%s' is not a window: expected a duration such as 15m, 1h, 24h, "
                     "or last:N",
                     window);
            return DD_EINVAL;
        }
    }
    d->window.max_sample = (size_t)env->defaults.max_sample;
    struct store_reference stored;
    int exists = 0;
    int has_ref = store_r_reference(st, model, version, &stored, &exists) == 0;
    if (!exists) {
        snprintf(err, errlen, "model '%s' has no version '%s'", model, version);
        return DD_ENOTFOUND;
    }
    int rc;
    int64_t *ref_ts = NULL; /* an automatic reference's event times */
    size_t n_auto = 0;
    int is_auto = !has_ref || !strcmp(stored.source, "auto");
    if (has_ref) {
        rc = refcache_get(env->refcache, model, version, stored.set_ms, &d->entry);
        if (rc == 0)
            d->ref = &d->entry->ref;
        n_auto = (size_t)(stored.events > 0 ? stored.events : 0);
        /* a frozen automatic reference: its times, only when the window may reach it */
        if (rc == 0 && is_auto && !d->window.last_n && stored.last_ms >= d->window.from_ms) {
            struct store_window rw = {.reference = 1};
            struct store_window_info ri;
            struct dd_batch frozen;
            if ((rc = store_r_events(st, model, version, &rw, &frozen, &ri)) == 0) {
                ref_ts = times_of(&frozen);
                n_auto = frozen.n;
                dd_batch_release(&frozen);
            }
        }
    } else {
        struct store_window rw = {.first_n = (size_t)d->settings.reference_size};
        struct store_window_info ri;
        struct dd_batch first;
        rc = store_r_events(st, model, version, &rw, &first, &ri);
        if (rc == 0) {
            reference_prepare(&first, 0, &d->ref_own);
            ref_ts = times_of(&first);
            n_auto = first.n;
            dd_batch_release(&first);
        }
    }
    if (rc == 0)
        rc = store_r_events(st, model, version, &d->window, &d->cur, &d->cur_info);
    if (rc == 0 && is_auto && (ref_ts || d->window.last_n))
        rc = exclude_auto_reference(env, model, version, ref_ts, n_auto, d);
    free(ref_ts);
    if (rc != 0) {
        snprintf(err, errlen,
                 rc == DD_ENOTFOUND ? "model '%s' has no version '%s'"
                                    : "cannot read events of '%s' version '%s'",
                 model, version);
        window_data_release(env, d);
    }
    return rc;
}

int window_load(const struct monitor_env *env, const char *model, const char *version,
                const char *window, int64_t now, struct window_data *d, char *err, size_t errlen)
{
    return load(env, model, version, window, NULL, now, d, err, errlen);
}

int window_load_period(const struct monitor_env *env, const char *model, const char *version,
                       int64_t from_ms, int64_t to_ms, int64_t now_ms, struct window_data *d,
                       char *err, size_t errlen)
{
    /* the store's windows are inclusive: from <= ts <= to - 1 */
    struct store_window w = {.from_ms = from_ms, .to_ms = to_ms - 1};
    return load(env, model, version, NULL, &w, now_ms, d, err, errlen);
}

void window_data_release(const struct monitor_env *env, struct window_data *d)
{
    refcache_put(env->refcache, d->entry);
    d->entry = NULL;
    reference_release(&d->ref_own);
    dd_batch_release(&d->cur);
}
