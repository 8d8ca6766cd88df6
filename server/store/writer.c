/* writer.c — bounded queue + group-commit writer thread (writer.h).
 *
 * A job is a tagged union: its kind, and that kind's arguments (struct
 * job); run_job() hands each kind to its store_w_* function, job_weigh()
 * says what it weighs in the queue.
 *
 * A full disk: a write refused for lack of space (DD_EFULL) sets the
 * storage-full flag (readyz, metrics) and logs once; the flag clears when a
 * write succeeds and the disk has room again (store_probe_space()), or, with
 * no writes coming, when the writer's own probe every WRITER_PROBE_MS finds
 * room. */
#include "server/store/writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/thread.h"
#include "base/timefmt.h"

/* One kind per submit function; a job's union member is its kind's. */
enum job_kind {
    JOB_EVENTS,
    JOB_LABELS,
    JOB_REFERENCE,
    JOB_REFERENCE_RANGE,
    JOB_FREEZE_REFERENCE,
    JOB_EVALUATION,
    JOB_ALERTING,
    JOB_SETTINGS,
    JOB_RETENTION,
    JOB_REF_SUMMARY,
    JOB_DELETE,
    JOB_DELIVERY_ATTEMPT
};

struct job {
    enum job_kind kind; /* which member of the union is set */
    const char *model;  /* every kind names its model */
    union {
        struct {
            const struct dd_batch *batch;
            int64_t received_ms;
        } events;
        struct {
            const struct dd_labels *labels;
        } labels;
        struct {
            const char *version;
            const struct dd_batch *batch;
        } reference;
        struct {
            const char *version;
            const struct store_range_sample *sample;
        } reference_range;
        struct {
            const char *version;
            size_t reference_size;
        } freeze;
        struct {
            const char *version, *window, *status, *body;
            int64_t computed_ms;
            const struct dd_report *report;
            const struct store_alert_change *changes; /* the alerts it changed */
            size_t n_changes;
        } evaluation;
        struct {
            const struct store_alerting_op *op;
        } alerting;
        struct {
            const char *body;
        } settings;
        struct {
            const char *version;
            int64_t cutoff_ms;
            size_t limit, reference_size;
        } retention;
        struct {
            const char *version;
            int64_t set_ms;
            const void *summary;
            size_t len;
        } ref_summary;
        struct {
            const struct store_delete *what;
        } delete;
        struct {
            const struct store_delivery_attempt *attempt;
        } delivery;
    };
    /* the queue's */
    size_t n_events, bytes; /* its weight: toward WRITER_GROUP_EVENTS, and max_bytes */
    struct writer_result *res;
    int done; /* guarded by writer.mu */
    struct job *next;
};

struct writer {
    struct store *st;
    struct writer_limits lim;
    pthread_t thread;
    atomic_int full; /* storage full: written by the writer thread, read by any */
    /* writer thread only */
    int64_t full_since_ns, next_probe_ns;
    uint64_t refused_before; /* stats.full_refused when the flag was set */
    /* everything below is guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t work; /* writer waits for jobs; on CLOCK_MONOTONIC */
    pthread_cond_t done; /* submitters wait for their job */
    struct job *head, *tail;
    size_t jobs, bytes;
    int stopping;
    struct writer_stats stats;
};

/* Runs a job inside the open transaction; its result into j->res. */
static int run_job(struct writer *w, struct job *j)
{
    struct writer_result *r = j->res;
    switch (j->kind) {
    case JOB_EVENTS:
        r->rc = store_w_insert_batch(w->st, j->model, j->events.batch, j->events.received_ms,
                                     &r->ingest);
        break;
    case JOB_LABELS:
        r->rc = store_w_apply_labels(w->st, j->model, j->labels.labels, &r->labels.updated,
                                     &r->labels.unknown);
        break;
    case JOB_REFERENCE:
        r->rc = store_w_set_reference_events(w->st, j->model, j->reference.version,
                                             j->reference.batch, &r->reference);
        break;
    case JOB_REFERENCE_RANGE:
        r->rc = store_w_set_reference_range(w->st, j->model, j->reference_range.version,
                                            j->reference_range.sample, &r->reference.kept);
        break;
    case JOB_FREEZE_REFERENCE:
        r->rc =
            store_w_freeze_reference(w->st, j->model, j->freeze.version, j->freeze.reference_size,
                                     &r->freeze.frozen, &r->freeze.kept);
        break;
    case JOB_EVALUATION:
        r->rc = store_w_insert_evaluation_alerts(
            w->st, j->model, j->evaluation.version, j->evaluation.window, j->evaluation.computed_ms,
            j->evaluation.status, j->evaluation.report, j->evaluation.body, j->evaluation.changes,
            j->evaluation.n_changes);
        break;
    case JOB_ALERTING:
        r->rc = store_w_alerting(w->st, j->alerting.op);
        break;
    case JOB_SETTINGS:
        r->rc = store_w_put_settings(w->st, j->model, j->settings.body);
        break;
    case JOB_RETENTION:
        r->rc = store_w_retention(w->st, j->model, j->retention.version, j->retention.cutoff_ms,
                                  j->retention.limit, j->retention.reference_size,
                                  &r->retention.deleted);
        break;
    case JOB_REF_SUMMARY:
        r->rc =
            store_w_put_ref_summary(w->st, j->model, j->ref_summary.version, j->ref_summary.set_ms,
                                    j->ref_summary.summary, j->ref_summary.len);
        break;
    case JOB_DELETE:
        r->rc = store_w_delete(w->st, j->delete.what, &r->deleted);
        break;
    case JOB_DELIVERY_ATTEMPT:
        r->rc = store_w_delivery_attempt(w->st, j->delivery.attempt);
        break;
    }
    /* conflicts and unknown models are answers, not failures of the transaction */
    return r->rc == DD_ECONFLICT || r->rc == DD_ENOTFOUND ? 0 : r->rc;
}

