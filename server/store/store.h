/* store.h — driftd's storage: the only module that talks to SQLite.
 *
 * One database file in WAL mode.  Schema migrations are applied at open (a
 * table of applied versions; a database newer than this binary is refused).
 *
 * Threading: a struct store holds one writer connection, used only by the
 * writer thread (the store_w_* functions), and a small pool of reader
 * connections that any thread may use through the store_r_* functions
 * (guarded by the pool's mutex; each call takes a connection and gives it
 * back).  WAL lets readers read while the writer writes.
 *
 * Errors: the store_w_* functions answer DD_EFULL when SQLite failed for
 * lack of disk space (SQLITE_FULL, or an I/O error with errno ENOSPC or
 * EDQUOT), DD_EIO for any other SQLite failure; either way the caller rolls
 * the transaction back and nothing of it is stored.  A full disk is not
 * logged per failure (the writer logs when it starts and ends).  Readers
 * answer DD_EIO for any SQLite failure.
 *
 * The implementation is one file per table family in server/store/ (store.c
 * the connections and migrations, events.c, references.c, evaluations.c,
 * admin.c), sharing the private header store_int.h; this header is the
 * whole of the API.
 */
#ifndef DD_STORE_H
#define DD_STORE_H
#include <stddef.h>
#include <stdint.h>

#include "ingest/event.h"
#include "ingest/parse.h"

struct store;

#define STORE_SCHEMA_VERSION 9

struct store_options {
    const char *path;
    int synchronous_full; /* 1: synchronous=FULL (power-loss safe); 0: NORMAL */
    int readers;          /* reader connections; default 4 */
};

/* Opens (creating if needed) and migrates.  On failure a message naming the
 * file is written to errmsg. */
int store_open(const struct store_options *o, struct store **out, char *errmsg, size_t errlen);
void store_close(struct store *s);

/* ---- writer thread only ---- */

int store_w_begin(struct store *s);
int store_w_commit(struct store *s);
void store_w_rollback(struct store *s);
/* After store_w_commit(): 1 when the transaction changed rows (so it wrote
 * to the disk), 0 when it changed nothing (e.g. only duplicates). */
int store_w_changed(struct store *s);
/* The writer connection's last SQLite error, with its extended code and
 * errno, for a log line; call it before store_w_rollback(). */
void store_w_last_error(struct store *s, char *buf, size_t len);

/* The database file's path as opened.  Any thread. */
const char *store_path(const struct store *s);
/* Whether the file system holding the database has room again: reserves
 * 1 MiB in a scratch file beside it (PATH-spaceprobe) and removes it.  0,
 * DD_EFULL (ENOSPC or EDQUOT), or DD_EIO (anything else).  A small SQLite
 * write is no such test: a transaction that failed for lack of space has
 * already grown the WAL file, and small ones then fit in it while the disk
 * is still full.  Any thread (touches no connection). */
int store_probe_space(struct store *s);

struct store_ingest_result {
    size_t accepted, duplicates;
    long conflict_index; /* with DD_ECONFLICT: the first event with an embedding */
    uint32_t model_dim;  /* with DD_ECONFLICT: the model's dimension */
};
/* Inserts a validated batch inside the open transaction.  DD_ECONFLICT when
 * the batch's embedding dimension differs from the model's (nothing of the
 * batch is written then); other negative codes are SQLite failures after
 * which the caller must roll back. */
int store_w_insert_batch(struct store *s, const char *model, const struct dd_batch *b,
                         int64_t received_ms, struct store_ingest_result *out);
/* Joins labels by event id.  DD_ENOTFOUND for an unknown model.  Sets
 * l->unknown[i] (when not NULL) for each id no event has. */
int store_w_apply_labels(struct store *s, const char *model, const struct dd_labels *l,
                         size_t *updated, size_t *unknown);

/* ---- readers, any thread ---- */

struct store_version_info {
    char name[DD_NAME_MAX + 1];
    int64_t events, first_ms, last_ms; /* -1 times when no events */
    char status[20];                   /* store_r_statuses(); "" before */
};
struct store_model_info {
    char name[DD_NAME_MAX + 1];
    int64_t events, last_ms;
    uint32_t embedding_dim;              /* 0 = none yet */
    struct store_version_info *versions; /* owned: store_models_free() */
    size_t n_versions;
};
/* All models (name order), or the one named (DD_ENOTFOUND). */
int store_r_models(struct store *s, const char *only, struct store_model_info **out, size_t *n);
void store_models_free(struct store_model_info *m, size_t n);
/* Total events stored (all models). */
int store_r_event_count(struct store *s, int64_t *out);

