/* retention.c — the retention thread (retention.h). */
#include "server/retention.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/timefmt.h"
#include "server/app.h"
#include "server/settings.h"
#include "server/store.h"
#include "server/writer.h"

struct retention {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t mu;   /* guards stopping */
    pthread_cond_t cv;
    int stopping;
};

static int stopping(struct retention *r)
{
    pthread_mutex_lock(&r->mu);
    int s = r->stopping;
    pthread_mutex_unlock(&r->mu);
    return s;
}

static void round_once(struct retention *r)
{
    struct app *app = r->app;
    int64_t cutoff = dd_now_ms() - app->cfg.retention_ms;
    struct store_version_ref *vs = NULL;
    size_t n = 0, total = 0;
    if (store_r_versions_with_events_before(app->store, cutoff, &vs, &n) != 0)
        return;
    for (size_t i = 0; i < n && !stopping(r); i++) {
        struct model_settings ms;
        if (settings_load(app->store, &app->cfg, vs[i].model, &ms) != 0)
            continue;
        for (;;) {
            struct writer_result res;
            writer_submit_retention(app->writer, vs[i].model, vs[i].version, cutoff,
                                    RETENTION_BATCH, (size_t)ms.reference_size, &res);
            if (res.rc != 0) {
                if (res.rc != DD_EOVERLOAD && res.rc != DD_ESHUTDOWN)
                    dd_warn("retention failed", "model=%s version=%s err=%s", vs[i].model,
                            vs[i].version, dd_errname(res.rc));
                break; /* busy or failing: try again next round */
            }
            total += res.ingest.accepted;
            if (res.ingest.accepted < RETENTION_BATCH || stopping(r))
                break;
        }
    }
    free(vs);
    if (total)
        dd_info("retention", "deleted=%zu older_than_ms=%lld", total, (long long)cutoff);
}

static void *retention_main(void *arg)
{
    struct retention *r = arg;
    for (;;) {
        round_once(r);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ms = r->app->cfg.retention_interval_ms;
        int64_t ns = until.tv_nsec + (ms % 1000) * 1000000;
        until.tv_sec += ms / 1000 + ns / 1000000000;
        until.tv_nsec = ns % 1000000000;
        pthread_mutex_lock(&r->mu);
        while (!r->stopping && pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0)
            ;
        int stop = r->stopping;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            break;
    }
    return NULL;
}

int retention_start(struct app *app, struct retention **out)
{
    struct retention *r = dd_calloc(1, sizeof *r);
    r->app = app;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->thread, NULL, retention_main, r) != 0) {
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
    pthread_mutex_lock(&r->mu);
    r->stopping = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}
