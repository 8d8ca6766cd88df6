/* writer.c — bounded queue + group-commit writer thread (writer.h).
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
#include "base/timefmt.h"

enum job_kind { JOB_EVENTS, JOB_LABELS, JOB_REFERENCE, JOB_EVALUATION, JOB_SETTINGS, JOB_RETENTION, JOB_REF_SUMMARY };

struct job {
    enum job_kind kind;
    const char *model;
    const struct dd_batch *batch;
    const struct dd_labels *labels;
    const char *version;           /* JOB_REFERENCE */
    const struct store_range_sample *range; /* JOB_REFERENCE without a batch */
    int64_t from_ms;               /* JOB_RETENTION, JOB_EVALUATION, JOB_REF_SUMMARY */
    const char *window, *status, *body; /* JOB_EVALUATION */
    const struct dd_report *report;
    size_t limit, refsize;         /* JOB_RETENTION */
    int64_t received_ms;
    size_t bytes;
    struct writer_result *res;
    int done;               /* guarded by writer.mu */
    struct job *next;
};

struct writer {
    struct store *st;
    struct writer_limits lim;
    pthread_t thread;
    atomic_int full;        /* storage full: written by the writer thread, read by any */
    /* writer thread only */
    int64_t full_since_ns, next_probe_ns;
    uint64_t refused_before; /* stats.full_refused when the flag was set */
    /* everything below is guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t work;    /* writer waits for jobs; on CLOCK_MONOTONIC */
    pthread_cond_t done;    /* submitters wait for their job */
    struct job *head, *tail;
    size_t jobs, bytes;
    int stopping;
    struct writer_stats stats;
};

static int run_job(struct writer *w, struct job *j)
{
    struct writer_result *r = j->res;
    if (j->kind == JOB_EVENTS) {
        r->rc = store_w_insert_batch(w->st, j->model, j->batch, j->received_ms, &r->ingest);
    } else if (j->kind == JOB_LABELS) {
        r->rc = store_w_apply_labels(w->st, j->model, j->labels, &r->updated, &r->unknown);
    } else if (j->kind == JOB_REF_SUMMARY) {
        r->rc = store_w_put_ref_summary(w->st, j->model, j->version, j->from_ms, j->body, j->limit);
    } else if (j->kind == JOB_RETENTION) {
        r->rc = store_w_retention(w->st, j->model, j->version, j->from_ms, j->limit, j->refsize,
                                  &r->ingest.accepted);
    } else if (j->kind == JOB_SETTINGS) {
        r->rc = store_w_put_settings(w->st, j->model, j->body);
    } else if (j->kind == JOB_EVALUATION) {
        r->rc = store_w_insert_evaluation(w->st, j->model, j->version, j->window, j->from_ms,
                                          j->status, j->report, j->body);
    } else if (j->batch) {
        r->rc = store_w_set_reference_events(w->st, j->model, j->version, j->batch, &r->ingest);
    } else {
        r->rc = store_w_set_reference_range(w->st, j->model, j->version, j->range,
                                            &r->ingest.accepted);
    }
    /* conflicts and unknown models are answers, not failures of the transaction */
    return r->rc == DD_ECONFLICT || r->rc == DD_ENOTFOUND ? 0 : r->rc;
}

/* What a group's commit says about the disk. */
struct outcome {
    int full;        /* a transaction failed for lack of space */
    int wrote;       /* a transaction that changed rows committed */
    char err[300];   /* with full: SQLite's error, for the log */
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
            j->res->rc = rc;
        return;
    }
    dd_warn("group commit failed, retrying jobs one by one", "err=%s", dd_errname(rc));
    for (struct job *j = group; j; j = j->next) {
        if (o->full) {
            j->res->rc = DD_EFULL;
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
            j->res->rc = failed(w, r, o);
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
            size_t n = j->batch ? j->batch->n : j->labels ? j->labels->n : 1;
            if (jobs && events + n > WRITER_GROUP_EVENTS)
                break;
            events += n;
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

int writer_start(struct store *st, const struct writer_limits *lim, struct writer **out)
{
    struct writer *w = dd_calloc(1, sizeof *w);
    w->st = st;
    w->lim.max_jobs = lim && lim->max_jobs ? lim->max_jobs : 256;
    w->lim.max_bytes = lim && lim->max_bytes ? lim->max_bytes : (size_t)512 << 20;
    atomic_init(&w->full, 0);
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->work, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&w->done, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->done);
        free(w);
        return DD_EIO;
    }
    *out = w;
    return 0;
}