/* ---- API keys (any thread) ---- */

/* The one role enum: what an API key may do (stored with the key) and what a
 * route needs (server/api/routes.c); auth_check() is the one place that
 * compares them.  admin may do everything. */
enum dd_role { DD_ROLE_NONE = 0, DD_ROLE_INGEST = 1, DD_ROLE_READ = 2, DD_ROLE_ADMIN = 3 };
const char *store_role_name(int role);
int store_role_parse(const char *s); /* 0 if unknown */

struct store_key {
    char id[40];
    int role;
    uint8_t hash[32];
    int64_t created_ms, revoked_ms; /* revoked_ms -1 when active */
    char name[DD_NAME_MAX + 1];     /* "" when none */
    int64_t expires_ms;             /* -1: never; refused from this time on (auth.h) */
};
int store_keys_list(struct store *s, struct store_key **out, size_t *n);
int store_key_insert(struct store *s, const struct store_key *k);
/* DD_ENOTFOUND when no active key has that id. */
int store_key_revoke(struct store *s, const char *id);

/* ---- references ---- */

struct store_reference {
    char source[8]; /* "events" (PUT body), "range" (PUT from/to), "auto" */
    int64_t events, first_ms, last_ms, set_ms; /* times -1 when unknown */
};
/* A range reference is chosen on a reader, so that the writer thread (and
 * with it all ingest) never scans a range, only copies at most max events. */
struct store_range_sample {
    int64_t from_ms, to_ms;
    size_t max;      /* reference_max; 0: no cap */
    size_t in_range; /* events in [from, to] when counted */
    int64_t *ids;    /* over max: every k-th event in (ts, id) order, at most max;
                      * listed by id (table order) */
    size_t n_ids;    /* 0: the range is taken whole */
};
struct store_reference_result {
    size_t kept;         /* events the reference now holds */
    long conflict_index; /* with DD_ECONFLICT: the first event with an embedding */
    uint32_t model_dim;  /* with DD_ECONFLICT: the model's dimension */
};
/* Writer thread: replaces the version's reference with a batch's events
 * (creating model and version if needed; DD_ECONFLICT, out->conflict_index
 * and out->model_dim on an embedding dimension that differs from the
 * model's) ... */
int store_w_set_reference_events(struct store *s, const char *model, const char *version,
                                 const struct dd_batch *b, struct store_reference_result *out);
/* ... or with the version's own events in [from, to]: the ones r lists
 * (store_r_range_sample()), or when it lists none, all of the range, at
 * most r->max (0: no cap) in time order.  DD_ENOTFOUND for an unknown model
 * or version; *kept: the events copied. */
int store_w_set_reference_range(struct store *s, const char *model, const char *version,
                                const struct store_range_sample *r, size_t *kept);
/* Writer thread: fixes a version's automatic reference.  When the version
 * has no reference yet, its first refsize events (fewer if it has fewer)
 * are copied to ref_events as its reference (source "auto"): from then on
 * later events with older timestamps, or retention, cannot move it.
 * *frozen: 1 when it was fixed now, 0 when the version had a reference
 * already; *kept: the events copied (0 then).  DD_ENOTFOUND for an unknown
 * model or version. */
int store_w_freeze_reference(struct store *s, const char *model, const char *version,
                             size_t refsize, int *frozen, size_t *kept);
/* Reader: counts the version's events in [r->from_ms, r->to_ms] and, when
 * there are more than r->max (> 0), picks every k-th of them (k = ceil(count
 * / max)) in (ts, id) order, the first always included: a sample spread
 * over the whole range.  DD_ENOTFOUND for an unknown model or version.
 * Release with store_range_sample_release(). */
int store_r_range_sample(struct store *s, const char *model, const char *version,
                         struct store_range_sample *r);
void store_range_sample_release(struct store_range_sample *r);
/* Reader: the explicit reference, DD_ENOTFOUND when none is set (or no such
 * version: *version_exists tells which). */
int store_r_reference(struct store *s, const char *model, const char *version,
                      struct store_reference *out, int *version_exists);

/* ---- reference summaries ---- */

