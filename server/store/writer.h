/* writer.h — the ingest queue and the one writer thread (group commit).
 *
 * Request threads submit a job and block until the writer has committed it:
 * a 202 is sent only for committed events.  One submit function per kind
 * of job (events, labels, a reference from a batch or a range, freezing the
 * automatic reference, an evaluation, settings, a retention batch, a
 * reference summary, a delete batch); each answers rc and the counts of its own kind in
 * struct writer_result (ingest.accepted, labels.updated, reference.kept,
 * retention.deleted, freeze.frozen, ...), the others left 0.
 *
 * The writer takes every queued job (up to WRITER_GROUP_EVENTS events) into
 * one transaction, so many requests share one commit.  If that transaction
 * fails, each job is retried alone so one bad job cannot fail the others.
 *
 * The queue is bounded in jobs and bytes: writer_submit_*() answers
 * DD_EOVERLOAD at once when it is full (the handler replies 503 with
 * Retry-After) instead of growing memory.
 *
 * A full disk answers DD_EFULL (nothing of the job is stored) and sets the
 * storage-full flag (writer_storage_full(): /readyz answers 503) until a
 * write succeeds with room on the disk again, or the writer's probe, every
 * WRITER_PROBE_MS while the flag is set, finds room (store_probe_space()).  The
 * change both ways is logged once ("storage full", "storage writable
 * again"), not per refused job.
 *
 * Threading: writer_submit_*() from any thread; the queue is guarded by the
 * writer's mutex; the store's writer connection is used only by the writer
 * thread.  writer_stop() drains the queue (everything submitted is committed
 * and answered) before the thread exits.
 */
#ifndef DD_WRITER_H
#define DD_WRITER_H
#include <stddef.h>
#include <stdint.h>

#include "ingest/event.h"
#include "ingest/parse.h"
#include "server/store/store.h"

#define WRITER_GROUP_EVENTS 100000 /* events per transaction at most */
#define WRITER_PROBE_MS 2000       /* while the disk is full: how often it is probed for room */

struct writer;

struct writer_limits {
    size_t max_jobs;  /* queued requests; default 256 */
    size_t max_bytes; /* queued batch memory; default 512 MiB */
};

struct writer_stats { /* monotonic counters since start */
    uint64_t accepted, duplicates, commits, conflicts, failures, overloaded;
    uint64_t full_refused; /* jobs answered DD_EFULL (also in failures) */
    size_t queue_jobs, queue_bytes;
    int storage_full; /* writer_storage_full() */
};

int writer_start(struct store *st, const struct writer_limits *lim, struct writer **out);
/* Drains and stops; NULL-safe. */
void writer_stop(struct writer *w);

/* What a job did.  rc for every kind; the counts of the job's own kind
 * (the submit function's comment names them); the others stay 0. */
struct writer_result {
    int rc;                            /* 0, DD_ECONFLICT, DD_ENOTFOUND, DD_EIO, DD_EFULL,
                                       * DD_EOVERLOAD, DD_ESHUTDOWN */
    struct store_ingest_result ingest; /* events */
    struct {
        size_t updated; /* events that got their label */
        size_t unknown; /* ids with no such event */
    } labels;
    struct store_reference_result reference; /* reference, reference_range */
    struct {
        size_t deleted; /* events deleted */
    } retention;
    struct {
        int frozen;  /* 1: fixed now; 0: the version had a reference */
        size_t kept; /* events in the frozen reference (0 when not now) */
    } freeze;
    struct store_deleted deleted; /* delete: rows removed by this batch, done */
};

/* Commits a batch for model (blocks until committed or refused).  The batch
 * stays the caller's.  ingest: accepted, duplicates; with DD_ECONFLICT the
 * event and the model's dimension. */
void writer_submit_events(struct writer *w, const char *model, const struct dd_batch *b,
                          int64_t received_ms, struct writer_result *out);
/* Joins labels by event id.  labels: updated, unknown; DD_ENOTFOUND for an
 * unknown model. */
void writer_submit_labels(struct writer *w, const char *model, const struct dd_labels *l,
                          struct writer_result *out);
/* Replaces a version's reference with a batch's events ... */
void writer_submit_reference(struct writer *w, const char *model, const char *version,
                             const struct dd_batch *b, struct writer_result *out);
/* ... or with the events of a range, chosen beforehand on a reader
 * (store_r_range_sample()); r stays the caller's.  Both: reference.kept
 * (and conflict_index, model_dim with DD_ECONFLICT). */
void writer_submit_reference_range(struct writer *w, const char *model, const char *version,
                                   const struct store_range_sample *r, struct writer_result *out);
/* Fixes the automatic reference of a version that has none: its first
 * reference_size events (store_w_freeze_reference()).  freeze: frozen,
 * kept. */
void writer_submit_freeze_reference(struct writer *w, const char *model, const char *version,
                                    size_t reference_size, struct writer_result *out);
/* Stores an evaluation (the evaluator's results, for history and caching)
 * and, in the same transaction, the alert changes the round's results
 * caused with their outbox rows (store_w_insert_evaluation_alerts(); none:
 * NULL, 0): a crash keeps the evaluation and its notifications together or
 * neither.  changes stay the caller's. */
void writer_submit_evaluation_alerts(struct writer *w, const char *model, const char *version,
                                     const char *window, int64_t computed_ms, const char *status,
                                     const struct dd_report *rep, const char *body,
                                     const struct store_alert_change *changes, size_t n_changes,
                                     struct writer_result *out);
/* One change of the alerting configuration (store_w_alerting()): rc
 * DD_ECONFLICT or DD_ENOTFOUND with op->detail. */
void writer_submit_alerting(struct writer *w, const struct store_alerting_op *op,
                            struct writer_result *out);
/* Stores a model's settings JSON. */
void writer_submit_settings(struct writer *w, const char *model, const char *body,
                            struct writer_result *out);
/* Deletes up to `limit` events of one version older than cutoff_ms
 * (retention.h), after freezing its automatic reference with
 * reference_size events if it has none.  retention.deleted. */
void writer_submit_retention(struct writer *w, const char *model, const char *version,
                             int64_t cutoff_ms, size_t limit, size_t reference_size,
                             struct writer_result *out);
/* Stores a prepared reference's bytes (reference.h, refcache.h). */
void writer_submit_ref_summary(struct writer *w, const char *model, const char *version,
                               int64_t set_ms, const void *summary, size_t len,
                               struct writer_result *out);
/* One batch of a delete (store_w_delete(): at most d->limit rows, one
 * transaction); the caller submits again until deleted.done, so ingest
 * commits between the batches.  deleted; DD_ENOTFOUND for an unknown
 * model, version or reference. */
void writer_submit_delete(struct writer *w, const struct store_delete *d,
                          struct writer_result *out);
/* Records one delivery attempt of an outbox row and the row's new state
 * (store_w_delivery_attempt()); a stays the caller's. */
void writer_submit_delivery_attempt(struct writer *w, const struct store_delivery_attempt *a,
                                    struct writer_result *out);
void writer_get_stats(struct writer *w, struct writer_stats *out);
/* 1 while the disk holding the database is full (see above).  Any thread;
 * NULL-safe (0). */
int writer_storage_full(struct writer *w);

#endif