/* A job's weight in the queue: the events it writes (1 for jobs that
 * write no batch) and the memory it holds while queued. */
static void job_weigh(struct job *j)
{
    j->n_events = 1;
    j->bytes = 0;
    switch (j->kind) {
    case JOB_EVENTS:
        j->n_events = j->events.batch->n;
        j->bytes = j->events.batch->arena.used_total + j->events.batch->n * 64;
        break;
    case JOB_LABELS:
        j->n_events = j->labels.labels->n;
        j->bytes = j->labels.labels->arena.used_total;
        break;
    case JOB_REFERENCE:
        j->n_events = j->reference.batch->n;
        j->bytes = j->reference.batch->arena.used_total + j->reference.batch->n * 64;
        break;
    case JOB_REFERENCE_RANGE:
        j->bytes = j->reference_range.sample->n_ids * sizeof *j->reference_range.sample->ids;
        break;
    case JOB_REF_SUMMARY:
        j->bytes = j->ref_summary.len;
        break;
    case JOB_FREEZE_REFERENCE:
    case JOB_EVALUATION:
    case JOB_ALERTING:
    case JOB_SETTINGS:
    case JOB_RETENTION:
    case JOB_DELIVERY_ATTEMPT:
        break;
    case JOB_DELETE: /* a batch is at most STORE_DELETE_BATCH rows: weigh it so */
        j->n_events = j->delete.what->limit ? j->delete.what->limit : STORE_DELETE_BATCH;
        break;
    }
}

/* What a group's commit says about the disk. */
struct outcome {
    int full;      /* a transaction failed for lack of space */
    int wrote;     /* a transaction that changed rows committed */
    char err[300]; /* with full: SQLite's error, for the log */
};

/* Rolls back a failed transaction; the code its jobs are answered. */
static int failed(struct writer *w, int rc, struct outcome *o)
{
    if (rc == DD_EFULL && !o->full) {
        o->full = 1;
        store_w_last_error(w->st, o->err, sizeof o->err);
    }
    store_w_rollback(w->st);
    return rc == DD_EFULL ? DD_EFULL : DD_EIO;
}

/* Answers a job whose transaction was rolled back: rc, and no counts (an
 * attempt may have set some). */
static void refuse(struct job *j, int rc)
{
    *j->res = (struct writer_result){.rc = rc};
}

/* One transaction for the whole group; on failure, one per job.  A full
 * disk refuses the whole group at once (and the rest of the jobs once one
 * of them hits it): retried one by one they would only fail again, slowly. */
static void commit_group(struct writer *w, struct job *group, struct outcome *o)
{
    int rc = store_w_begin(w->st);
    for (struct job *j = group; j && rc == 0; j = j->next)
        rc = run_job(w, j);
    if (rc == 0)
        rc = store_w_commit(w->st);
    if (rc == 0) {
        o->wrote |= store_w_changed(w->st);
        return;
    }
    rc = failed(w, rc, o);
    if (rc == DD_EFULL || !group->next) {
        for (struct job *j = group; j; j = j->next)
            refuse(j, rc);
        return;
    }
    dd_warn("group commit failed, retrying jobs one by one", "err=%s", dd_errname(rc));
    for (struct job *j = group; j; j = j->next) {
        if (o->full) {
            refuse(j, DD_EFULL);
            continue;
        }
        int r = store_w_begin(w->st);
        if (r == 0)
            r = run_job(w, j);
        if (r == 0)
            r = store_w_commit(w->st);
        if (r == 0)
            o->wrote |= store_w_changed(w->st);
        else
            refuse(j, failed(w, r, o));
    }
}

/* Sets or clears the storage-full flag after a group (o) or, with o NULL,
 * when the idle writer's probe is due.  Logs only the changes. */