/* Writer: stores the encoded prepared reference (reference_encode()) of the
 * reference set at set_ms. */
int store_w_put_ref_summary(struct store *s, const char *model, const char *version, int64_t set_ms,
                            const void *summary, size_t len);
/* Reader: the stored summary of that reference; DD_ENOTFOUND when none (or
 * one of another set_at).  *summary is the caller's (free()). */
int store_r_ref_summary(struct store *s, const char *model, const char *version, int64_t set_ms,
                        char **summary, size_t *len);

/* ---- retention ---- */

struct store_version_ref {
    char model[DD_NAME_MAX + 1], version[DD_NAME_MAX + 1];
};
/* Reader: versions that have events older than cutoff_ms. */
int store_r_versions_with_events_before(struct store *s, int64_t cutoff_ms,
                                        struct store_version_ref **out, size_t *n);
/* Writer: deletes at most `limit` events of the version older than
 * cutoff_ms (oldest first) and keeps its counters right.  A version still
 * on its automatic reference gets it frozen first, in the same transaction
 * (store_w_freeze_reference() with refsize), so retention never moves a
 * reference.  *deleted: the events deleted.  DD_ENOTFOUND for an unknown
 * model or version. */
int store_w_retention(struct store *s, const char *model, const char *version, int64_t cutoff_ms,
                      size_t limit, size_t refsize, size_t *deleted);

/* ---- per-model settings ---- */

/* Writer: stores a model's settings JSON, creating the model if needed. */
int store_w_put_settings(struct store *s, const char *model, const char *body);
/* Reader: DD_ENOTFOUND when the model has none stored; *body is the caller's. */
int store_r_settings(struct store *s, const char *model, char **body);

/* ---- evaluations ---- */

struct dd_report;
/* Writer thread: stores one evaluation (its JSON body and each result).
 * status: "ok", "drift" or "insufficient_data".  DD_ENOTFOUND for an
 * unknown version. */
int store_w_insert_evaluation(struct store *s, const char *model, const char *version,
                              const char *window, int64_t computed_ms, const char *status,
                              const struct dd_report *rep, const char *body);
/* Reader: the latest stored evaluation of a version over `window`;
 * DD_ENOTFOUND when none.  *body is the caller's (free()). */
int store_r_latest_evaluation(struct store *s, const char *model, const char *version,
                              const char *window, int64_t *computed_ms, char **body);
/* Reader: the latest status of every version of a model ("ok", "drift",
 * "insufficient_data"); versions without an evaluation are left as is.
 * Fills the `status` of each store_version_info. */
int store_r_statuses(struct store *s, struct store_model_info *m);

struct store_point {
    int64_t t_ms;
    double statistic, p_value; /* NaN when NULL */
    int drift;
};
/* Reader: the stored results of one signal and method in [from, to],
 * oldest first, at most max_points (the most recent). */
int store_r_history(struct store *s, const char *model, const char *version, const char *signal,
                    const char *method, int64_t from_ms, int64_t to_ms, size_t max_points,
                    struct store_point **out, size_t *n);

/* ---- lifecycle: deletes and pages of lists (lifecycle.c) ---- */

#define STORE_DELETE_BATCH                                                                         \
    10000 /* rows one delete transaction removes at most: a
                                  * huge delete never holds the writer for long
                                  * (ingest commits between its batches) */

enum store_delete_what {
    STORE_DELETE_MODEL,     /* the model, its versions, events, references, evaluations, settings */
    STORE_DELETE_VERSION,   /* one version and everything of it */
    STORE_DELETE_REFERENCE, /* a version's stored reference (it falls back to the automatic one) */
    STORE_DELETE_EVENTS     /* the events with from_ms <= ts < to_ms */
};
struct store_delete {
    enum store_delete_what what;
    const char *model;
    const char *version;    /* VERSION, REFERENCE; EVENTS: one version, NULL: all */
    int64_t from_ms, to_ms; /* EVENTS: from_ms <= ts < to_ms */
    int64_t max_event_id;   /* the batches take events with ids up to this (the
                             * largest when the delete began, store_r_max_event_id()),
                             * so ingest during a delete cannot make it endless
                             * (0: no bound);
                             * MODEL and VERSION delete the newer rest in their
                             * last batch */
    size_t limit;           /* rows per call; 0: STORE_DELETE_BATCH */
};
struct store_deleted {
    int64_t versions, events, reference_events, evaluations; /* rows removed by this call */
    int done; /* 1: the target is gone (the last batch); 0: call again */
};
/* Writer thread: one batch of a delete, in the open transaction: at most
 * d->limit rows of events, ref_events, then evaluations (with their
 * drift_results); when fewer were left, the rest of the target too (model,
 * versions, refs, summaries, settings rows) and out->done = 1.  Each batch
 * leaves the counters right (versions.events, first_ts, last_ts; the
 * writer's pending tallies are written first) and the writer's name caches
 * without the deleted names, so a batch that is the last one of its delete
 * and a later one that creates the model again share no ids.
 * DD_ENOTFOUND for an unknown model or version (REFERENCE: also a version
 * without a stored reference, on the first batch). */
