/* writer.c — bounded queue + group-commit writer thread (writer.h). */
#include "server/store/writer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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
    /* everything below is guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t work;    /* writer waits for jobs */
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

/* One transaction for the whole group; on failure, one per job. */
static void commit_group(struct writer *w, struct job *group)
{
    int rc = store_w_begin(w->st);
    for (struct job *j = group; j && rc == 0; j = j->next)
        rc = run_job(w, j);
    if (rc == 0)
        rc = store_w_commit(w->st);
    if (rc == 0)
        return;
    store_w_rollback(w->st);
    if (!group->next) {
        group->res->rc = DD_EIO;
        return;
    }
    dd_warn("group commit failed, retrying jobs one by one", "err=%s", dd_errname(rc));
    for (struct job *j = group; j; j = j->next) {
        int r = store_w_begin(w->st);
        if (r == 0)
            r = run_job(w, j);
        if (r == 0)
            r = store_w_commit(w->st);
        if (r != 0) {
            store_w_rollback(w->st);
            j->res->rc = DD_EIO;
        }
    }
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->work, &w->mu);
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

        commit_group(w, group);

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
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work, NULL);
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
}
