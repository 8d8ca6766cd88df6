/* store.c — SQLite schema, migrations and the statements of store.h.
 *
 * Reading order: the migrations table, store_open() (pragmas, migrate,
 * prepare), the writer's insert path with its small name -> id caches, then
 * the readers and the keys.
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
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/timefmt.h"
#include "analysis/eval.h"

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
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))
_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION, "STORE_SCHEMA_VERSION must match");

#define MAX_READERS 16
#define CACHE_MAX 4096 /* entries per name cache before it is flushed */
#define PAGE_SIZE 16384 /* for new databases; an existing file keeps its own */
#define CKPT_SOFT_PAGES 1024  /* 16 MiB of WAL: wake the checkpointer */
#define CKPT_HARD_PAGES 8192  /* 128 MiB: the writer finishes the checkpoint */
#define WAL_SIZE_LIMIT (64LL << 20) /* the WAL file is cut back to this */
#define PROBE_BYTES (1LL << 20)     /* free space store_probe_space() asks for */

struct model_entry {
    char name[DD_NAME_MAX + 1];
    int64_t id;
    uint32_t dim;
};
struct version_entry {
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
    struct model_entry *models;
    size_t n_models;
    struct version_entry *versions;
    size_t n_versions;
    int64_t w_changes0;    /* sqlite3_total_changes64() at store_w_begin() */
    /* checkpointer: its own connection; ckpt_* guarded by ckpt_mu */
    sqlite3 *ckpt_db;
    pthread_t ckpt_thread;
    int ckpt_started, ckpt_pending, ckpt_stop;
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
    /* reader pool: protected by mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sqlite3 *readers[MAX_READERS];
    int n_readers, free_mask;
};

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

/* Our code for the failure db just reported: DD_EFULL or DD_EIO. */
static int failure_code(sqlite3 *db)
{
    return is_disk_full(sqlite3_extended_errcode(db), sqlite3_system_errno(db)) ? DD_EFULL
                                                                               : DD_EIO;
}

/* Logs a failure and returns its code.  A full disk is not logged here: the
 * writer logs when it starts and when it ends (writer.c), not per request. */
static int sqlerr(sqlite3 *db, const char *what)
{
    int rc = failure_code(db);
    if (rc == DD_EFULL)
        dd_debug("sqlite error: storage full", "op=\"%.60s\" err=\"%s\"", what, sqlite3_errmsg(db));
    else
        dd_error("sqlite error", "op=\"%.60s\" err=\"%s\"", what, sqlite3_errmsg(db));
    return rc;
}

static int exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sqlerr(db, sql);
    return 0;
}

static int open_conn(const char *path, int sync_full, sqlite3 **out, char *errmsg,
                     size_t errlen)
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
    sqlite3_stmt *st = NULL;
    int current = 0;
    if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1,
                           &st, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_step(st) == SQLITE_ROW)
        current = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (current > N_MIGRATIONS) {
        snprintf(errmsg, errlen,
                 "database '%s' has schema version %d, newer than this driftd supports (%d): "
                 "upgrade driftd or use another --db",
                 path, current, N_MIGRATIONS);
        return DD_ESCHEMA;
    }
    for (int v = current + 1; v <= N_MIGRATIONS; v++) {
        char rec[128];
        snprintf(rec, sizeof rec, "INSERT INTO schema_migrations VALUES (%d, %lld)", v,
                 (long long)dd_now_ms());
        if (exec(db, "BEGIN IMMEDIATE") != 0)
            goto fail;
        if (exec(db, migrations[v - 1]) != 0 || exec(db, rec) != 0) {
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
        return sqlerr(db, sql);
    return 0;
}

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
        int rc = sqlite3_wal_checkpoint_v2(s->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                           &log_pages, &done);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && failure_code(s->ckpt_db) == DD_EFULL) {
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
        pthread_mutex_lock(&s->ckpt_mu);
        s->ckpt_stop = 1;
        pthread_cond_signal(&s->ckpt_cv);
        pthread_mutex_unlock(&s->ckpt_mu);
        pthread_join(s->ckpt_thread, NULL);
        s->ckpt_started = 0;
    }
    sqlite3_close(s->ckpt_db);
    s->ckpt_db = NULL;
}

int store_open(const struct store_options *o, struct store **out, char *errmsg,
               size_t errlen)
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
        prepare(s->w, "INSERT INTO models (name, created_at) VALUES (?1, ?2)",
                &s->w_model_new) ||
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
    if (readers > MAX_READERS)
        readers = MAX_READERS;
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
    sqlite3_stmt *sts[] = {s->w_insert,      s->w_model_get,     s->w_model_new,
                           s->w_model_dim,   s->w_version_get,   s->w_version_new,
                           s->w_version_stats, s->w_label};
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

/* ---- writer ---- */

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

static int flush_version_stats(struct store *s)
{
    for (size_t i = 0; i < s->n_versions; i++) {
        struct version_entry *v = &s->versions[i];
        if (!v->add_events)
            continue;
        sqlite3_stmt *st = s->w_version_stats;
        sqlite3_bind_int64(st, 1, v->id);
        sqlite3_bind_int64(st, 2, v->add_events);
        sqlite3_bind_int64(st, 3, v->min_ts);
        sqlite3_bind_int64(st, 4, v->max_ts);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return sqlerr(s->w, "version stats");
        v->add_events = 0;
    }
    return 0;
}

