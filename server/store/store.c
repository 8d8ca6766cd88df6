/* store.c — the database itself (store.h): migrations, store_open() and
 * store_close(), the writer's transactions and name -> id caches, the
 * checkpointer, the reader pool and the query helper every table family
 * uses (store_int.h lists the files).
 *
 * Reading order: the migrations table, the mapping of SQLite failures to
 * our codes, store_open() (pragmas, migrate, prepare), the checkpointer,
 * the writer's transactions and caches, then the reader pool and
 * store__run() / store__read().
 *
 * Pages are 16 KiB (a 768-d embedding row is 3 KiB: 4 KiB pages held one row
 * each and bulk inserts ran at 59k rows/s against 93k with 16 KiB; measured
 * with tests/bench/ingest).  Checkpoints run off the writer thread: the
 * writer's WAL hook wakes a checkpointer with its own connection once the
 * WAL holds CKPT_SOFT_PAGES; it copies pages back while the writer goes on.
 * A passive checkpoint racing a busy writer never finishes the WAL, so at
 * CKPT_HARD_PAGES the writer checkpoints the (small) rest itself, which lets
 * the next transaction start the WAL over.
 */
#include "server/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/thread.h"
#include "base/timefmt.h"
#include "server/store/store_int.h"

/* Each entry is one schema version; never edit a released one, append. */
static const char *const migrations[] = {
    /* 1: models, versions, events, API keys */
    "CREATE TABLE models ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  embedding_dim INTEGER, created_at INTEGER NOT NULL);"
    "CREATE TABLE versions ("
    "  id INTEGER PRIMARY KEY, model_id INTEGER NOT NULL REFERENCES models(id),"
    "  name TEXT NOT NULL, created_at INTEGER NOT NULL,"
    "  events INTEGER NOT NULL DEFAULT 0, first_ts INTEGER, last_ts INTEGER,"
    "  UNIQUE(model_id, name));"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY, model_id INTEGER NOT NULL, version_id INTEGER NOT NULL,"
    "  event_id TEXT, ts INTEGER NOT NULL, received_at INTEGER NOT NULL,"
    "  prediction TEXT, confidence REAL, latency_ms REAL, label TEXT,"
    "  probabilities BLOB, embedding BLOB, features BLOB);"
    "CREATE UNIQUE INDEX events_model_event_id ON events(model_id, event_id)"
    "  WHERE event_id IS NOT NULL;"
    "CREATE INDEX events_version_ts ON events(version_id, ts);"
    "CREATE TABLE api_keys ("
    "  id TEXT PRIMARY KEY, role TEXT NOT NULL CHECK(role IN ('ingest','read','admin')),"
    "  hash BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL, revoked_at INTEGER);",
    /* 2: explicit references, kept apart from events so retention never
     * touches them */
    "CREATE TABLE refs ("
    "  version_id INTEGER PRIMARY KEY, source TEXT NOT NULL, events INTEGER NOT NULL,"
    "  first_ts INTEGER, last_ts INTEGER, set_at INTEGER NOT NULL);"
    "CREATE TABLE ref_events ("
    "  id INTEGER PRIMARY KEY, version_id INTEGER NOT NULL, ts INTEGER NOT NULL,"
    "  prediction TEXT, confidence REAL, latency_ms REAL, label TEXT,"
    "  probabilities BLOB, embedding BLOB, features BLOB);"
    "CREATE INDEX ref_events_version ON ref_events(version_id, ts);",
    /* 3: stored evaluations (the latest answers GET .../drift while fresh) and
     * their per-signal results (the history) */
    "CREATE TABLE evaluations ("
    "  id INTEGER PRIMARY KEY, version_id INTEGER NOT NULL, window TEXT NOT NULL,"
    "  computed_at INTEGER NOT NULL, status TEXT NOT NULL, body TEXT NOT NULL);"
    "CREATE INDEX evaluations_latest ON evaluations(version_id, window, computed_at);"
    "CREATE TABLE drift_results ("
    "  evaluation_id INTEGER NOT NULL, version_id INTEGER NOT NULL, computed_at INTEGER NOT NULL,"
    "  signal TEXT NOT NULL, method TEXT NOT NULL, statistic REAL, p_value REAL,"
    "  threshold REAL, drift INTEGER, n_ref INTEGER, n_cur INTEGER);"
    "CREATE INDEX drift_results_series ON drift_results(version_id, signal, method, computed_at);",
    /* 4: per-model settings, as the JSON of GET .../settings */
    "CREATE TABLE model_settings (model_id INTEGER PRIMARY KEY, body TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL);",
    /* 5: a reference's summaries computed once (the embedding PCA), valid for
     * the refs row with the same set_at */
    "CREATE TABLE ref_summaries (version_id INTEGER PRIMARY KEY, set_at INTEGER NOT NULL,"
    "  pca BLOB NOT NULL);",
    /* 6: the whole prepared reference (server/reference.h: per-signal summaries,
     * PCA, performance) instead of the PCA alone; the PCA-only rows go, and
     * each reference is prepared again from ref_events on its first use */
    "DROP TABLE ref_summaries;"
    "CREATE TABLE ref_summaries (version_id INTEGER PRIMARY KEY, set_at INTEGER NOT NULL,"
    "  summary BLOB NOT NULL);",
    /* 7: numeric predictions (a regression model's output, kept as a number
     * beside its text), and keys with a name and an optional expiry */
    "ALTER TABLE events ADD COLUMN prediction_num REAL;"
    "ALTER TABLE ref_events ADD COLUMN prediction_num REAL;"
    "ALTER TABLE api_keys ADD COLUMN name TEXT;"
    "ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;",
    /* 8: alerting.  receivers, rules and silences keep the JSON the API took
     * (source: 'api' or 'config'); one alerts row per (rule, model, version)
     * episode, at most one of them not resolved; an outbox row per
     * notification and receiver, written in the transaction that changed the
     * alert's state, its message (the facts, as JSON) rendered only when sent,
     * its message_id the same on every attempt; every attempt recorded */
    "CREATE TABLE receivers (id TEXT PRIMARY KEY, body TEXT NOT NULL, source TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE rules (id TEXT PRIMARY KEY, body TEXT NOT NULL, source TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE silences (id TEXT PRIMARY KEY, body TEXT NOT NULL, ends_at INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE alerts (id INTEGER PRIMARY KEY, rule_id TEXT NOT NULL, model TEXT NOT NULL,"
    "  version TEXT NOT NULL, alert_key TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK(state IN ('pending','firing','resolved')),"
    "  value REAL, labels TEXT, pending_since INTEGER NOT NULL, started_at INTEGER,"
    "  resolved_at INTEGER, last_notified_at INTEGER, evaluation_id INTEGER);"
    "CREATE UNIQUE INDEX alerts_open ON alerts(rule_id, model, version)"
    "  WHERE state != 'resolved';"
    "CREATE INDEX alerts_state ON alerts(state, model);"
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE,"
    "  receiver_id TEXT NOT NULL, alert_id INTEGER, event TEXT NOT NULL, message TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK(state IN ('pending','delivered','failed','skipped')),"
    "  last_status INTEGER, last_error TEXT, done_at INTEGER);"
    "CREATE INDEX outbox_due ON outbox(state, next_attempt_at);"
    "CREATE INDEX outbox_alert ON outbox(alert_id);"
    "CREATE TABLE delivery_attempts (outbox_id INTEGER NOT NULL, at INTEGER NOT NULL,"
    "  status INTEGER, error TEXT, elapsed_ms INTEGER);"
    "CREATE INDEX delivery_attempts_outbox ON delivery_attempts(outbox_id);",
    /* 9: the drift-series index covers what a series reads (statistic,
     * p-value, flag), so a Grafana panel over 30 days of results reads the
     * index alone instead of one table row per result (tests/bench/grafana) */
    "DROP INDEX drift_results_series;"
    "CREATE INDEX drift_results_series ON drift_results(version_id, signal, method, computed_at,"
    "  statistic, p_value, drift);",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))