int store_w_delete(struct store *s, const struct store_delete *d, struct store_deleted *out);
/* Reader: the largest events.id (0 when none): what a delete began with. */
int store_r_max_event_id(struct store *s, int64_t *out);
/* Reader: a page of models in name order: at most limit models whose name
 * sorts after `after` (NULL or "": from the first), each with all of its
 * versions.  Free with store_models_free(). */
int store_r_models_page(struct store *s, const char *after, size_t limit,
                        struct store_model_info **out, size_t *n);
/* Reader: one model with a page of its versions (name order, at most limit,
 * after `after`; NULL or "": from the first); the model's events and
 * last_ms count only those versions.  DD_ENOTFOUND for an unknown model.
 * Free with store_models_free(*out, 1). */
int store_r_versions_page(struct store *s, const char *model, const char *after, size_t limit,
                          struct store_model_info **out);

/* ---- event windows (readers, any thread) ---- */

struct store_window {
    int64_t from_ms, to_ms; /* time range, inclusive; ignored with last_n */
    size_t last_n;          /* > 0: the last N events of the version instead */
    size_t first_n;         /* > 0: the first N events (the automatic reference) */
    size_t max_sample;      /* at most this many events (the most recent); 0 = no cap */
    int reference;          /* 1: the version's explicit reference (set with PUT) */
};
struct store_window_info {
    int64_t from_ms, to_ms; /* of the events returned; -1 when none */
    size_t total;           /* events in the window before sampling */
    int sampled;            /* 1 when max_sample cut the window */
};
/* Reads a version's events in a window into out (its arena owns them).
 * DD_ENOTFOUND for an unknown model or version. */
int store_r_events(struct store *s, const char *model, const char *version,
                   const struct store_window *w, struct dd_batch *out,
                   struct store_window_info *info);

/* ---- export: a model's events in time order (readers, any thread; export.c) ---- */

/* Events one store_r_export_next() gives at most (a page of 768-d
 * embeddings is about 3 MB); the bytes of stored values a page holds about
 * (one row at least: 64k-d embeddings do not make 256 MB pages); the rows
 * one version reads at least (a model with many versions buffers up to this
 * many of each). */
#define STORE_EXPORT_PAGE_ROWS 1000
#define STORE_EXPORT_PAGE_BYTES (4u << 20)
#define STORE_EXPORT_MIN_ROWS 16

struct store_export_range {
    const char *model;
    const char *version;    /* NULL: every version of the model */
    int64_t from_ms, to_ms; /* from_ms <= ts < to_ms; from_ms > INT64_MIN */
};
/* A cursor over the events of a range, in (ts, id) order (id: the order
 * they were stored in), read a page at a time on a read connection of its
 * own (small page cache; not one of the pool's), each page its own read:
 * memory stays within a page (and STORE_EXPORT_MIN_ROWS rows per version)
 * whatever the range.  Events stored after the open are left out.  Owned by
 * one thread at a time. */
struct store_export;
/* DD_ENOTFOUND for an unknown model, or an unknown version of it
 * (*model_exists, when not NULL, tells which). */
int store_r_export_open(struct store *s, const struct store_export_range *q,
                        struct store_export **out, int *model_exists);
/* The next page: *n events (0: the end), each with ts (DD_HAS_TS), its
 * version's name, and prediction_num when it has one (DD_HAS_PREDICTION_NUM).
 * They point into the cursor and live until the next call or the free. */
int store_r_export_next(struct store_export *x, const struct dd_event **events, size_t *n);
void store_export_free(struct store_export *x);

/* ---- alert delivery: the outbox's rows and their attempts (outbox.c) ---- */