int store_w_commit(struct store *s)
{
    int rc = flush_version_stats(s);
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

void store_w_rollback(struct store *s)
{
    sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
    /* ids created inside the failed transaction are gone */
    caches_clear(s);
}

static struct model_entry *model_find(struct store *s, const char *name, int create)
{
    for (size_t i = 0; i < s->n_models; i++)
        if (strcmp(s->models[i].name, name) == 0)
            return &s->models[i];
    sqlite3_stmt *st = s->w_model_get;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int64_t id = -1;
    uint32_t dim = 0;
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        dim = (uint32_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sqlerr(s->w, "model get");
        return NULL;
    }
    if (id < 0) {
        if (!create)
            return NULL;
        st = s->w_model_new;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, dd_now_ms());
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            sqlerr(s->w, "model new");
            return NULL;
        }
        id = sqlite3_last_insert_rowid(s->w);
    }
    if (s->n_models % 64 == 0) {
        if (s->n_models >= CACHE_MAX)
            s->n_models = 0;
        s->models = dd_realloc(s->models, (s->n_models + 64) * sizeof *s->models);
    }
    struct model_entry *m = &s->models[s->n_models++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->id = id;
    m->dim = dim;
    return m;
}

static struct version_entry *version_find(struct store *s, int64_t model_id, const char *name)
{
    for (size_t i = s->n_versions; i-- > 0;)
        if (s->versions[i].model_id == model_id && strcmp(s->versions[i].name, name) == 0)
            return &s->versions[i];
    sqlite3_stmt *st = s->w_version_get;
    sqlite3_bind_int64(st, 1, model_id);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sqlerr(s->w, "version get");
        return NULL;
    }
    if (id < 0) {
        st = s->w_version_new;
        sqlite3_bind_int64(st, 1, model_id);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, dd_now_ms());
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            sqlerr(s->w, "version new");
            return NULL;
        }
        id = sqlite3_last_insert_rowid(s->w);
    }
    if (s->n_versions % 64 == 0) {
        if (s->n_versions >= CACHE_MAX) {
            /* pending tallies must not be lost with the cache */
            if (flush_version_stats(s) != 0)
                return NULL;
            s->n_versions = 0;
        }
        s->versions = dd_realloc(s->versions, (s->n_versions + 64) * sizeof *s->versions);
    }
    struct version_entry *v = &s->versions[s->n_versions++];
    v->model_id = model_id;
    v->id = id;
    snprintf(v->name, sizeof v->name, "%s", name);
    v->add_events = 0;
    return v;
}

/* Binds an event to the events table's parameter numbers (?1..?12); other
 * statements that insert events use the same numbers. */