_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION, "STORE_SCHEMA_VERSION must match");

#define CACHE_MAX 4096              /* entries per name cache before it is flushed */
#define PAGE_SIZE 16384             /* for new databases; an existing file keeps its own */
#define CKPT_SOFT_PAGES 1024        /* 16 MiB of WAL: wake the checkpointer */
#define CKPT_HARD_PAGES 8192        /* 128 MiB: the writer finishes the checkpoint */
#define WAL_SIZE_LIMIT (64LL << 20) /* the WAL file is cut back to this */
#define PROBE_BYTES (1LL << 20)     /* free space store_probe_space() asks for */

/* ---- errors ---- */

/* Whether a failure (extended result code, and the errno of the failed
 * system call) means the disk is full: SQLITE_FULL (SQLite's unix VFS turns
 * a short write with ENOSPC into it; also max_page_count), or an I/O error
 * whose errno is ENOSPC or EDQUOT (growing the -shm, a truncate, an fsync). */
static int is_disk_full(int extended_code, int sys_errno)
{
    if ((extended_code & 0xff) == SQLITE_FULL)
        return 1;
    return (extended_code & 0xff) == SQLITE_IOERR && (sys_errno == ENOSPC || sys_errno == EDQUOT);
}

int store__failure_code(sqlite3 *db)
{
    return is_disk_full(sqlite3_extended_errcode(db), sqlite3_system_errno(db)) ? DD_EFULL : DD_EIO;
}

