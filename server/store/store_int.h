/* store_int.h — what the files of server/store/ share, and nobody else
 * (SQLite's btreeInt.h): the struct store, the writer's name -> id caches,
 * the one query helper and the mapping of SQLite failures to our codes.
 * Every name here starts with store__; store.h stays the public API.
 *
 * The files, by table family (each includes store.h, then this header):
 *   store.c        open, migrations, the writer's transactions and name
 *                  caches, the checkpointer, the reader pool, the query
 *                  helper, errors, the space probe
 *   events.c       events, labels, models and versions, event windows
 *   references.c   refs, ref_events, ref_summaries: set, sample, freeze
 *   evaluations.c  evaluations, drift_results: insert, latest, history
 *   admin.c        api_keys, model_settings, retention
 *   lifecycle.c    deletes in batches (models, versions, references,
 *                  ranges of events) and pages of the model lists
 *
 * Threads: what takes a struct store * and names no connection runs on
 * the writer thread (it uses s->w and the caches) unless it says
 * otherwise; store__read() runs on any thread.
 *
 * It does not include store.h (store.c includes this header, and the two
 * would be an include cycle for scripts/check_includes.py); it needs
 * nothing from it.
 */
#ifndef DD_STORE_INT_H
#define DD_STORE_INT_H
#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/event.h"

#define STORE__MAX_READERS 16

/* The writer's caches of names it has looked up or created (store.c). */
struct store__model {
    char name[DD_NAME_MAX + 1];
    int64_t id;
    uint32_t dim; /* embedding dimension; 0 = none yet */
};
struct store__version {
    int64_t model_id, id;
    char name[DD_NAME_MAX + 1];
    /* per-transaction tallies, flushed to the versions row before commit */
    int64_t add_events, min_ts, max_ts;
};

