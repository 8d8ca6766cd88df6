/* Tests server/monitor/retention.c: one round of the retention thread's job
 * (retention_round(), static: the .c is included) against a temporary store
 * and writer deletes every version's events older than retention_ms in
 * batches, keeps newer ones, keeps references (an automatic one is frozen
 * first, with the model's reference_size) and leaves the store's counters
 * right. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/periodic.h"
#include "base/timefmt.h"
#include "ingest/parse.h"
#include "server/monitor/monitor.h"
#include "server/store/store.h"
#include "server/store/writer.h"
#include "check.h"
#include "server/fixture.h"

#include "server/monitor/retention.c"

#define DAY_MS 86400000LL

struct fixture {
    struct tmp_store db; /* with a writer; env's store and writer */
    struct monitor_env env;
    struct retention r;
    int64_t now;
};

/* periodic_stopping() needs a thread: one that waits and does nothing. */
static int64_t idle(void *arg)
{
    (void)arg;
    return 3600000;
}

static void fixture_open(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    tmp_store_open(&f->db, "retention", 1);
    f->env.store = f->db.st;
    f->env.writer = f->db.w;
    fixture_defaults(&f->env.defaults);
    f->env.defaults.reference_size = 100;
    f->env.retention_ms = DAY_MS;
    f->env.retention_interval_ms = 600000;
    f->r.env = &f->env;
    CHECK_EQ_INT(periodic_start(&f->r.thread, idle, NULL, 0), 0);
    f->now = dd_now_ms();
}

static void fixture_close(struct fixture *f)
{
    periodic_stop(f->r.thread);
    tmp_store_close(&f->db);
}

/* the case's fixture, opened before its body and closed after it */
static struct fixture fx;
#define FIXTURE_TEST(name) TEST_AROUND(name, fixture_open(&fx), fixture_close(&fx))

/* n events of model/version at ts0, ts0 + step, ... */
static void ingest(struct fixture *f, const char *model, const char *version, int n, int64_t ts0,
                   int64_t step)
{
    struct dd_buf s;
    dd_buf_init(&s);
    for (int i = 0; i < n; i++)
        dd_buf_printf(&s, "{\"version\":\"%s\",\"ts\":%lld,\"confidence\":%.3f}\n", version,
                      (long long)(ts0 + i * step), (double)(i % 100) / 100);
    struct dd_batch b;
    struct dd_parse_error pe;
    CHECK_EQ_INT(dd_parse_events(s.data, s.len, DD_BODY_NDJSON, &b, &pe), 0);
    struct writer_result res;
    writer_submit_events(f->env.writer, model, &b, f->now, &res);
    CHECK_EQ_INT(res.rc, 0);
    CHECK_EQ_INT(res.ingest.accepted, n);
    dd_batch_release(&b);
    dd_buf_release(&s);
}

static const struct store_version_info *version_of(const struct store_model_info *ms, size_t n,
                                                   const char *model, const char *version)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ms[i].name, model))
            for (size_t j = 0; j < ms[i].n_versions; j++)
                if (!strcmp(ms[i].versions[j].name, version))
                    return &ms[i].versions[j];
    return NULL;
}

/* The store's counters for one version: events, first and last ts. */
static void check_version(struct fixture *f, const char *model, const char *version, int64_t events,
                          int64_t first_ms, int64_t last_ms)
{
    struct store_model_info *ms = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_r_models(f->env.store, NULL, &ms, &n), 0);
    const struct store_version_info *v = version_of(ms, n, model, version);
    CHECK(v != NULL);
    if (v) {
        CHECK_EQ_INT(v->events, events);
        CHECK_EQ_INT(v->first_ms, first_ms);
        CHECK_EQ_INT(v->last_ms, last_ms);
    }
    store_models_free(ms, n);
    /* and what a window reads agrees with the counters */
    struct store_window all = {.from_ms = 0, .to_ms = INT64_MAX / 2};
    struct store_window_info wi;
    struct dd_batch b;
    CHECK_EQ_INT(store_r_events(f->env.store, model, version, &all, &b, &wi), 0);
    CHECK_EQ_INT(b.n, events);
    dd_batch_release(&b);
}