int store__sqlerr(sqlite3 *db, const char *what)
{
    int rc = store__failure_code(db);
    if (rc == DD_EFULL)
        dd_debug("sqlite error: storage full", "op=\"%.60s\" err=\"%s\"", what, sqlite3_errmsg(db));
    else
        dd_error("sqlite error", "op=\"%.60s\" err=\"%s\"", what, sqlite3_errmsg(db));
    return rc;
}

static int exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return store__sqlerr(db, sql);
    return 0;
}

/* ---- open ---- */

static int open_conn(const char *path, int sync_full, sqlite3 **out, char *errmsg, size_t errlen)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        snprintf(errmsg, errlen, "cannot open '%s': %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return DD_EIO;
    }
    sqlite3_busy_timeout(db, 10000);
    char sql[256];
    snprintf(sql, sizeof sql,
             "PRAGMA page_size=%d; PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
             " PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536; PRAGMA foreign_keys=OFF;"
             " PRAGMA journal_size_limit=%lld;",
             PAGE_SIZE, sync_full ? "FULL" : "NORMAL", WAL_SIZE_LIMIT);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(errmsg, errlen, "cannot set up '%s': %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(db);
        return DD_EIO;
    }
    *out = db;
    return 0;
}

static int migrate(sqlite3 *db, const char *path, char *errmsg, size_t errlen)
{
    if (exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                 " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)") != 0)
        goto fail;
    int64_t current = 0;
    if (store__run(db, &(struct store__query){
                           .what = "schema version",
                           .sql = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                           .row = store__row_int64,
                           .arg = &current}) != 0)
        goto fail;
    if (current > N_MIGRATIONS) {
        snprintf(errmsg, errlen,
                 "database '%s' has schema version %lld, newer than this driftd supports (%d): "
                 "upgrade driftd or use another --db",
                 path, (long long)current, N_MIGRATIONS);
        return DD_ESCHEMA;
    }
    for (int v = (int)current + 1; v <= N_MIGRATIONS; v++) {
        if (exec(db, "BEGIN IMMEDIATE") != 0)
            goto fail;
        if (exec(db, migrations[v - 1]) != 0 ||
            store__run(db, &(struct store__query){
                               .what = "schema migrations",
                               .sql = "INSERT INTO schema_migrations VALUES (?1, ?2)",
                               .args = STORE__ARGS(STORE__INT(v), STORE__INT(dd_now_ms()))}) != 0) {
            exec(db, "ROLLBACK");
            goto fail;
        }
        if (exec(db, "COMMIT") != 0)
            goto fail;
        dd_info("schema migrated", "db=\"%s\" version=%d", path, v);
    }
    return 0;
fail:
    snprintf(errmsg, errlen, "cannot migrate '%s': %s", path, sqlite3_errmsg(db));
    return DD_EIO;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return store__sqlerr(db, sql);
    return 0;
}

/* ---- the checkpointer ---- */