struct store {
    char *path;
    /* writer connection and its statements: writer thread only */
    sqlite3 *w;
    sqlite3_stmt *w_insert, *w_model_get, *w_model_new, *w_model_dim, *w_version_get,
        *w_version_new, *w_version_stats, *w_label;
    struct store__model *models;
    size_t n_models;
    struct store__version *versions;
    size_t n_versions;
    int64_t w_changes0; /* sqlite3_total_changes64() at store_w_begin() */
    /* checkpointer: its own connection; ckpt_* guarded by ckpt_mu */
    sqlite3 *ckpt_db;
    pthread_t ckpt_thread;
    int ckpt_started, ckpt_pending, ckpt_stop;
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
    /* reader pool: protected by mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sqlite3 *readers[STORE__MAX_READERS];
    int n_readers, free_mask;
};

/* ---- errors (store.c) ---- */

/* Our code for the failure db just reported: DD_EFULL when the disk is
 * full (SQLITE_FULL, or an I/O error with errno ENOSPC or EDQUOT), else
 * DD_EIO. */
int store__failure_code(sqlite3 *db);
/* Logs db's failure in `what` and returns store__failure_code().  A full
 * disk is logged at debug level only: the writer logs the episode. */
int store__sqlerr(sqlite3 *db, const char *what);

/* ---- the query helper (store.c) ---- */

/* A value for one statement parameter; write them with the macros. */
struct store__arg {
    enum { STORE__END, STORE__INT_ARG, STORE__TEXT_ARG, STORE__BLOB_ARG } type;
    int64_t i;
    const void *p; /* text (NULL binds NULL) or blob; the caller's until the call returns */
    size_t len;    /* blob */
};
#define STORE__INT(v) ((struct store__arg){.type = STORE__INT_ARG, .i = (int64_t)(v)})
#define STORE__TEXT(s) ((struct store__arg){.type = STORE__TEXT_ARG, .p = (s)})
#define STORE__BLOB(b, n) ((struct store__arg){.type = STORE__BLOB_ARG, .p = (b), .len = (n)})
/* The parameters ?1, ?2, ... in order (after the version id, see below). */
#define STORE__ARGS(...) ((const struct store__arg[]){__VA_ARGS__, {.type = STORE__END}})

/* One statement: prepared (or one of the writer's, reused), bound, stepped
 * row by row, finalized (reset). */
struct store__query {
    const char *what; /* names it in the log line of a failure */
    const char *sql;
    sqlite3_stmt *stmt;                       /* instead of sql: one of the writer's statements,
                                       * prepared once; reset instead of finalized */
    const char *model, *version;              /* version not NULL: ?1 is that version's id,
                                       * and args start at ?2; DD_ENOTFOUND when the
                                       * model or version does not exist */
    const struct store__arg *args;            /* STORE__ARGS(...); NULL: none */
    void (*row)(sqlite3_stmt *st, void *arg); /* each result row; NULL: ignore rows */
    void *arg;
    int one;          /* 1: it answers one row; DD_ENOTFOUND when none */
    int64_t *changes; /* not NULL: the rows it inserted, updated or
                                       * deleted (sqlite3_changes()) */
};
/* Runs q on a connection the caller holds (the writer's, s->w, on the
 * writer thread; a reader inside store__read()): 0, DD_ENOTFOUND (see
 * version and one), or store__sqlerr()'s code (DD_EFULL or DD_EIO). */
int store__run(sqlite3 *db, const struct store__query *q);
/* The reader-query skeleton: takes a reader connection (waiting for a free
 * one), store__run(), gives it back.  0, DD_ENOTFOUND, or DD_EIO for any
 * SQLite failure (readers never answer DD_EFULL).  Any thread. */
int store__read(struct store *s, const struct store__query *q);
/* A row callback: column 0 as an integer into *(int64_t *)arg. */
void store__row_int64(sqlite3_stmt *st, void *arg);
/* A row callback: column 0 (text or blob) copied into a struct store__bytes
 * *arg, NUL-terminated; data is the caller's (free()). */
struct store__bytes {
    char *data;
    size_t len;
};
void store__row_bytes(sqlite3_stmt *st, void *arg);
/* One alerts row as a struct store_alert (alerting.c), selected as
 * STORE__ALERT_COLUMNS, for the alerts API and the Grafana annotations. */
#define STORE__ALERT_COLUMNS                                                                       \
    "id, rule_id, model, version, alert_key, state, value, labels, pending_since, started_at,"     \
    " resolved_at, last_notified_at, evaluation_id"
void store__alert_row(sqlite3_stmt *st, void *arg);
void store__alert_release(void *item);
/* The reader of one value: store__read() of q (its row, arg and one are set
 * here) with column 0 of its one row copied as store__row_bytes() does into
 * *data (the caller's: free()) and its length into *len (NULL: not wanted).
 * store__read()'s codes; DD_ENOTFOUND when there is no row. */
int store__read_bytes(struct store *s, const struct store__query *q, char **data, size_t *len);

/* Rows gathered into an array, for row callbacks: store__rows_push() gives
 * the next element, zeroed.  items is the caller's (free()). */
struct store__rows {
    void *items;
    size_t n, cap, size;         /* size: of one element; set it first */
    void (*release)(void *item); /* NULL, or frees what one element owns */
};
void *store__rows_push(struct store__rows *r);
/* Frees an array of n elements of size bytes that rows gathered: release()
 * (NULL: none) on each element, then the array.  The public *_free() of
 * such arrays are this with their element's release. */
static inline void store__rows_free(void *items, size_t n, size_t size, void (*release)(void *item))
{
    for (size_t i = 0; items && release && i < n; i++)
        release((char *)items + i * size);
    free(items);
}
/* The tail of a reader that gathered rows: rc == 0 hands them to the caller
 * (the array into *(T **)out, its length into *n); any other rc releases
 * them (store__rows_free()) and leaves *out and *n as they were.  Returns
 * rc. */
static inline int store__rows_take(int rc, struct store__rows *rows, void *out, size_t *n)
{
    if (rc != 0) {
        store__rows_free(rows->items, rows->n, rows->size, rows->release);
        return rc;
    }
    memcpy(out, &rows->items, sizeof rows->items);
    *n = rows->n;
    return 0;
}
/* The reader of rows: store__read() of q, each row gathered by q's row
 * callback into a struct store__rows of elements of size bytes (q's arg is
 * set here to it; release as in struct store__rows), then
 * store__rows_take() into *(T **)out and *n.  Returns store__read()'s code. */
int store__read_rows(struct store *s, const struct store__query *q, size_t size,
                     void (*release)(void *item), void *out, size_t *n);
/* A time column: -1 for NULL. */
int64_t store__col_time(sqlite3_stmt *st, int col);
/* A text column copied to the heap (the caller's: free()); for NULL a copy
 * of dflt, or NULL when dflt is NULL. */
char *store__col_strdup(sqlite3_stmt *st, int col, const char *dflt);
/* A number column: NaN for NULL. */
static inline double store__col_double(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? (double)NAN
                                                       : sqlite3_column_double(st, col);
}
/* Binds v to parameter i, NULL for NaN. */
static inline void store__bind_double(sqlite3_stmt *st, int i, double v)
{
    if (v == v)
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}
/* A text column copied into out[size] (truncated; "" for NULL). */
static inline void store__col_text(sqlite3_stmt *st, int col, char *out, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, size, "%s", t ? (const char *)t : "");
}

