/* retention.c — the retention thread (retention.h). */
#include "server/monitor/retention.h"

#include <stdlib.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/timefmt.h"
#include "server/monitor/monitor.h"
#include "base/periodic.h"
#include "server/monitor/settings.h"
#include "server/store/store.h"
#include "server/store/writer.h"

struct retention {
    const struct monitor_env *env;
    struct periodic *thread;
};

static int stopping(struct retention *r)
{
    return periodic_stopping(r->thread);
}

static void round_once(struct retention *r)
{
    const struct monitor_env *env = r->env;
    int64_t cutoff = dd_now_ms() - env->retention_ms;
    struct store_version_ref *vs = NULL;
    size_t n = 0, total = 0;
    if (store_r_versions_with_events_before(env->store, cutoff, &vs, &n) != 0)
        return;
    for (size_t i = 0; i < n && !stopping(r); i++) {
        struct model_settings ms;
        if (settings_load(env->store, &env->defaults, vs[i].model, &ms) != 0)
            continue;
        for (;;) {
            struct writer_result res;
            writer_submit_retention(env->writer, vs[i].model, vs[i].version, cutoff,
                                    RETENTION_BATCH, (size_t)ms.reference_size, &res);
            if (res.rc != 0) {
                if (res.rc != DD_EOVERLOAD && res.rc != DD_ESHUTDOWN)
                    dd_warn("retention failed", "model=%s version=%s err=%s", vs[i].model,
                            vs[i].version, dd_errname(res.rc));
                break; /* busy or failing: try again next round */
            }
            total += res.retention.deleted;
            if (res.retention.deleted < RETENTION_BATCH || stopping(r))
                break;
        }
    }
    free(vs);
    if (total)
        dd_info("retention", "deleted=%zu older_than_ms=%lld", total, (long long)cutoff);
}

static int64_t retention_round(void *arg)
{
    struct retention *r = arg;
    round_once(r);
    return r->env->retention_interval_ms;
}

int retention_start(const struct monitor_env *env, struct retention **out)
{
    struct retention *r = dd_calloc(1, sizeof *r);
    r->env = env;
    if (periodic_start(&r->thread, retention_round, r, 0) != 0) {
        free(r);
        return DD_EIO;
    }
    *out = r;
    return 0;
}

void retention_stop(struct retention *r)
{
    if (!r)
        return;
    periodic_stop(r->thread);
    free(r);
}