static void *checkpointer_main(void *arg)
{
    struct store *s = arg;
    int full = 0; /* the last checkpoint failed for lack of space: logged once */
    pthread_mutex_lock(&s->ckpt_mu);
    for (;;) {
        while (!s->ckpt_pending && !s->ckpt_stop)
            pthread_cond_wait(&s->ckpt_cv, &s->ckpt_mu);
        if (s->ckpt_stop)
            break;
        s->ckpt_pending = 0;
        pthread_mutex_unlock(&s->ckpt_mu);
        int log_pages = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(s->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_pages,
                                           &done);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && store__failure_code(s->ckpt_db) == DD_EFULL) {
            /* the WAL keeps the pages; the next wake-up tries again */
            if (!full)
                dd_warn("checkpoint failed: storage full", "db=\"%s\" err=\"%s\"", s->path,
                        sqlite3_errmsg(s->ckpt_db));
            full = 1;
        } else if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            dd_warn("checkpoint failed", "err=\"%s\"", sqlite3_errmsg(s->ckpt_db));
        } else if (rc == SQLITE_OK) {
            full = 0;
        }
        pthread_mutex_lock(&s->ckpt_mu);
    }
    pthread_mutex_unlock(&s->ckpt_mu);
    return NULL;
}

/* The writer connection's WAL hook: runs after each commit. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct store *s = arg;
    int inline_at = s->ckpt_started ? CKPT_HARD_PAGES : CKPT_SOFT_PAGES;
    if (pages >= inline_at) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (pages >= CKPT_SOFT_PAGES) {
        pthread_mutex_lock(&s->ckpt_mu);
        s->ckpt_pending = 1;
        pthread_cond_signal(&s->ckpt_cv);
        pthread_mutex_unlock(&s->ckpt_mu);
    }
    return SQLITE_OK;
}

static void checkpointer_start(struct store *s, int sync_full)
{
    char err[256] = "cannot start a thread";
    if (open_conn(s->path, sync_full, &s->ckpt_db, err, sizeof err) == 0 &&
        pthread_create(&s->ckpt_thread, NULL, checkpointer_main, s) == 0)
        s->ckpt_started = 1;
    else
        dd_warn("no checkpointer thread: the writer checkpoints itself", "detail=\"%s\"", err);
    sqlite3_wal_hook(s->w, on_wal_commit, s);
}

static void checkpointer_stop(struct store *s)
{
    if (s->ckpt_started) {
        dd_thread_stop(s->ckpt_thread, &s->ckpt_mu, &s->ckpt_cv, &s->ckpt_stop);
        s->ckpt_started = 0;
    }
    sqlite3_close(s->ckpt_db);
    s->ckpt_db = NULL;
}

int store_open(const struct store_options *o, struct store **out, char *errmsg, size_t errlen)
{
    struct store *s = dd_calloc(1, sizeof *s);
    int rc;
    s->path = dd_strdup(o->path);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_mutex_init(&s->ckpt_mu, NULL);
    pthread_cond_init(&s->ckpt_cv, NULL);
    if ((rc = open_conn(o->path, o->synchronous_full, &s->w, errmsg, errlen)) != 0)
        goto fail;
    if ((rc = migrate(s->w, o->path, errmsg, errlen)) != 0)
        goto fail;
    checkpointer_start(s, o->synchronous_full);
    rc = DD_EIO;
    if (prepare(s->w,
                "INSERT OR IGNORE INTO events (model_id, version_id, event_id, ts, received_at,"
                " prediction, confidence, latency_ms, label, probabilities, embedding, features)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                &s->w_insert) ||
        prepare(s->w, "SELECT id, COALESCE(embedding_dim, 0) FROM models WHERE name = ?1",
                &s->w_model_get) ||
        prepare(s->w, "INSERT INTO models (name, created_at) VALUES (?1, ?2)", &s->w_model_new) ||
        prepare(s->w, "UPDATE models SET embedding_dim = ?2 WHERE id = ?1", &s->w_model_dim) ||
        prepare(s->w, "SELECT id FROM versions WHERE model_id = ?1 AND name = ?2",
                &s->w_version_get) ||
        prepare(s->w, "INSERT INTO versions (model_id, name, created_at) VALUES (?1, ?2, ?3)",
                &s->w_version_new) ||
        prepare(s->w,
                "UPDATE versions SET events = events + ?2,"
                " first_ts = MIN(COALESCE(first_ts, ?3), ?3),"
                " last_ts = MAX(COALESCE(last_ts, ?4), ?4) WHERE id = ?1",
                &s->w_version_stats) ||
        prepare(s->w, "UPDATE events SET label = ?3 WHERE model_id = ?1 AND event_id = ?2",
                &s->w_label)) {
        snprintf(errmsg, errlen, "cannot prepare statements on '%s': %s", o->path,
                 sqlite3_errmsg(s->w));
        goto fail;
    }
    int readers = o->readers > 0 ? o->readers : 4;
    if (readers > STORE__MAX_READERS)
        readers = STORE__MAX_READERS;
    for (int i = 0; i < readers; i++) {
        if ((rc = open_conn(o->path, o->synchronous_full, &s->readers[i], errmsg, errlen)) != 0)
            goto fail;
        s->n_readers++;
        s->free_mask |= 1 << i;
    }
    *out = s;
    return 0;
fail:
    store_close(s);
    return rc;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    sqlite3_stmt *sts[] = {s->w_insert,      s->w_model_get,   s->w_model_new,     s->w_model_dim,
                           s->w_version_get, s->w_version_new, s->w_version_stats, s->w_label};
    for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++)
        sqlite3_finalize(sts[i]);
    for (int i = 0; i < s->n_readers; i++)
        sqlite3_close(s->readers[i]);
    checkpointer_stop(s);
    if (s->w) {
        /* fold the WAL back so the file is self-contained after a clean stop */
        sqlite3_exec(s->w, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        sqlite3_close(s->w);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->ckpt_mu);
    pthread_cond_destroy(&s->ckpt_cv);
    free(s->models);
    free(s->versions);
    free(s->path);
    free(s);
}