static int64_t total_events(struct fixture *f)
{
    int64_t n = -1;
    CHECK_EQ_INT(store_r_event_count(f->env.store, &n), 0);
    return n;
}

/* The events the store counts for one model (-1 if it has no such model). */
static int64_t model_events(struct fixture *f, const char *model)
{
    struct store_model_info *ms = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_r_models(f->env.store, model, &ms, &n), 0);
    CHECK_EQ_INT(n, 1);
    int64_t events = n == 1 ? ms[0].events : -1;
    store_models_free(ms, n);
    return events;
}

/* PUT .../reference with the events of an NDJSON body, through the writer. */
static void put_reference(struct fixture *f, const char *model, const char *version,
                          const char *ndjson)
{
    struct dd_batch b;
    struct dd_parse_error pe;
    /* early_ts: the reference's times are small numbers of milliseconds */
    CHECK_EQ_INT(dd_parse_events_with(ndjson, strlen(ndjson), DD_BODY_NDJSON,
                                      &(struct dd_parse_options){.early_ts = 1}, &b, &pe),
                 0);
    struct writer_result res;
    writer_submit_reference(f->env.writer, model, version, &b, &res);
    CHECK_EQ_INT(res.rc, 0);
    dd_batch_release(&b);
}

static void check_reference(struct fixture *f, const char *model, const char *version,
                            const char *source, int64_t events, int64_t first_ms)
{
    struct store_reference ref;
    int exists = 0;
    CHECK_EQ_INT(store_r_reference(f->env.store, model, version, &ref, &exists), 0);
    CHECK_EQ_STR(ref.source, source);
    CHECK_EQ_INT(ref.events, events);
    struct store_window w = {.reference = 1};
    struct store_window_info wi;
    struct dd_batch b;
    CHECK_EQ_INT(store_r_events(f->env.store, model, version, &w, &b, &wi), 0);
    CHECK_EQ_INT(b.n, events);
    if (b.n)
        CHECK_EQ_INT(b.events[0].ts_ms, first_ms);
    dd_batch_release(&b);
}

/* The version exists and has no reference frozen yet. */
static void check_no_reference(struct fixture *f, const char *model, const char *version)
{
    struct store_reference ref;
    int exists = 0;
    CHECK_EQ_INT(store_r_reference(f->env.store, model, version, &ref, &exists), DD_ENOTFOUND);
    CHECK_EQ_INT(exists, 1);
}

/* Old events go in RETENTION_BATCH steps, new ones stay; the automatic
 * reference is frozen first (the oldest reference_size events); counters
 * and the total follow. */
FIXTURE_TEST(deletes_old_keeps_new)
{
    int64_t old0 = fx.now - 3 * DAY_MS, new0 = fx.now - 3600000;
    int n_old = 2 * RETENTION_BATCH + 17;
    ingest(&fx, "m", "a", n_old, old0, 1000);
    ingest(&fx, "m", "a", 10, new0, 1000);
    ingest(&fx, "m", "only-new", 5, new0, 1);
    ingest(&fx, "n", "only-old", 130, old0, 1);
    CHECK_EQ_INT(total_events(&fx), n_old + 10 + 5 + 130);

    CHECK_EQ_INT(retention_round(&fx.r), fx.env.retention_interval_ms);

    check_version(&fx, "m", "a", 10, new0, new0 + 9000);
    check_version(&fx, "m", "only-new", 5, new0, new0 + 4);
    check_version(&fx, "n", "only-old", 0, -1, -1);
    CHECK_EQ_INT(total_events(&fx), 15);
    /* references: the first reference_size events, kept apart from events */
    check_reference(&fx, "m", "a", "auto", 100, old0);
    check_reference(&fx, "n", "only-old", "auto", 100, old0);
    /* a version with nothing old is not touched: no reference frozen */
    check_no_reference(&fx, "m", "only-new");
    CHECK_EQ_INT(model_events(&fx, "m"), 15);

    /* a second round finds nothing to do and changes nothing */
    CHECK_EQ_INT(retention_round(&fx.r), fx.env.retention_interval_ms);
    check_version(&fx, "m", "a", 10, new0, new0 + 9000);
    check_reference(&fx, "m", "a", "auto", 100, old0);
    CHECK_EQ_INT(total_events(&fx), 15);
}