#define STORE_RECEIVER_ID_MAX 64 /* notify.h's NOTIFY_ID_MAX */

/* One notification waiting to be sent (outbox row). */
struct store_outbox_row {
    int64_t id;
    char message_id[64];
    char receiver_id[STORE_RECEIVER_ID_MAX + 1];
    int64_t alert_id; /* -1: none */
    char event[16];   /* "firing", "resolved", ... */
    char *message;    /* notify_message_json(); owned (store_outbox_rows_free()) */
    int64_t created_ms, next_attempt_ms;
    int attempts; /* made so far */
};
/* Reader: at most limit pending rows due at now_ms (next_attempt_at <=
 * now), by next_attempt_at then id; a row waits while an older pending row
 * of the same receiver and alert exists (a resolve never overtakes its
 * firing).  Free with store_outbox_rows_free(). */
int store_r_outbox_due(struct store *s, int64_t now_ms, size_t limit, struct store_outbox_row **out,
                       size_t *n);
void store_outbox_rows_free(struct store_outbox_row *rows, size_t n);
/* Reader: a receiver's stored JSON (receivers.body); DD_ENOTFOUND when no
 * receiver has that id.  *body is the caller's (free()). */
int store_r_receiver(struct store *s, const char *id, char **body);

/* What one delivery attempt did, and the row's state after it. */
struct store_delivery_attempt {
    int64_t outbox_id;
    int64_t at_ms;
    int sent;           /* 1: a request went out (a delivery_attempts row, attempts + 1);
                         * 0: nothing was sent (skipped: nothing to send, no receiver) */
    int status;         /* the HTTP status; 0: no answer (stored as NULL) */
    const char *error;  /* NULL: none */
    int64_t elapsed_ms; /* of the attempt */
    const char *state;  /* "pending" (retry at next_attempt_ms), "delivered", "failed",
                         * "skipped" */
    int64_t next_attempt_ms;
};
/* Writer thread: records the attempt and the row's new state (done_at set
 * unless pending) in the open transaction.  A row that is no longer
 * pending is left as it is. */
int store_w_delivery_attempt(struct store *s, const struct store_delivery_attempt *a);

/* Reader: what /metrics shows of alerting: alerts per state and the age of
 * the oldest pending notification (its created_at; -1: none pending). */
struct store_alerting_stats {
    int64_t pending, firing, resolved;
    int64_t oldest_pending_created_ms;
    int64_t outbox_pending;
};
int store_r_alerting_stats(struct store *s, struct store_alerting_stats *out);

/* ---- alerting: receivers, rules, silences, alerts (alerting.c) ---- */

/* The three tables of alerting configuration the API and the config file
 * fill: one JSON body per id. */
enum store_alerting_table { STORE_RECEIVERS, STORE_RULES, STORE_SILENCES };
struct store_alerting_row {
    char id[STORE_RECEIVER_ID_MAX + 1];
    char *body;                              /* owned: store_alerting_rows_free() */
    char source[8];                          /* "api" or "config" (silences: "api") */
    int64_t created_ms, updated_ms, ends_ms; /* -1 when the table has no such column */
};
/* Reader: every row of the table (id order), or the one with that id
 * (DD_ENOTFOUND when none). */
int store_r_alerting(struct store *s, enum store_alerting_table t, const char *id,
                     struct store_alerting_row **out, size_t *n);
void store_alerting_rows_free(struct store_alerting_row *rows, size_t n);

/* A receiver or rule of the config file (rules: with the receiver ids the
 * rule names). */