/* ---- the writer's transactions ---- */

static void caches_clear(struct store *s)
{
    s->n_models = 0;
    s->n_versions = 0;
}

int store_w_begin(struct store *s)
{
    s->w_changes0 = sqlite3_total_changes64(s->w);
    return exec(s->w, "BEGIN IMMEDIATE");
}

int store__flush_tallies(struct store *s, int64_t vid)
{
    for (size_t i = 0; i < s->n_versions; i++) {
        struct store__version *v = &s->versions[i];
        if (!v->add_events || (vid >= 0 && v->id != vid))
            continue;
        int rc = store__run(s->w,
                            &(struct store__query){
                                .what = "version stats",
                                .stmt = s->w_version_stats,
                                .args = STORE__ARGS(STORE__INT(v->id), STORE__INT(v->add_events),
                                                    STORE__INT(v->min_ts), STORE__INT(v->max_ts))});
        if (rc != 0)
            return rc;
        v->add_events = 0;
    }
    return 0;
}

int store_w_commit(struct store *s)
{
    int rc = store__flush_tallies(s, -1);
    return rc != 0 ? rc : exec(s->w, "COMMIT");
}

int store_w_changed(struct store *s)
{
    return sqlite3_total_changes64(s->w) != s->w_changes0;
}

void store_w_last_error(struct store *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s (sqlite code %d, errno %d)", sqlite3_errmsg(s->w),
             sqlite3_extended_errcode(s->w), sqlite3_system_errno(s->w));
}

void store_w_rollback(struct store *s)
{
    sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
    /* ids created inside the failed transaction are gone */
    caches_clear(s);
}

/* ---- the writer's name -> id caches ---- */

static void model_get_row(sqlite3_stmt *st, void *arg)
{
    struct store__model *m = arg;
    m->id = sqlite3_column_int64(st, 0);
    m->dim = (uint32_t)sqlite3_column_int64(st, 1);
}