/* ---- the writer's name -> id caches (store.c) ---- */

/* The model named, created when create (NULL on a failure, or when it does
 * not exist and !create: then store__failure_code() tells nothing). */
struct store__model *store__model_find(struct store *s, const char *name, int create);
/* The version of the model, created if needed; NULL on a failure. */
struct store__version *store__version_find(struct store *s, int64_t model_id, const char *name);
/* An existing version's id, -1 when the model or the version is unknown. */
int64_t store__version_id(struct store *s, const char *model, const char *version);
/* Writes the pending per-transaction tallies (events, first and last ts) of
 * version vid (vid < 0: of every cached version) to the versions rows; the
 * cache entries' tallies are then 0.  At commit, and before a delete. */
int store__flush_tallies(struct store *s, int64_t vid);

/* ---- shared by the table families ---- */

/* events.c: the model for a batch, created if needed, its embedding
 * dimension fixed by the batch when it has none yet.  DD_ECONFLICT (and the
 * first event with an embedding, the model's dimension) when they differ;
 * or a failure code. */
int store__model_for_batch(struct store *s, const char *model, const struct dd_batch *b,
                           struct store__model **out, long *conflict_index, uint32_t *model_dim);
/* events.c: binds an event to the events table's parameter numbers ?1..?12
 * (model id, version id, event id, ts, received_at, prediction, confidence,
 * latency_ms, label, probabilities, embedding, features); other statements
 * that insert events use the same numbers. */
void store__bind_event(sqlite3_stmt *st, int64_t model_id, int64_t version_id,
                       const struct dd_event *e, int64_t ts, int64_t received_ms);
/* events.c: the models and their versions that sql answers, one row per
 * version (model name, embedding dim, version name or NULL for a model
 * without versions, events, first_ts, last_ts), the rows of a model
 * together; a new model when the name changes.  store__read()'s codes, the
 * array into *out and its length into *n on success (store_models_free()).
 * Used by store_r_models() and the pages of lifecycle.c. */
struct store_model_info;
int store__read_models(struct store *s, const char *what, const char *sql,
                       const struct store__arg *args, struct store_model_info **out, size_t *n);
/* The stored columns of an event after its event_id, in the order
 * store__event_from_row() reads them. */
#define STORE__EVENT_COLUMNS                                                                       \
    "ts, prediction, confidence, latency_ms, label, probabilities,"                                \
    " embedding, features, prediction_num"
/* events.c: the event stored in the columns col.. of st (event_id, then
 * STORE__EVENT_COLUMNS) into *e, its strings and blobs copied into a;
 * e->version is left NULL.  Answers the bytes of the three blobs. */
size_t store__event_from_row(sqlite3_stmt *st, int col, struct dd_arena *a, struct dd_event *e);
/* events.c: into *n, the events of the version with from_ms <= ts <=
 * to_ms (the (version_id, ts) index alone); `what` names the read in a
 * failure's log line.  store__read()'s codes; any thread. */
int store__count_range(struct store *s, const char *what, const char *model, const char *version,
                       int64_t from_ms, int64_t to_ms, int64_t *n);
/* lifecycle.c: deletes at most *left events of version vid with from <= ts
 * < to and id <= max_id (max_id <= 0: any id), oldest first; counts them
 * into *events and off *left, and keeps the version's counters right (its
 * pending tally written first).  For the deletes and retention. */
int store__delete_events(struct store *s, int64_t vid, int64_t from, int64_t to, int64_t max_id,
                         int64_t *left, int64_t *events);
/* references.c: when the version (by id) has no reference, copies its first
 * refsize events to ref_events (source "auto") and sets *frozen to 1 and
 * *kept to their count; else *frozen = 0, *kept = 0.  Outputs may be NULL. */
int store__freeze_reference(struct store *s, int64_t version_id, size_t refsize, int *frozen,
                            size_t *kept);

#endif