static void bind_event(sqlite3_stmt *st, int64_t model_id, struct version_entry *v,
                       const struct dd_event *e, int64_t ts, int64_t received_ms)
{
    sqlite3_bind_int64(st, 1, model_id);
    sqlite3_bind_int64(st, 2, v->id);
    if (e->id)
        sqlite3_bind_text(st, 3, e->id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_int64(st, 4, ts);
    sqlite3_bind_int64(st, 5, received_ms);
    if (e->prediction)
        sqlite3_bind_text(st, 6, e->prediction, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 6);
    if (e->has & DD_HAS_CONFIDENCE)
        sqlite3_bind_double(st, 7, e->confidence);
    else
        sqlite3_bind_null(st, 7);
    if (e->has & DD_HAS_LATENCY)
        sqlite3_bind_double(st, 8, e->latency_ms);
    else
        sqlite3_bind_null(st, 8);
    if (e->label)
        sqlite3_bind_text(st, 9, e->label, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 9);
    if (e->n_probabilities)
        sqlite3_bind_blob(st, 10, e->probabilities, (int)(e->n_probabilities * 4),
                          SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 10);
    if (e->dim)
        sqlite3_bind_blob(st, 11, e->embedding, (int)(e->dim * 4), SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 11);
    if (e->features)
        sqlite3_bind_blob(st, 12, e->features, (int)e->features_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 12);
}

int store_w_insert_batch(struct store *s, const char *model, const struct dd_batch *b,
                         int64_t received_ms, struct store_ingest_result *out)
{
    out->accepted = out->duplicates = 0;
    out->conflict_index = -1;
    out->model_dim = 0;
    struct model_entry *m = model_find(s, model, 1);
    if (!m)
        return failure_code(s->w);
    if (b->dim && m->dim && b->dim != m->dim) {
        for (size_t i = 0; i < b->n; i++)
            if (b->events[i].dim) {
                out->conflict_index = (long)i;
                break;
            }
        out->model_dim = m->dim;
        return DD_ECONFLICT;
    }
    if (b->dim && !m->dim) {
        sqlite3_stmt *st = s->w_model_dim;
        sqlite3_bind_int64(st, 1, m->id);
        sqlite3_bind_int64(st, 2, b->dim);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return sqlerr(s->w, "model dim");
        m->dim = b->dim;
    }
    int64_t model_id = m->id;
    struct version_entry *v = NULL;
    for (size_t i = 0; i < b->n; i++) {
        const struct dd_event *e = &b->events[i];
        if (!v || strcmp(v->name, e->version) != 0) {
            v = version_find(s, model_id, e->version);
            if (!v)
                return failure_code(s->w);
        }
        int64_t ts = (e->has & DD_HAS_TS) ? e->ts_ms : received_ms;
        bind_event(s->w_insert, model_id, v, e, ts, received_ms);
        int rc = sqlite3_step(s->w_insert);
        sqlite3_reset(s->w_insert);
        if (rc != SQLITE_DONE)
            return sqlerr(s->w, "insert event");
        if (sqlite3_changes(s->w) > 0) {
            out->accepted++;
            if (!v->add_events || ts < v->min_ts)
                v->min_ts = ts;
            if (!v->add_events || ts > v->max_ts)
                v->max_ts = ts;
            v->add_events++;
        } else {
            out->duplicates++;
        }
    }
    return 0;
}

int store_w_apply_labels(struct store *s, const char *model, const struct dd_labels *l,
                         size_t *updated, size_t *unknown)
{
    struct model_entry *m = model_find(s, model, 0);
    if (!m)
        return DD_ENOTFOUND;
    size_t up = 0, unk = 0;
    for (size_t i = 0; i < l->n; i++) {
        sqlite3_stmt *st = s->w_label;
        sqlite3_bind_int64(st, 1, m->id);
        sqlite3_bind_text(st, 2, l->items[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, l->items[i].label, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return sqlerr(s->w, "label");
        if (sqlite3_changes(s->w) > 0)
            up++;
        else
            unk++;
    }
    *updated = up;
    *unknown = unk;
    return 0;
}

/* ---- readers ---- */

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

static int64_t col_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

int store_r_models(struct store *s, const char *only, struct store_model_info **out, size_t *n)
{
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    struct store_model_info *ms = NULL;
    size_t nm = 0;
    int rc = DD_EIO;
    const char *sql =
        "SELECT m.name, COALESCE(m.embedding_dim, 0), v.name, v.events, v.first_ts, v.last_ts"
        " FROM models m LEFT JOIN versions v ON v.model_id = m.id"
        " WHERE ?1 IS NULL OR m.name = ?1 ORDER BY m.name, v.name";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlerr(db, "models");
        goto out;
    }
    if (only)
        sqlite3_bind_text(st, 1, only, -1, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        struct store_model_info *m = nm ? &ms[nm - 1] : NULL;
        if (!m || strcmp(m->name, name) != 0) {
            ms = dd_realloc(ms, (nm + 1) * sizeof *ms);
            m = &ms[nm++];
            memset(m, 0, sizeof *m);
            snprintf(m->name, sizeof m->name, "%s", name);
            m->embedding_dim = (uint32_t)sqlite3_column_int64(st, 1);
            m->last_ms = -1;
        }
        if (sqlite3_column_type(st, 2) == SQLITE_NULL)
            continue;
        m->versions = dd_realloc(m->versions, (m->n_versions + 1) * sizeof *m->versions);
        struct store_version_info *v = &m->versions[m->n_versions++];
        memset(v, 0, sizeof *v);
        snprintf(v->name, sizeof v->name, "%s", (const char *)sqlite3_column_text(st, 2));
        v->events = sqlite3_column_int64(st, 3);
        v->first_ms = col_time(st, 4);
        v->last_ms = col_time(st, 5);
        m->events += v->events;
        if (v->last_ms > m->last_ms)
            m->last_ms = v->last_ms;
    }
    if (step != SQLITE_DONE) {
        sqlerr(db, "models step");
        goto out;
    }
    if (only && nm == 0) {
        rc = DD_ENOTFOUND;
        goto out;
    }
    *out = ms;
    *n = nm;
    ms = NULL;
    nm = 0;
    rc = 0;
out:
    sqlite3_finalize(st);
    reader_give(s, db);
    store_models_free(ms, nm);
    return rc;
}

void store_models_free(struct store_model_info *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(m[i].versions);
    free(m);
}

int store_r_event_count(struct store *s, int64_t *out)
{
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    int rc = DD_EIO;
    if (sqlite3_prepare_v2(db, "SELECT COALESCE(SUM(events), 0) FROM versions", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = 0;
    } else {
        sqlerr(db, "event count");
    }
    sqlite3_finalize(st);
    reader_give(s, db);
    return rc;
}

/* ---- keys ---- */

const char *store_role_name(int role)
{
    switch (role) {
    case DD_ROLE_INGEST: return "ingest";
    case DD_ROLE_READ: return "read";
    case DD_ROLE_ADMIN: return "admin";
    }
    return "?";
}

int store_role_parse(const char *s)
{
    for (int r = DD_ROLE_INGEST; r <= DD_ROLE_ADMIN; r++)
        if (strcmp(s, store_role_name(r)) == 0)
            return r;
    return 0;
}

int store_keys_list(struct store *s, struct store_key **out, size_t *n)
{
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    struct store_key *ks = NULL;
    size_t nk = 0;
    int rc = DD_EIO;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, role, hash, created_at, revoked_at FROM api_keys"
                           " ORDER BY created_at, id",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlerr(db, "keys list");
        goto out;
    }
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        ks = dd_realloc(ks, (nk + 1) * sizeof *ks);
        struct store_key *k = &ks[nk++];
        memset(k, 0, sizeof *k);
        snprintf(k->id, sizeof k->id, "%s", (const char *)sqlite3_column_text(st, 0));
        k->role = store_role_parse((const char *)sqlite3_column_text(st, 1));
        if (sqlite3_column_bytes(st, 2) == 32)
            memcpy(k->hash, sqlite3_column_blob(st, 2), 32);
        k->created_ms = sqlite3_column_int64(st, 3);
        k->revoked_ms = col_time(st, 4);
    }
    if (step != SQLITE_DONE) {
        sqlerr(db, "keys list step");
        goto out;
    }
    *out = ks;
    *n = nk;
    ks = NULL;
    rc = 0;
out:
    sqlite3_finalize(st);
    reader_give(s, db);
    free(ks);
    return rc;
}

int store_key_insert(struct store *s, const struct store_key *k)
{
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    int rc = DD_EIO;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO api_keys (id, role, hash, created_at) VALUES (?1,?2,?3,?4)",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, k->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, store_role_name(k->role), -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, k->hash, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, k->created_ms);
        if (sqlite3_step(st) == SQLITE_DONE)
            rc = 0;
    }
    if (rc)
        sqlerr(db, "key insert");
    sqlite3_finalize(st);
    reader_give(s, db);
    return rc;
}

