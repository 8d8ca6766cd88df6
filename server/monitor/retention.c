/* retention.c — the retention thread (retention.h). */
#include "server/monitor/retention.h"

#include <stdlib.h>
#include <string.h>

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

/* 1 when the version is still on an automatic reference that is not
 * complete (fewer events than reference_size, none set with PUT):
 * retention would freeze it as it is (store_w_retention() freezes before
 * it deletes) and it would stay incomplete for good, so the version's
 * events wait until it is complete or a reference is set. */
static int auto_reference_incomplete(struct store *st, const char *model, const char *version,
                                     long reference_size)
{
    struct store_reference ref;
    int exists = 0;
    if (store_r_reference(st, model, version, &ref, &exists) != DD_ENOTFOUND || !exists)
        return 0;
    struct store_model_info *ms = NULL;
    size_t n = 0;
    int incomplete = 1; /* unknown count: keep the events, try again next round */
    if (store_r_models(st, model, &ms, &n) == 0 && n == 1)
        for (size_t i = 0; i < ms[0].n_versions; i++)
            if (!strcmp(ms[0].versions[i].name, version))
                incomplete = ms[0].versions[i].events < reference_size;
    store_models_free(ms, n);
    return incomplete;
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
        if (auto_reference_incomplete(env->store, vs[i].model, vs[i].version, ms.reference_size)) {
            dd_debug("retention waits for the automatic reference", "model=%s version=%s",
                     vs[i].model, vs[i].version);
            continue;
        }
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
    int rc = periodic_start_owning(&r->thread, retention_round, r, 0, free);
    *out = rc == 0 ? r : NULL;
    return rc;
}

void retention_stop(struct retention *r)
{
    if (r)
        periodic_stop(r->thread); /* and frees r */
}