static void storage_state(struct writer *w, const struct outcome *o)
{
    int64_t now = dd_mono_ns();
    if (o && o->full) {
        if (!atomic_load(&w->full)) {
            dd_error("storage full", "db=\"%s\" err=\"%s\"", store_path(w->st), o->err);
            w->full_since_ns = now;
            pthread_mutex_lock(&w->mu);
            w->refused_before = w->stats.full_refused;
            pthread_mutex_unlock(&w->mu);
            atomic_store(&w->full, 1);
        }
        w->next_probe_ns = now + (int64_t)WRITER_PROBE_MS * 1000000;
        return;
    }
    if (!atomic_load(&w->full) || (!(o && o->wrote) && now < w->next_probe_ns))
        return;
    /* a small write fits in the WAL a failed one has grown, so a write that
     * went through is believed only when the disk has room too */
    int rc = store_probe_space(w->st);
    if (rc == DD_EFULL || (rc != 0 && !(o && o->wrote))) {
        w->next_probe_ns = now + (int64_t)WRITER_PROBE_MS * 1000000;
        return;
    }
    pthread_mutex_lock(&w->mu);
    uint64_t refused = w->stats.full_refused - w->refused_before;
    pthread_mutex_unlock(&w->mu);
    atomic_store(&w->full, 0);
    dd_warn("storage writable again", "db=\"%s\" full_s=%.1f refused=%llu", store_path(w->st),
            (double)(now - w->full_since_ns) / 1e9, (unsigned long long)refused);
}

/* Waits for work; while the disk is full, wakes up for the probe.  Called
 * and returns with mu held. */
static void wait_for_work(struct writer *w)
{
    while (!w->head && !w->stopping) {
        if (!atomic_load(&w->full)) {
            pthread_cond_wait(&w->work, &w->mu);
            continue;
        }
        int64_t due = w->next_probe_ns;
        struct timespec until = {(time_t)(due / 1000000000), (long)(due % 1000000000)};
        if (pthread_cond_timedwait(&w->work, &w->mu, &until) == ETIMEDOUT && !w->head &&
            !w->stopping) {
            pthread_mutex_unlock(&w->mu);
            storage_state(w, NULL);
            pthread_mutex_lock(&w->mu);
        }
    }
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        wait_for_work(w);
        if (!w->head && w->stopping)
            break;
        /* take a group: everything queued, up to WRITER_GROUP_EVENTS events */
        struct job *group = w->head, *last = w->head;
        size_t events = 0, bytes = 0, jobs = 0;
        for (struct job *j = w->head; j; j = j->next) {
            if (jobs && events + j->n_events > WRITER_GROUP_EVENTS)
                break;
            events += j->n_events;
            bytes += j->bytes;
            jobs++;
            last = j;
        }
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&w->mu);

        struct outcome o = {0};
        commit_group(w, group, &o);
        storage_state(w, &o);

        pthread_mutex_lock(&w->mu);
        w->jobs -= jobs;
        w->bytes -= bytes;
        w->stats.commits++;
        for (struct job *j = group; j; j = j->next) {
            struct writer_result *r = j->res;
            if (r->rc == 0 && j->kind == JOB_EVENTS) {
                w->stats.accepted += r->ingest.accepted;
                w->stats.duplicates += r->ingest.duplicates;
            } else if (r->rc == DD_ECONFLICT) {
                w->stats.conflicts++;
            } else if (r->rc != 0 && r->rc != DD_ENOTFOUND) {
                w->stats.failures++;
                if (r->rc == DD_EFULL)
                    w->stats.full_refused++;
            }
            j->done = 1;
        }
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Releases w once no thread runs it (it never started, or was joined). */
static void writer_free(struct writer *w)
{
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->done);
    free(w);
}

int writer_start(struct store *st, const struct writer_limits *lim, struct writer **out)
{
    struct writer *w = dd_calloc(1, sizeof *w);
    w->st = st;
    w->lim.max_jobs = lim && lim->max_jobs ? lim->max_jobs : 256;
    w->lim.max_bytes = lim && lim->max_bytes ? lim->max_bytes : (size_t)512 << 20;
    atomic_init(&w->full, 0);
    pthread_mutex_init(&w->mu, NULL);
    dd_cond_init_monotonic(&w->work);
    pthread_cond_init(&w->done, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        writer_free(w);
        return DD_EIO;
    }
    *out = w;
    return 0;
}

void writer_stop(struct writer *w)
{
    if (!w)
        return;
    dd_thread_stop(w->thread, &w->mu, &w->work, &w->stopping);
    writer_free(w);
}

/* Queues j (its kind and arguments set) and waits until it is answered in
 * out. */