int store_key_revoke(struct store *s, const char *id)
{
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    int rc = DD_EIO;
    if (sqlite3_prepare_v2(db,
                           "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, dd_now_ms());
        if (sqlite3_step(st) == SQLITE_DONE)
            rc = sqlite3_changes(db) > 0 ? 0 : DD_ENOTFOUND;
    }
    if (rc == DD_EIO)
        sqlerr(db, "key revoke");
    sqlite3_finalize(st);
    reader_give(s, db);
    return rc;
}

/* ---- event windows ---- */

static int version_id(sqlite3 *db, const char *model, const char *version, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = DD_ENOTFOUND;
    if (sqlite3_prepare_v2(db,
                           "SELECT v.id FROM versions v JOIN models m ON m.id = v.model_id"
                           " WHERE m.name = ?1 AND v.name = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlerr(db, "version id");
    sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

static const void *arena_blob(struct dd_arena *a, sqlite3_stmt *st, int col, size_t *len)
{
    *len = (size_t)sqlite3_column_bytes(st, col);
    const void *p = sqlite3_column_blob(st, col);
    if (!p || !*len)
        return NULL;
    void *d = dd_arena_alloc(a, *len);
    memcpy(d, p, *len);
    return d;
}

static const char *arena_text(struct dd_arena *a, sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    return t ? dd_arena_strndup(a, t, (size_t)sqlite3_column_bytes(st, col)) : NULL;
}

int store_r_events(struct store *s, const char *model, const char *version,
                   const struct store_window *w, struct dd_batch *out,
                   struct store_window_info *info)
{
    dd_batch_init(out);
    memset(info, 0, sizeof *info);
    info->from_ms = info->to_ms = -1;
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    int64_t vid;
    int rc = version_id(db, model, version, &vid);
    if (rc != 0)
        goto out;
    version = dd_arena_strndup(&out->arena, version, strlen(version));
    rc = DD_EIO;
    /* the (version_id, ts) index serves every one of these; the newest
     * max_sample events of a time window are read newest first */
    size_t cap = w->max_sample ? w->max_sample : SIZE_MAX;
    const char *sql;
    if (w->reference) {
        sql = "SELECT NULL, ts, prediction, confidence, latency_ms, label, probabilities,"
              " embedding, features FROM ref_events WHERE version_id = ?1 ORDER BY ts, id LIMIT ?2";
    } else if (w->first_n) {
        sql = "SELECT event_id, ts, prediction, confidence, latency_ms, label, probabilities,"
              " embedding, features FROM events WHERE version_id = ?1 ORDER BY ts, id LIMIT ?2";
        if (w->first_n < cap)
            cap = w->first_n;
    } else if (w->last_n) {
        sql = "SELECT event_id, ts, prediction, confidence, latency_ms, label, probabilities,"
              " embedding, features FROM events WHERE version_id = ?1"
              " ORDER BY ts DESC, id DESC LIMIT ?2";
        if (w->last_n < cap)
            cap = w->last_n;
    } else {
        sql = "SELECT event_id, ts, prediction, confidence, latency_ms, label, probabilities,"
              " embedding, features FROM events WHERE version_id = ?1 AND ts BETWEEN ?3 AND ?4"
              " ORDER BY ts DESC, id DESC LIMIT ?2";
    }
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlerr(db, "events window");
        goto out;
    }
    sqlite3_bind_int64(st, 1, vid);
    sqlite3_bind_int64(st, 2, cap == SIZE_MAX ? -1 : (int64_t)cap);
    sqlite3_bind_int64(st, 3, w->from_ms);
    sqlite3_bind_int64(st, 4, w->to_ms);
    size_t n = 0, alloc = 0;
    struct dd_event *ev = NULL;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == alloc) {
            alloc = alloc ? alloc * 2 : 1024;
            ev = dd_realloc(ev, alloc * sizeof *ev);
        }
        struct dd_event *e = &ev[n++];
        memset(e, 0, sizeof *e);
        struct dd_arena *a = &out->arena;
        e->version = version;
        e->id = arena_text(a, st, 0);
        e->ts_ms = sqlite3_column_int64(st, 1);
        e->has = DD_HAS_TS;
        e->prediction = arena_text(a, st, 2);
        if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
            e->confidence = sqlite3_column_double(st, 3);
            e->has |= DD_HAS_CONFIDENCE;
        }
        if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
            e->latency_ms = sqlite3_column_double(st, 4);
            e->has |= DD_HAS_LATENCY;
        }
        e->label = arena_text(a, st, 5);
        size_t len;
        e->probabilities = arena_blob(a, st, 6, &len);
        e->n_probabilities = (uint32_t)(len / 4);
        e->embedding = arena_blob(a, st, 7, &len);
        e->dim = (uint32_t)(len / 4);
        if (e->dim && !out->dim)
            out->dim = e->dim;
        e->features = arena_blob(a, st, 8, &len);
        e->features_len = (uint32_t)len;
        if (info->from_ms < 0 || e->ts_ms < info->from_ms)
            info->from_ms = e->ts_ms;
        if (e->ts_ms > info->to_ms)
            info->to_ms = e->ts_ms;
    }
    if (step != SQLITE_DONE) {
        free(ev);
        sqlerr(db, "events window step");
        goto out;
    }
    /* events live in the arena so the batch frees them with everything else */
    out->events = dd_arena_alloc(&out->arena, (n ? n : 1) * sizeof *ev);
    if (n)
        memcpy(out->events, ev, n * sizeof *ev);
    free(ev);
    out->n = n;
    info->total = n;
    if (!w->reference && !w->first_n && !w->last_n && w->max_sample && n == w->max_sample) {
        /* the cap was reached: count the whole window for the report */
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(db,
                               "SELECT COUNT(*) FROM events WHERE version_id = ?1"
                               " AND ts BETWEEN ?2 AND ?3",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, vid);
            sqlite3_bind_int64(st, 2, w->from_ms);
            sqlite3_bind_int64(st, 3, w->to_ms);
            if (sqlite3_step(st) == SQLITE_ROW)
                info->total = (size_t)sqlite3_column_int64(st, 0);
        }
        info->sampled = info->total > n;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    reader_give(s, db);
    if (rc != 0)
        dd_batch_release(out);
    return rc;
}