struct store__model *store__model_find(struct store *s, const char *name, int create)
{
    for (size_t i = 0; i < s->n_models; i++)
        if (strcmp(s->models[i].name, name) == 0)
            return &s->models[i];
    struct store__model found = {.id = -1};
    if (store__run(s->w, &(struct store__query){.what = "model get",
                                                .stmt = s->w_model_get,
                                                .args = STORE__ARGS(STORE__TEXT(name)),
                                                .row = model_get_row,
                                                .arg = &found}) != 0)
        return NULL;
    if (found.id < 0) {
        if (!create || store__run(s->w, &(struct store__query){
                                            .what = "model new",
                                            .stmt = s->w_model_new,
                                            .args = STORE__ARGS(STORE__TEXT(name),
                                                                STORE__INT(dd_now_ms()))}) != 0)
            return NULL;
        found.id = sqlite3_last_insert_rowid(s->w);
    }
    if (s->n_models % 64 == 0) {
        if (s->n_models >= CACHE_MAX)
            s->n_models = 0;
        s->models = dd_realloc(s->models, (s->n_models + 64) * sizeof *s->models);
    }
    struct store__model *m = &s->models[s->n_models++];
    *m = found;
    snprintf(m->name, sizeof m->name, "%s", name);
    return m;
}

/* The id of the version of model_id into *id, -1 when there is none. */
static int version_get(struct store *s, int64_t model_id, const char *name, int64_t *id)
{
    *id = -1;
    return store__run(
        s->w, &(struct store__query){.what = "version get",
                                     .stmt = s->w_version_get,
                                     .args = STORE__ARGS(STORE__INT(model_id), STORE__TEXT(name)),
                                     .row = store__row_int64,
                                     .arg = id});
}

struct store__version *store__version_find(struct store *s, int64_t model_id, const char *name)
{
    for (size_t i = s->n_versions; i-- > 0;)
        if (s->versions[i].model_id == model_id && strcmp(s->versions[i].name, name) == 0)
            return &s->versions[i];
    int64_t id;
    if (version_get(s, model_id, name, &id) != 0)
        return NULL;
    if (id < 0) {
        if (store__run(s->w, &(struct store__query){
                                 .what = "version new",
                                 .stmt = s->w_version_new,
                                 .args = STORE__ARGS(STORE__INT(model_id), STORE__TEXT(name),
                                                     STORE__INT(dd_now_ms()))}) != 0)
            return NULL;
        id = sqlite3_last_insert_rowid(s->w);
    }
    if (s->n_versions % 64 == 0) {
        if (s->n_versions >= CACHE_MAX) {
            /* pending tallies must not be lost with the cache */
            if (store__flush_tallies(s, -1) != 0)
                return NULL;
            s->n_versions = 0;
        }
        s->versions = dd_realloc(s->versions, (s->n_versions + 64) * sizeof *s->versions);
    }
    struct store__version *v = &s->versions[s->n_versions++];
    v->model_id = model_id;
    v->id = id;
    snprintf(v->name, sizeof v->name, "%s", name);
    v->add_events = 0;
    return v;
}

int64_t store__version_id(struct store *s, const char *model, const char *version)
{
    struct store__model *m = store__model_find(s, model, 0);
    int64_t id;
    return m && version_get(s, m->id, version, &id) == 0 ? id : -1;
}

/* ---- the reader pool and the query helper ---- */

static sqlite3 *reader_take(struct store *s)
{
    pthread_mutex_lock(&s->mu);
    while (!s->free_mask)
        pthread_cond_wait(&s->cv, &s->mu);
    int i = __builtin_ctz((unsigned)s->free_mask);
    s->free_mask &= ~(1 << i);
    pthread_mutex_unlock(&s->mu);
    return s->readers[i];
}

static void reader_give(struct store *s, sqlite3 *db)
{
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n_readers; i++)
        if (s->readers[i] == db)
            s->free_mask |= 1 << i;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void store__row_int64(sqlite3_stmt *st, void *arg)
{
    *(int64_t *)arg = sqlite3_column_int64(st, 0);
}

void store__row_bytes(sqlite3_stmt *st, void *arg)
{
    struct store__bytes *b = arg;
    const void *p = sqlite3_column_blob(st, 0); /* before _bytes(), SQLite's rule */
    b->len = (size_t)sqlite3_column_bytes(st, 0);
    b->data = dd_malloc(b->len + 1);
    if (b->len)
        memcpy(b->data, p, b->len);
    b->data[b->len] = '\0';
}

int store__read_bytes(struct store *s, const struct store__query *q, char **data, size_t *len)
{
    struct store__bytes b = {0};
    struct store__query one = *q;
    one.row = store__row_bytes;
    one.arg = &b;
    one.one = 1;
    int rc = store__read(s, &one);
    if (rc != 0) {
        free(b.data);
        return rc;
    }
    *data = b.data;
    if (len)
        *len = b.len;
    return 0;
}

