/* window.c — what one evaluation reads (window.h). */
#include "server/monitor/window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/timefmt.h"

int window_load(const struct monitor_env *env, const char *model, const char *version,
                const char *window, int64_t now, struct window_data *d, char *err, size_t errlen)
{
    struct store *st = env->store;
    memset(d, 0, sizeof *d);
    dd_batch_init(&d->cur);
    d->ref = &d->ref_own;
    if (settings_load(st, &env->defaults, model, &d->settings) != 0) {
        snprintf(err, errlen, "cannot read the settings of '%s'", model);
        return DD_EIO;
    }
    if (!window)
        window = d->settings.window;
    if (settings_parse_window(window, now, &d->window) != 0) {
        snprintf(err, errlen, "window: must be a duration such as 15m, 1h, 24h, or last:N");
        return DD_EINVAL;
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
    if (has_ref) {
        rc = refcache_get(env->refcache, model, version, stored.set_ms, &d->entry);
        if (rc == 0)
            d->ref = &d->entry->ref;
    } else {
        struct store_window rw = {.first_n = (size_t)d->settings.reference_size};
        struct store_window_info ri;
        struct dd_batch first;
        rc = store_r_events(st, model, version, &rw, &first, &ri);
        if (rc == 0) {
            reference_prepare(&first, 0, &d->ref_own);
            dd_batch_release(&first);
        }
    }
    if (rc == 0)
        rc = store_r_events(st, model, version, &d->window, &d->cur, &d->cur_info);
    if (rc != 0) {
        snprintf(err, errlen,
                 rc == DD_ENOTFOUND ? "model '%s' has no version '%s'"
                                    : "cannot read events of '%s' version '%s'",
                 model, version);
        window_data_release(env, d);
    }
    return rc;
}

void window_data_release(const struct monitor_env *env, struct window_data *d)
{
    refcache_put(env->refcache, d->entry);
    d->entry = NULL;
    reference_release(&d->ref_own);
    dd_batch_release(&d->cur);
}