/* ---- references ---- */

/* Runs sql with integer parameters ?1..?n and, when text is not NULL, text
 * as ?(n+1); the first result column of its first row (if any) into
 * *first. */
static int exec_ints(sqlite3 *db, const char *sql, const int64_t *v, int n, const char *text,
                     int64_t *first)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return sqlerr(db, sql);
    for (int i = 0; i < n; i++)
        sqlite3_bind_int64(st, i + 1, v[i]);
    if (text)
        sqlite3_bind_text(st, n + 1, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && first)
        *first = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sqlerr(db, sql);
}

/* exec_ints() with ?1..?3 (parameters the statement does not have are
 * ignored: SQLITE_RANGE) and text as ?4. */
static int exec_bound(sqlite3 *db, const char *sql, int64_t a, int64_t b, int64_t c,
                      const char *text)
{
    int64_t v[3] = {a, b, c};
    return exec_ints(db, sql, v, 3, text, NULL);
}

static int64_t w_version_id(struct store *s, const char *model, const char *version)
{
    struct model_entry *m = model_find(s, model, 0);
    if (!m)
        return -1;
    int64_t vid = -1;
    sqlite3_stmt *st = s->w_version_get;
    sqlite3_bind_int64(st, 1, m->id);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        vid = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return vid;
}

/* Replaces the refs row from what ref_events now holds for the version. */
static int refs_update(struct store *s, int64_t vid, const char *source)
{
    return exec_bound(s->w,
                      "INSERT OR REPLACE INTO refs (version_id, source, events, first_ts, last_ts,"
                      " set_at) SELECT ?1, ?4, COUNT(*), MIN(ts), MAX(ts),"
                      /* strictly increasing: set_at identifies a reference (refcache.h) */
                      " MAX(?2, COALESCE((SELECT set_at + 1 FROM refs WHERE version_id = ?1), 0))"
                      " FROM ref_events"
                      " WHERE version_id = ?1",
                      vid, dd_now_ms(), 0, source);
}

int store_w_set_reference_events(struct store *s, const char *model, const char *version,
                                 const struct dd_batch *b, struct store_ingest_result *out)
{
    memset(out, 0, sizeof *out);
    out->conflict_index = -1;
    struct model_entry *m = model_find(s, model, 1);
    if (!m)
        return failure_code(s->w);
    if (b->dim && m->dim && b->dim != m->dim) {
        for (size_t i = 0; i < b->n; i++)
            if (b->events[i].dim) {
                out->conflict_index = (long)i;
                break;
            }
        out->model_dim = m->dim;
        return DD_ECONFLICT;
    }
    if (b->dim && !m->dim) {
        if (exec_bound(s->w, "UPDATE models SET embedding_dim = ?2 WHERE id = ?1",
                       m->id, b->dim, 0, NULL) != 0)
            return failure_code(s->w);
        m->dim = b->dim;
    }
    struct version_entry *v = version_find(s, m->id, version);
    if (!v)
        return failure_code(s->w);
    if (exec_bound(s->w, "DELETE FROM ref_events WHERE version_id = ?1",
                   v->id, 0, 0, NULL) != 0)
        return failure_code(s->w);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->w,
                           "INSERT INTO ref_events (version_id, ts, prediction, confidence,"
                           " latency_ms, label, probabilities, embedding, features)"
                           " VALUES (?2, ?4, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlerr(s->w, "ref insert");
    int64_t now = dd_now_ms();
    int rc = 0;
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        const struct dd_event *e = &b->events[i];
        bind_event(st, m->id, v, e, (e->has & DD_HAS_TS) ? e->ts_ms : now, now);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sqlerr(s->w, "ref insert step");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc == 0)
        rc = refs_update(s, v->id, "events");
    out->accepted = rc == 0 ? b->n : 0;
    return rc;
}

#define REF_COLUMNS "version_id, ts, prediction, confidence, latency_ms, label, probabilities," \
                    " embedding, features"