int store__read_rows(struct store *s, const struct store__query *q, size_t size,
                     void (*release)(void *item), void *out, size_t *n)
{
    struct store__rows rows = {.size = size, .release = release};
    struct store__query gather = *q;
    gather.arg = &rows;
    return store__rows_take(store__read(s, &gather), &rows, out, n);
}

void *store__rows_push(struct store__rows *r)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->items = dd_realloc(r->items, r->cap * r->size);
    }
    void *item = (char *)r->items + r->n++ * r->size;
    memset(item, 0, r->size);
    return item;
}

int64_t store__col_time(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, col);
}

char *store__col_strdup(sqlite3_stmt *st, int col, const char *dflt)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    return t ? dd_strdup(t) : dflt ? dd_strdup(dflt) : NULL;
}

/* A version's id on any connection (the writer has its cached statement,
 * store__version_id()). */
static int version_id_on(sqlite3 *db, const char *model, const char *version, int64_t *out)
{
    return store__run(db,
                      &(struct store__query){
                          .what = "version id",
                          .sql = "SELECT v.id FROM versions v JOIN models m ON m.id = v.model_id"
                                 " WHERE m.name = ?1 AND v.name = ?2",
                          .args = STORE__ARGS(STORE__TEXT(model), STORE__TEXT(version)),
                          .row = store__row_int64,
                          .arg = out,
                          .one = 1});
}

static void bind_arg(sqlite3_stmt *st, int i, const struct store__arg *a)
{
    switch (a->type) {
    case STORE__INT_ARG:
        sqlite3_bind_int64(st, i, a->i);
        break;
    case STORE__TEXT_ARG:
        sqlite3_bind_text(st, i, a->p, -1, SQLITE_STATIC);
        break;
    case STORE__BLOB_ARG:
        sqlite3_bind_blob64(st, i, a->p, a->len, SQLITE_STATIC);
        break;
    case STORE__END:
        break;
    }
}

int store__run(sqlite3 *db, const struct store__query *q)
{
    int64_t vid = 0;
    if (q->version) {
        int rc = version_id_on(db, q->model, q->version, &vid);
        if (rc != 0)
            return rc;
    }
    sqlite3_stmt *st = q->stmt;
    if (!st && sqlite3_prepare_v2(db, q->sql, -1, &st, NULL) != SQLITE_OK)
        return store__sqlerr(db, q->what);
    int param = 1;
    if (q->version)
        sqlite3_bind_int64(st, param++, vid);
    for (const struct store__arg *a = q->args; a && a->type != STORE__END; a++)
        bind_arg(st, param++, a);
    int step, rows = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        rows = 1;
        if (q->row)
            q->row(st, q->arg);
    }
    /* the error before finalize: it is the statement's */
    int rc = step != SQLITE_DONE ? store__sqlerr(db, q->what) : q->one && !rows ? DD_ENOTFOUND : 0;
    if (rc == 0 && q->changes)
        *q->changes = sqlite3_changes64(db);
    if (q->stmt)
        sqlite3_reset(st);
    else
        sqlite3_finalize(st);
    return rc;
}

int store__read(struct store *s, const struct store__query *q)
{
    sqlite3 *db = reader_take(s);
    int rc = store__run(db, q);
    reader_give(s, db);
    return rc == DD_EFULL ? DD_EIO : rc;
}

/* ---- the file ---- */

const char *store_path(const struct store *s)
{
    return s->path;
}

int store_probe_space(struct store *s)
{
    char path[4200];
    snprintf(path, sizeof path, "%s-spaceprobe", s->path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == ENOSPC || errno == EDQUOT ? DD_EFULL : DD_EIO;
    /* reserves the blocks (or writes them, where the file system cannot) */
    int err = posix_fallocate(fd, 0, PROBE_BYTES);
    if (err == 0 && fsync(fd) != 0)
        err = errno;
    close(fd);
    unlink(path);
    if (err == 0)
        return 0;
    return err == ENOSPC || err == EDQUOT ? DD_EFULL : DD_EIO;
}