/* The cutoff is retention_ms before now: an event just inside stays. */
FIXTURE_TEST(cutoff)
{
    fx.env.defaults.reference_size = 1; /* complete: retention may freeze it */
    ingest(&fx, "m", "v", 1, fx.now - DAY_MS - 60000, 1);
    ingest(&fx, "m", "v", 1, fx.now - DAY_MS + 60000, 1);
    retention_round(&fx.r);
    check_version(&fx, "m", "v", 1, fx.now - DAY_MS + 60000, fx.now - DAY_MS + 60000);
    /* a shorter retention reaches it */
    fx.env.retention_ms = 30000;
    retention_round(&fx.r);
    check_version(&fx, "m", "v", 0, -1, -1);
    CHECK_EQ_INT(total_events(&fx), 0);
}

/* An explicit reference is never replaced; the model's own reference_size
 * (settings) sizes an automatic one. */
FIXTURE_TEST(references_kept)
{
    int64_t old0 = fx.now - 3 * DAY_MS;
    ingest(&fx, "m", "put", 200, old0, 1);
    put_reference(&fx, "m", "put",
                  "{\"confidence\":0.1,\"ts\":5}\n{\"confidence\":0.2,\"ts\":6}\n"
                  "{\"confidence\":0.3,\"ts\":7}\n");
    struct writer_result res;
    ingest(&fx, "sized", "auto", 200, old0, 1);
    writer_submit_settings(fx.env.writer, "sized", "{\"reference_size\":40}", &res);
    CHECK_EQ_INT(res.rc, 0);

    retention_round(&fx.r);
    check_version(&fx, "m", "put", 0, -1, -1);
    check_reference(&fx, "m", "put", "events", 3, 5);
    check_version(&fx, "sized", "auto", 0, -1, -1);
    check_reference(&fx, "sized", "auto", "auto", 40, old0);
    CHECK_EQ_INT(total_events(&fx), 0);
    /* new events after retention count from zero again */
    ingest(&fx, "sized", "auto", 3, fx.now, 1);
    check_version(&fx, "sized", "auto", 3, fx.now, fx.now + 2);
    check_reference(&fx, "sized", "auto", "auto", 40, old0);
    CHECK_EQ_INT(total_events(&fx), 3);
}

/* An automatic reference that is not complete (80 of 100 events, none set
 * with PUT) is never frozen as it is: the version's events wait, however
 * old, until it is complete; then one round freezes the first 100 and
 * deletes the old rest.  (Before #15 it froze the 80 for good.) */
FIXTURE_TEST(incomplete_auto_reference_waits)
{
    int64_t old0 = fx.now - 3 * DAY_MS;
    ingest(&fx, "m", "young", 80, old0, 1);
    retention_round(&fx.r);
    check_version(&fx, "m", "young", 80, old0, old0 + 79);
    check_no_reference(&fx, "m", "young");
    ingest(&fx, "m", "young", 30, old0 + 1000, 1);
    retention_round(&fx.r);
    check_version(&fx, "m", "young", 0, -1, -1);
    check_reference(&fx, "m", "young", "auto", 100, old0);
}

/* The thread: retention_start() runs a round at once, retention_stop()
 * ends it (NULL-safe). */
FIXTURE_TEST(thread_runs_a_round)
{
    fx.env.defaults.reference_size = 10;
    ingest(&fx, "m", "v", 10, fx.now - 3 * DAY_MS, 1);
    ingest(&fx, "m", "v", 2, fx.now, 1);
    struct retention *r = NULL;
    CHECK_EQ_INT(retention_start(&fx.env, &r), 0);
    for (int i = 0; i < 500 && total_events(&fx) != 2; i++)
        usleep(10000);
    retention_stop(r);
    retention_stop(NULL);
    check_version(&fx, "m", "v", 2, fx.now, fx.now + 1);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(deletes_old_keeps_new);
    RUN(cutoff);
    RUN(references_kept);
    RUN(incomplete_auto_reference_waits);
    RUN(thread_runs_a_round);
    CHECK_DONE();
}