int store_w_set_reference_range(struct store *s, const char *model, const char *version,
                                const struct store_range_sample *r, size_t *events)
{
    *events = 0;
    int64_t vid = w_version_id(s, model, version);
    if (vid < 0)
        return DD_ENOTFOUND;
    if (exec_bound(s->w, "DELETE FROM ref_events WHERE version_id = ?1", vid, 0, 0, NULL) != 0)
        return failure_code(s->w);
    if (!r->n_ids) {
        int64_t v[4] = {vid, r->from_ms, r->to_ms, r->max ? (int64_t)r->max : -1};
        if (exec_ints(s->w,
                      "INSERT INTO ref_events (" REF_COLUMNS ") SELECT " REF_COLUMNS
                      " FROM events WHERE version_id = ?1 AND ts BETWEEN ?2 AND ?3"
                      " ORDER BY ts, id LIMIT ?4",
                      v, 4, NULL, NULL) != 0)
            return failure_code(s->w);
        *events = (size_t)sqlite3_changes(s->w);
        return refs_update(s, vid, "range");
    }
    /* the chosen events, one point lookup each; one deleted since (retention)
     * is simply missing */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->w,
                           "INSERT INTO ref_events (" REF_COLUMNS ") SELECT " REF_COLUMNS
                           " FROM events WHERE id = ?1 AND version_id = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlerr(s->w, "ref sample");
    int rc = 0;
    sqlite3_bind_int64(st, 2, vid);
    for (size_t i = 0; i < r->n_ids && rc == 0; i++) {
        sqlite3_bind_int64(st, 1, r->ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sqlerr(s->w, "ref sample step");
        else
            *events += (size_t)sqlite3_changes(s->w);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc != 0 ? rc : refs_update(s, vid, "range");
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int store_r_range_sample(struct store *s, const char *model, const char *version,
                         struct store_range_sample *r)
{
    r->in_range = 0;
    r->ids = NULL;
    r->n_ids = 0;
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    int64_t vid, n = 0;
    int rc = version_id(db, model, version, &vid);
    if (rc != 0)
        goto out;
    int64_t v[3] = {vid, r->from_ms, r->to_ms};
    rc = DD_EIO;
    /* both statements read the (version_id, ts) index alone: its entries
     * carry the id */
    if (exec_ints(db, "SELECT COUNT(*) FROM events WHERE version_id = ?1 AND ts BETWEEN ?2 AND ?3",
                  v, 3, NULL, &n) != 0)
        goto out;
    r->in_range = (size_t)n;
    if (!r->max || (uint64_t)n <= r->max) {
        rc = 0;
        goto out;
    }
    int64_t step = (n + (int64_t)r->max - 1) / (int64_t)r->max;
    if (sqlite3_prepare_v2(db,
                           "SELECT id FROM events WHERE version_id = ?1 AND ts BETWEEN ?2 AND ?3"
                           " ORDER BY ts, id",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlerr(db, "range sample");
        goto out;
    }
    for (int i = 0; i < 3; i++)
        sqlite3_bind_int64(st, i + 1, v[i]);
    r->ids = dd_malloc(r->max * sizeof *r->ids);
    int step_rc;
    for (int64_t rn = 0; (step_rc = sqlite3_step(st)) == SQLITE_ROW; rn++)
        if (rn % step == 0 && r->n_ids < r->max)
            r->ids[r->n_ids++] = sqlite3_column_int64(st, 0);
    if (step_rc != SQLITE_DONE) {
        sqlerr(db, "range sample step");
        store_range_sample_release(r);
        goto out;
    }
    /* in table order: the writer's copy then reads events front to back */
    qsort(r->ids, r->n_ids, sizeof *r->ids, cmp_id);
    rc = 0;
out:
    sqlite3_finalize(st);
    reader_give(s, db);
    return rc;
}

void store_range_sample_release(struct store_range_sample *r)
{
    free(r->ids);
    r->ids = NULL;
    r->n_ids = 0;
}

int store_r_reference(struct store *s, const char *model, const char *version,
                      struct store_reference *out, int *version_exists)
{
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    int64_t vid;
    int rc = version_id(db, model, version, &vid);
    *version_exists = rc == 0;
    if (rc != 0)
        goto out;
    rc = DD_EIO;
    if (sqlite3_prepare_v2(db,
                           "SELECT source, events, first_ts, last_ts, set_at FROM refs"
                           " WHERE version_id = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlerr(db, "reference");
        goto out;
    }
    sqlite3_bind_int64(st, 1, vid);
    rc = DD_ENOTFOUND;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out->source, sizeof out->source, "%s", (const char *)sqlite3_column_text(st, 0));
        out->events = sqlite3_column_int64(st, 1);
        out->first_ms = col_time(st, 2);
        out->last_ms = col_time(st, 3);
        out->set_ms = sqlite3_column_int64(st, 4);
        rc = 0;
    }
out:
    sqlite3_finalize(st);
    reader_give(s, db);
    return rc;
}

/* ---- evaluations ---- */

static void bind_double_or_null(sqlite3_stmt *st, int i, double v)
{
    if (v == v)
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

int store_w_insert_evaluation(struct store *s, const char *model, const char *version,
                              const char *window, int64_t computed_ms, const char *status,
                              const struct dd_report *rep, const char *body)
{
    int64_t vid = w_version_id(s, model, version);
    if (vid < 0)
        return DD_ENOTFOUND;
    sqlite3_stmt *st = NULL;
    int rc = DD_EIO;
    if (sqlite3_prepare_v2(s->w,
                           "INSERT INTO evaluations (version_id, window, computed_at, status, body)"
                           " VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlerr(s->w, "evaluation insert");
    sqlite3_bind_int64(st, 1, vid);
    sqlite3_bind_text(st, 2, window, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, computed_ms);
    sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, body, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = sqlerr(s->w, "evaluation insert step");
        goto out;
    }
    int64_t eid = sqlite3_last_insert_rowid(s->w);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(s->w,
                           "INSERT INTO drift_results (evaluation_id, version_id, computed_at,"
                           " signal, method, statistic, p_value, threshold, drift, n_ref, n_cur)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sqlerr(s->w, "results insert");
        goto out;
    }
    for (size_t i = 0; i < rep->n_results; i++) {
        const struct dd_result *r = &rep->results[i];
        if (r->status != 0)
            continue; /* insufficient data: nothing to plot */
        sqlite3_bind_int64(st, 1, eid);
        sqlite3_bind_int64(st, 2, vid);
        sqlite3_bind_int64(st, 3, computed_ms);
        sqlite3_bind_text(st, 4, r->signal, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, r->method, -1, SQLITE_STATIC);
        bind_double_or_null(st, 6, r->statistic);
        bind_double_or_null(st, 7, r->p_value);
        bind_double_or_null(st, 8, r->threshold);
        sqlite3_bind_int(st, 9, r->drift);
        sqlite3_bind_int64(st, 10, (int64_t)r->n_ref);
        sqlite3_bind_int64(st, 11, (int64_t)r->n_cur);
        int step = sqlite3_step(st);
        sqlite3_reset(st);
        if (step != SQLITE_DONE) {
            rc = sqlerr(s->w, "results insert step");
            goto out;
        }
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

int store_r_latest_evaluation(struct store *s, const char *model, const char *version,
                              const char *window, int64_t *computed_ms, char **body)
{
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    int64_t vid;
    int rc = version_id(db, model, version, &vid);
    if (rc != 0)
        goto out;
    rc = DD_EIO;
    if (sqlite3_prepare_v2(db,
                           "SELECT computed_at, body FROM evaluations WHERE version_id = ?1"
                           " AND window = ?2 ORDER BY computed_at DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlerr(db, "latest evaluation");
        goto out;
    }
    sqlite3_bind_int64(st, 1, vid);
    sqlite3_bind_text(st, 2, window, -1, SQLITE_STATIC);
    rc = DD_ENOTFOUND;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *computed_ms = sqlite3_column_int64(st, 0);
        *body = dd_strndup((const char *)sqlite3_column_text(st, 1),
                           (size_t)sqlite3_column_bytes(st, 1));
        rc = 0;
    }
out:
    sqlite3_finalize(st);
    reader_give(s, db);
    return rc;
}

int store_r_statuses(struct store *s, struct store_model_info *m)
{
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    int rc = DD_EIO;
    if (sqlite3_prepare_v2(db,
                           "SELECT e.status FROM versions v JOIN models mo ON mo.id = v.model_id"
                           " JOIN evaluations e ON e.version_id = v.id"
                           " WHERE mo.name = ?1 AND v.name = ?2"
                           " ORDER BY e.computed_at DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlerr(db, "statuses");
        goto out;
    }
    for (size_t i = 0; i < m->n_versions; i++) {
        sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, m->versions[i].name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(m->versions[i].status, sizeof m->versions[i].status, "%s",
                     (const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    reader_give(s, db);
    return rc;
}

static double col_double_or_nan(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? (double)NAN : sqlite3_column_double(st, i);
}

int store_r_history(struct store *s, const char *model, const char *version,
                    const char *signal, const char *method, int64_t from_ms, int64_t to_ms,
                    size_t max_points, struct store_point **out, size_t *n)
{
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    struct store_point *pts = NULL;
    size_t np = 0;
    int64_t vid;
    int rc = version_id(db, model, version, &vid);
    if (rc != 0)
        goto out;
    rc = DD_EIO;
    if (sqlite3_prepare_v2(db,
                           "SELECT computed_at, statistic, p_value, drift FROM drift_results"
                           " WHERE version_id = ?1 AND signal = ?2 AND method = ?3"
                           " AND computed_at BETWEEN ?4 AND ?5 ORDER BY computed_at DESC LIMIT ?6",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlerr(db, "history");
        goto out;
    }
    sqlite3_bind_int64(st, 1, vid);
    sqlite3_bind_text(st, 2, signal, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, method, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, from_ms);
    sqlite3_bind_int64(st, 5, to_ms);
    sqlite3_bind_int64(st, 6, (int64_t)max_points);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        pts = dd_realloc(pts, (np + 1) * sizeof *pts);
        pts[np].t_ms = sqlite3_column_int64(st, 0);
        pts[np].statistic = col_double_or_nan(st, 1);
        pts[np].p_value = col_double_or_nan(st, 2);
        pts[np].drift = sqlite3_column_int(st, 3);
        np++;
    }
    if (step != SQLITE_DONE) {
        sqlerr(db, "history step");
        goto out;
    }
    for (size_t i = 0; i < np / 2; i++) { /* newest first -> oldest first */
        struct store_point t = pts[i];
        pts[i] = pts[np - 1 - i];
        pts[np - 1 - i] = t;
    }
    *out = pts;
    *n = np;
    pts = NULL;
    rc = 0;
out:
    sqlite3_finalize(st);
    reader_give(s, db);
    free(pts);
    return rc;
}

/* ---- per-model settings ---- */

int store_w_put_settings(struct store *s, const char *model, const char *body)
{
    struct model_entry *m = model_find(s, model, 1);
    if (!m)
        return failure_code(s->w);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->w,
                           "INSERT OR REPLACE INTO model_settings (model_id, body, updated_at)"
                           " VALUES (?1, ?2, ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlerr(s->w, "settings put");
    sqlite3_bind_int64(st, 1, m->id);
    sqlite3_bind_text(st, 2, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, dd_now_ms());
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sqlerr(s->w, "settings put step");
    sqlite3_finalize(st);
    return rc;
}

int store_r_settings(struct store *s, const char *model, char **body)
{
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    int rc = DD_EIO;
    if (sqlite3_prepare_v2(db,
                           "SELECT ms.body FROM model_settings ms JOIN models m ON m.id = ms.model_id"
                           " WHERE m.name = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlerr(db, "settings get");
        goto out;
    }
    sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
    rc = DD_ENOTFOUND;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *body = dd_strndup((const char *)sqlite3_column_text(st, 0),
                           (size_t)sqlite3_column_bytes(st, 0));
        rc = 0;
    }
out:
    sqlite3_finalize(st);
    reader_give(s, db);
    return rc;
}

/* ---- retention ---- */

int store_r_versions_with_events_before(struct store *s, int64_t cutoff_ms,
                                        struct store_version_ref **out, size_t *n)
{
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    struct store_version_ref *vs = NULL;
    size_t nv = 0;
    int rc = DD_EIO;
    /* first_ts is kept by the writer: no event scan */
    if (sqlite3_prepare_v2(db,
                           "SELECT m.name, v.name FROM versions v JOIN models m ON m.id = v.model_id"
                           " WHERE v.events > 0 AND v.first_ts < ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlerr(db, "retention versions");
        goto out;
    }
    sqlite3_bind_int64(st, 1, cutoff_ms);
    while (sqlite3_step(st) == SQLITE_ROW) {
        vs = dd_realloc(vs, (nv + 1) * sizeof *vs);
        snprintf(vs[nv].model, sizeof vs[nv].model, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(vs[nv].version, sizeof vs[nv].version, "%s", (const char *)sqlite3_column_text(st, 1));
        nv++;
    }
    *out = vs;
    *n = nv;
    vs = NULL;
    rc = 0;
out:
    sqlite3_finalize(st);
    reader_give(s, db);
    free(vs);
    return rc;
}

int store_w_retention(struct store *s, const char *model, const char *version,
                      int64_t cutoff_ms, size_t limit, size_t refsize, size_t *deleted)
{
    *deleted = 0;
    int64_t vid = w_version_id(s, model, version);
    if (vid < 0)
        return DD_ENOTFOUND;
    sqlite3_stmt *st = NULL;
    int has_ref = 0;
    if (sqlite3_prepare_v2(s->w, "SELECT 1 FROM refs WHERE version_id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return sqlerr(s->w, "retention ref");
    sqlite3_bind_int64(st, 1, vid);
    has_ref = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    if (!has_ref) {
        if (exec_bound(s->w,
                       "INSERT INTO ref_events (version_id, ts, prediction, confidence, latency_ms,"
                       " label, probabilities, embedding, features) SELECT version_id, ts,"
                       " prediction, confidence, latency_ms, label, probabilities, embedding,"
                       " features FROM events WHERE version_id = ?1 ORDER BY ts, id LIMIT ?2",
                       vid, (int64_t)refsize, 0, NULL) != 0 ||
            refs_update(s, vid, "auto") != 0)
            return failure_code(s->w);
    }
    if (limit == 0)
        return 0;
    if (exec_bound(s->w,
                   "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE version_id = ?1"
                   " AND ts < ?2 ORDER BY ts LIMIT ?3)",
                   vid, cutoff_ms, (int64_t)limit, NULL) != 0)
        return failure_code(s->w);
    *deleted = (size_t)sqlite3_changes(s->w);
    if (*deleted &&
        exec_bound(s->w,
                   "UPDATE versions SET events = events - ?2,"
                   " first_ts = (SELECT MIN(ts) FROM events WHERE version_id = ?1),"
                   " last_ts = CASE WHEN events - ?2 > 0 THEN last_ts END WHERE id = ?1",
                   vid, (int64_t)*deleted, 0, NULL) != 0)
        return failure_code(s->w);
    return 0;
}

/* ---- reference summaries ---- */

int store_w_put_ref_summary(struct store *s, const char *model, const char *version,
                            int64_t set_ms, const void *summary, size_t len)
{
    int64_t vid = w_version_id(s, model, version);
    if (vid < 0)
        return DD_ENOTFOUND;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->w,
                           "INSERT OR REPLACE INTO ref_summaries (version_id, set_at, summary)"
                           " VALUES (?1, ?2, ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlerr(s->w, "ref summary put");
    sqlite3_bind_int64(st, 1, vid);
    sqlite3_bind_int64(st, 2, set_ms);
    sqlite3_bind_blob64(st, 3, summary, len, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sqlerr(s->w, "ref summary put step");
    sqlite3_finalize(st);
    return rc;
}

int store_r_ref_summary(struct store *s, const char *model, const char *version,
                        int64_t set_ms, char **summary, size_t *len)
{
    sqlite3 *db = reader_take(s);
    sqlite3_stmt *st = NULL;
    int64_t vid;
    int rc = version_id(db, model, version, &vid);
    if (rc != 0)
        goto out;
    rc = DD_EIO;
    if (sqlite3_prepare_v2(db, "SELECT summary FROM ref_summaries WHERE version_id = ?1 AND set_at = ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlerr(db, "ref summary get");
        goto out;
    }
    sqlite3_bind_int64(st, 1, vid);
    sqlite3_bind_int64(st, 2, set_ms);
    rc = DD_ENOTFOUND;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *len = (size_t)sqlite3_column_bytes(st, 0);
        *summary = dd_malloc(*len ? *len : 1);
        memcpy(*summary, sqlite3_column_blob(st, 0), *len);
        rc = 0;
    }
out:
    sqlite3_finalize(st);
    reader_give(s, db);
    return rc;
}