struct store_alerting_item {
    const char *id, *body;
    const char *const *receivers;
    size_t n_receivers;
};
enum store_alerting_what {
    STORE_RECEIVER_ADD,    /* DD_ECONFLICT when the id exists */
    STORE_RECEIVER_DELETE, /* DD_ENOTFOUND; DD_ECONFLICT (detail: the rules using it) */
    STORE_RULE_ADD,        /* DD_ECONFLICT when the id exists */
    STORE_RULE_PUT,        /* create or replace */
    STORE_RULE_DELETE,     /* DD_ENOTFOUND; its open alerts are resolved */
    STORE_SILENCE_ADD,
    STORE_SILENCE_DELETE, /* DD_ENOTFOUND */
    STORE_CONFIG_LOAD     /* the config file's lists replace the earlier config rows */
};
struct store_alerting_op {
    enum store_alerting_what what;
    const char *id, *body;
    int64_t now_ms, ends_ms;               /* ends_ms: silences */
    const char *const *receivers;          /* RULE_ADD, RULE_PUT: ids that must exist */
    const char *rule_model, *rule_version; /* RULE_PUT: what the rule watches now ("*", "":
                                            * any); its open alerts elsewhere are closed */
    size_t n_receivers;
    const struct store_alerting_item *cfg_receivers, *cfg_rules; /* CONFIG_LOAD */
    size_t n_cfg_receivers, n_cfg_rules;
    char *detail; /* written on DD_ECONFLICT and on an unknown receiver */
    size_t detail_len;
};
/* Writer thread: one change of the alerting configuration, checked before
 * anything is written: DD_ECONFLICT or DD_ENOTFOUND leave the tables as
 * they were.  A rule naming a receiver that does not exist is DD_ENOTFOUND
 * with the receiver's id in detail (detail empty: the id itself is
 * unknown). */
int store_w_alerting(struct store *s, const struct store_alerting_op *op);

/* One notification of an alert's state change, for one receiver. */
struct store_outbox_new {
    const char *message_id, *receiver_id, *event, *message; /* message: notify_message_json() */
    int skipped; /* 1: silenced, written as 'skipped' (never sent) */
};
/* What an evaluation round does to one alert (alerts.h plans it). */
struct store_alert_change {
    int64_t alert_id; /* 0: a new alert, inserted */
    int drop;         /* 1: delete the alert (a pending one that stopped holding) */
    const char *rule_id, *model, *version, *alert_key;
    const char *state;  /* "pending", "firing" or "resolved" */
    double value;       /* NaN: NULL */
    const char *labels; /* JSON object */
    int64_t pending_since_ms, started_ms, resolved_ms, last_notified_ms; /* -1: NULL */
    const struct store_outbox_new *outbox;
    size_t n_outbox;
};
/* Writer thread: the evaluation (store_w_insert_evaluation()) and, in the
 * same transaction, the alert changes it caused with their outbox rows: a
 * crash keeps both or neither. */
int store_w_insert_evaluation_alerts(struct store *s, const char *model, const char *version,
                                     const char *window, int64_t computed_ms, const char *status,
                                     const struct dd_report *rep, const char *body,
                                     const struct store_alert_change *changes, size_t n_changes);
/* Writer thread: the changes alone, with the evaluation's id (0: none). */
int store_w_alert_changes(struct store *s, int64_t evaluation_id,
                          const struct store_alert_change *changes, size_t n_changes);

struct store_alert {
    int64_t id;
    char rule_id[STORE_RECEIVER_ID_MAX + 1];
    char model[DD_NAME_MAX + 1], version[DD_NAME_MAX + 1];
    char alert_key[256];
    char state[12];
    double value; /* NaN: none */
    char *labels; /* JSON object; owned: store_alerts_free() */
    int64_t pending_since_ms, started_ms, resolved_ms, last_notified_ms, evaluation_id;
};
struct store_alert_filter {
    const char *state, *model, *version, *rule; /* NULL: any */
    int open_only;                              /* 1: pending and firing only */
    int64_t before_id;                          /* > 0: ids below it (the page after a cursor) */
    size_t limit;                               /* 0: all */
};
/* Reader: alerts, newest first (id order, descending). */
int store_r_alerts(struct store *s, const struct store_alert_filter *f, struct store_alert **out,
                   size_t *n);
void store_alerts_free(struct store_alert *a, size_t n);

struct store_attempt {
    int64_t at_ms, elapsed_ms;
    int status;  /* 0: no answer */
    char *error; /* NULL: none; owned */
};
struct store_delivery {
    int64_t id;
    char message_id[64];
    char receiver_id[STORE_RECEIVER_ID_MAX + 1];
    char event[16], state[12];
    int64_t attempts, created_ms, next_attempt_ms, done_ms; /* -1: NULL */
    int last_status;                                        /* 0: none */
    char *last_error;                                       /* NULL: none; owned */
    struct store_attempt *tries;                            /* oldest first; owned */
    size_t n_tries;
};
/* Reader: an alert's outbox rows (oldest first) with their attempts. */
int store_r_deliveries(struct store *s, int64_t alert_id, struct store_delivery **out, size_t *n);
void store_deliveries_free(struct store_delivery *d, size_t n);

#endif
