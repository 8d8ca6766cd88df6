/* window.h — what one evaluation reads: a version's settings, its reference
 * and its current window of events.
 *
 * window_load() is shared by the drift report, the distributions and the
 * scheduled rounds (evaluator.h).  A stored reference comes prepared from the
 * refcache; an automatic one that is not complete yet is prepared from its
 * events on every load.  Any thread (reader connections only).
 *
 * The current window never holds an event of the automatic reference (the
 * version's first reference_size events, frozen or not): they are taken
 * out, counted exactly (ties of ts included), and `excluded` says how many.
 * Until a version has more events than its automatic reference, its window
 * is empty (insufficient_data): a version is never compared with itself.
 * A reference set with PUT (events or a range) is the user's choice and
 * is not taken out.
 */
#ifndef DD_WINDOW_H
#define DD_WINDOW_H
#include <stddef.h>
#include <stdint.h>

#include "ingest/event.h"
#include "server/monitor/monitor.h"
#include "server/monitor/refcache.h"
#include "server/monitor/settings.h"
#include "server/store/store.h"

/* What an evaluation reads: the model's settings, the reference and the
 * current window (capped at max_sample, the most recent). */
struct window_data {
    struct model_settings settings;
    struct store_window window;
    const struct ref_prepared *ref; /* the cached reference, or ref_own */
    struct ref_prepared ref_own;    /* an automatic reference not yet frozen */
    struct dd_batch cur;
    struct refcache_entry *entry;      /* borrowed from env's refcache */
    struct store_window_info cur_info; /* of the window as evaluated (after exclusion) */
    size_t excluded;                   /* events of the automatic reference taken out */
};
/* Loads d for one version over `window` (NULL: the model's setting): a
 * stored reference comes from env's refcache (summarised once), an
 * automatic one that is not complete yet is prepared from its events.  Errors as
 * evaluate_version(); on success release with window_data_release(). */
int window_load(const struct monitor_env *env, const char *model, const char *version,
                const char *window, int64_t now_ms, struct window_data *d, char *err,
                size_t errlen);
/* The same over an arbitrary past period, from_ms <= ts < to_ms (GET
 * .../drift?from&to), instead of a window relative to now. */
int window_load_period(const struct monitor_env *env, const char *model, const char *version,
                       int64_t from_ms, int64_t to_ms, int64_t now_ms, struct window_data *d,
                       char *err, size_t errlen);
void window_data_release(const struct monitor_env *env, struct window_data *d);

#endif