void writer_stop(struct writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->done);
    free(w);
}

static void submit(struct writer *w, struct job *j)
{
    memset(j->res, 0, sizeof *j->res);
    pthread_mutex_lock(&w->mu);
    /* one job always fits, however large: the body limit bounds it */
    if (w->stopping || (w->jobs && (w->jobs >= w->lim.max_jobs ||
                                    w->bytes + j->bytes > w->lim.max_bytes))) {
        w->stats.overloaded++;
        pthread_mutex_unlock(&w->mu);
        j->res->rc = w->stopping ? DD_ESHUTDOWN : DD_EOVERLOAD;
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
    struct job j = {.kind = JOB_EVENTS,
                    .model = model,
                    .batch = b,
                    .received_ms = received_ms,
                    .bytes = b->arena.used_total + b->n * 64,
                    .res = out};
    submit(w, &j);
}

void writer_submit_labels(struct writer *w, const char *model, const struct dd_labels *l,
                          struct writer_result *out)
{
    struct job j = {.kind = JOB_LABELS,
                    .model = model,
                    .labels = l,
                    .bytes = l->arena.used_total,
                    .res = out};
    submit(w, &j);
}

void writer_submit_reference(struct writer *w, const char *model, const char *version,
                             const struct dd_batch *b, struct writer_result *out)
{
    struct job j = {.kind = JOB_REFERENCE,
                    .model = model,
                    .version = version,
                    .batch = b,
                    .bytes = b->arena.used_total + b->n * 64,
                    .res = out};
    submit(w, &j);
}

void writer_submit_reference_range(struct writer *w, const char *model, const char *version,
                                   const struct store_range_sample *r, struct writer_result *out)
{
    struct job j = {.kind = JOB_REFERENCE,
                    .model = model,
                    .version = version,
                    .range = r,
                    .bytes = r->n_ids * sizeof *r->ids,
                    .res = out};
    submit(w, &j);
}

void writer_submit_evaluation(struct writer *w, const char *model, const char *version,
                              const char *window, int64_t computed_ms, const char *status,
                              const struct dd_report *rep, const char *body,
                              struct writer_result *out)
{
    struct job j = {.kind = JOB_EVALUATION,
                    .model = model,
                    .version = version,
                    .window = window,
                    .from_ms = computed_ms,
                    .status = status,
                    .report = rep,
                    .body = body,
                    .res = out};
    submit(w, &j);
}

void writer_submit_settings(struct writer *w, const char *model, const char *body,
                            struct writer_result *out)
{
    struct job j = {.kind = JOB_SETTINGS, .model = model, .body = body, .res = out};
    submit(w, &j);
}

void writer_submit_retention(struct writer *w, const char *model, const char *version,
                             int64_t cutoff_ms, size_t limit, size_t refsize,
                             struct writer_result *out)
{
    struct job j = {.kind = JOB_RETENTION,
                    .model = model,
                    .version = version,
                    .from_ms = cutoff_ms,
                    .limit = limit,
                    .refsize = refsize,
                    .res = out};
    submit(w, &j);
}

void writer_submit_ref_summary(struct writer *w, const char *model, const char *version,
                               int64_t set_ms, const void *summary, size_t len,
                               struct writer_result *out)
{
    struct job j = {.kind = JOB_REF_SUMMARY,
                    .model = model,
                    .version = version,
                    .from_ms = set_ms,
                    .body = summary,
                    .limit = len,
                    .bytes = len,
                    .res = out};
    submit(w, &j);
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