static void submit(struct writer *w, struct job *j, struct writer_result *out)
{
    memset(out, 0, sizeof *out);
    j->res = out;
    job_weigh(j);
    pthread_mutex_lock(&w->mu);
    /* one job always fits, however large: the body limit bounds it */
    if (w->stopping ||
        (w->jobs && (w->jobs >= w->lim.max_jobs || w->bytes + j->bytes > w->lim.max_bytes))) {
        w->stats.overloaded++;
        pthread_mutex_unlock(&w->mu);
        out->rc = w->stopping ? DD_ESHUTDOWN : DD_EOVERLOAD;
        return;
    }
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    w->jobs++;
    w->bytes += j->bytes;
    pthread_cond_signal(&w->work);
    while (!j->done)
        pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

void writer_submit_events(struct writer *w, const char *model, const struct dd_batch *b,
                          int64_t received_ms, struct writer_result *out)
{
    struct job j = {.kind = JOB_EVENTS, .model = model, .events = {b, received_ms}};
    submit(w, &j, out);
}

void writer_submit_labels(struct writer *w, const char *model, const struct dd_labels *l,
                          struct writer_result *out)
{
    struct job j = {.kind = JOB_LABELS, .model = model, .labels = {l}};
    submit(w, &j, out);
}

void writer_submit_reference(struct writer *w, const char *model, const char *version,
                             const struct dd_batch *b, struct writer_result *out)
{
    struct job j = {.kind = JOB_REFERENCE, .model = model, .reference = {version, b}};
    submit(w, &j, out);
}

void writer_submit_reference_range(struct writer *w, const char *model, const char *version,
                                   const struct store_range_sample *r, struct writer_result *out)
{
    struct job j = {.kind = JOB_REFERENCE_RANGE, .model = model, .reference_range = {version, r}};
    submit(w, &j, out);
}

void writer_submit_freeze_reference(struct writer *w, const char *model, const char *version,
                                    size_t reference_size, struct writer_result *out)
{
    struct job j = {
        .kind = JOB_FREEZE_REFERENCE, .model = model, .freeze = {version, reference_size}};
    submit(w, &j, out);
}

void writer_submit_evaluation_alerts(struct writer *w, const char *model, const char *version,
                                     const char *window, int64_t computed_ms, const char *status,
                                     const struct dd_report *rep, const char *body,
                                     const struct store_alert_change *changes, size_t n_changes,
                                     struct writer_result *out)
{
    struct job j = {.kind = JOB_EVALUATION,
                    .model = model,
                    .evaluation = {.version = version,
                                   .window = window,
                                   .status = status,
                                   .body = body,
                                   .computed_ms = computed_ms,
                                   .report = rep,
                                   .changes = changes,
                                   .n_changes = n_changes}};
    submit(w, &j, out);
}

void writer_submit_alerting(struct writer *w, const struct store_alerting_op *op,
                            struct writer_result *out)
{
    struct job j = {.kind = JOB_ALERTING, .model = NULL, .alerting = {op}};
    submit(w, &j, out);
}

void writer_submit_settings(struct writer *w, const char *model, const char *body,
                            struct writer_result *out)
{
    struct job j = {.kind = JOB_SETTINGS, .model = model, .settings = {body}};
    submit(w, &j, out);
}

void writer_submit_retention(struct writer *w, const char *model, const char *version,
                             int64_t cutoff_ms, size_t limit, size_t reference_size,
                             struct writer_result *out)
{
    struct job j = {.kind = JOB_RETENTION,
                    .model = model,
                    .retention = {.version = version,
                                  .cutoff_ms = cutoff_ms,
                                  .limit = limit,
                                  .reference_size = reference_size}};
    submit(w, &j, out);
}

void writer_submit_ref_summary(struct writer *w, const char *model, const char *version,
                               int64_t set_ms, const void *summary, size_t len,
                               struct writer_result *out)
{
    struct job j = {
        .kind = JOB_REF_SUMMARY,
        .model = model,
        .ref_summary = {.version = version, .set_ms = set_ms, .summary = summary, .len = len}};
    submit(w, &j, out);
}

void writer_submit_delete(struct writer *w, const struct store_delete *d, struct writer_result *out)
{
    struct job j = {.kind = JOB_DELETE, .model = d->model, .delete = {d}};
    submit(w, &j, out);
}

void writer_submit_delivery_attempt(struct writer *w, const struct store_delivery_attempt *a,
                                    struct writer_result *out)
{
    struct job j = {.kind = JOB_DELIVERY_ATTEMPT, .model = NULL, .delivery = {a}};
    submit(w, &j, out);
}

void writer_get_stats(struct writer *w, struct writer_stats *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->stats;
    out->queue_jobs = w->jobs;
    out->queue_bytes = w->bytes;
    pthread_mutex_unlock(&w->mu);
    out->storage_full = atomic_load(&w->full);
}

int writer_storage_full(struct writer *w)
{
    return w ? atomic_load(&w->full) : 0;
}
