/* export.c — a model's stored events in (ts, id) order, a page at a time
 * (store.h "export"), for GET /api/v1/models/{model}/events.
 *
 * Memory is bounded whatever the range: nothing reads more than a page.
 * Each version of the model has its own cursor, reading keyset pages on the
 * events_version_ts index (version_id, ts, and the rowid it ends with),
 * and the cursors are merged on (ts, id) in a small heap, since the events
 * table has no (model_id, ts) index to read a model in time order.
 *
 * A page of a version is two index range reads, never an OFFSET and never a
 * sort: the rest of the events with the last timestamp read (ts = T AND
 * id > I, ordered by the rowid), then, when those run short, the events
 * after it (ts >= T + 1).  One row-value condition, (ts, id) > (T, I), is
 * answered by SQLite 3.40 as a range on ts alone and filtered: with many
 * events at one timestamp every page scanned them all again (300,000 events
 * of one ts took 6.4 s to page through in pages of 1,000; the two ranges
 * 0.31 s, measured with the sqlite3 module on the same schema).
 *
 * Each page is its own read transaction, so an export is not a snapshot: a
 * delete that runs meanwhile removes what the export has not reached yet.
 * Events stored after the export began are left out (id <= the largest id
 * at the start), so a busy model's export ends.
 *
 * The reads go through a connection of the export's own, with a small page
 * cache (EXPORT_CACHE_KIB), not through the reader pool: a pool reader keeps
 * a 64 MiB cache (store.c), and a pass over a large model through them
 * filled one cache after another (the pool hands out any free reader), up
 * to 4 x 64 MiB more resident memory that stayed, and pushed out the pages
 * the evaluator's windows reuse.  Opening one costs well under a
 * millisecond next to an export.
 */
#include "server/store/store.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/err.h"
#include "server/store/store_int.h"

/* The export connection's page cache: a few pages of the index and the
 * table at a time is all a keyset pass needs. */
#define EXPORT_CACHE_KIB 2048

/* A version's rows of a page; its arena holds their strings and blobs. */
struct xversion {
    int64_t id;
    const char *name;         /* in the cursor's names arena */
    int64_t last_ts, last_id; /* the last row read; last_id INT64_MAX: none yet */
    int done;                 /* no rows left after the buffered ones */
    struct dd_arena arena;
    struct dd_event *ev;
    int64_t *rowid;
    size_t n, pos, cap;
};

struct store_export {
    sqlite3 *db; /* the export's own read connection (see the top) */
    int64_t to_ms, max_id;
    struct xversion *v;
    size_t n_v;
    size_t rows_per_read, bytes_per_read; /* of one version's read */
    size_t *heap;                         /* indexes into v, by their next row */
    size_t n_heap;
    struct dd_event *out; /* the page handed out */
    struct dd_arena names;
};

/* ---- opening ---- */

struct version_rows {
    struct store_export *x;
    size_t cap;
};

static void version_row(sqlite3_stmt *st, void *arg)
{
    struct version_rows *r = arg;
    struct store_export *x = r->x;
    if (x->n_v == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        x->v = dd_realloc(x->v, r->cap * sizeof *x->v);
    }
    struct xversion *v = &x->v[x->n_v++];
    memset(v, 0, sizeof *v);
    v->id = sqlite3_column_int64(st, 0);
    v->name = dd_arena_strndup(&x->names, (const char *)sqlite3_column_text(st, 1),
                               (size_t)sqlite3_column_bytes(st, 1));
    dd_arena_init(&v->arena);
}

/* The export's connection: read only, small cache.  0 or DD_EIO. */
static int open_reader(struct store *s, sqlite3 **out)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(store_path(s), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        store__sqlerr(db, "export open");
        sqlite3_close(db);
        return DD_EIO;
    }
    sqlite3_busy_timeout(db, 10000);
    char sql[128];
    snprintf(sql, sizeof sql,
             "PRAGMA query_only=1; PRAGMA cache_size=-%d; PRAGMA temp_store=MEMORY;",
             EXPORT_CACHE_KIB);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        store__sqlerr(db, "export pragmas");
        sqlite3_close(db);
        return DD_EIO;
    }
    *out = db;
    return 0;
}

/* store__run() on the export's connection: readers answer DD_EIO for any
 * SQLite failure. */
static int run(struct store_export *x, const struct store__query *q)
{
    int rc = store__run(x->db, q);
    return rc == DD_EFULL ? DD_EIO : rc;
}

int store_r_export_open(struct store *s, const struct store_export_range *q,
                        struct store_export **out, int *model_exists)
{
    if (model_exists)
        *model_exists = 0;
    struct store_export *x = dd_calloc(1, sizeof *x);
    x->to_ms = q->to_ms;
    dd_arena_init(&x->names);
    int rc = open_reader(s, &x->db);
    int64_t model_id = 0;
    if (rc == 0)
        rc = run(x, &(struct store__query){.what = "export model",
                                           .sql = "SELECT id FROM models WHERE name = ?1",
                                           .args = STORE__ARGS(STORE__TEXT(q->model)),
                                           .row = store__row_int64,
                                           .arg = &model_id,
                                           .one = 1});
    if (rc == 0 && model_exists)
        *model_exists = 1;
    struct version_rows vr = {.x = x};
    if (rc == 0)
        rc = run(x, &(struct store__query){
                        .what = "export versions",
                        .sql = "SELECT id, name FROM versions WHERE model_id = ?1"
                               " AND (?2 IS NULL OR name = ?2) ORDER BY id",
                        .args = STORE__ARGS(STORE__INT(model_id), STORE__TEXT(q->version)),
                        .row = version_row,
                        .arg = &vr});
    if (rc == 0 && q->version && x->n_v == 0)
        rc = DD_ENOTFOUND;
    if (rc == 0)
        rc = run(x, &(struct store__query){.what = "export max id",
                                           .sql = "SELECT COALESCE(MAX(id), 0) FROM events",
                                           .row = store__row_int64,
                                           .arg = &x->max_id,
                                           .one = 1});
    if (rc != 0) {
        store_export_free(x);
        return rc;
    }
    /* one page's worth of rows and bytes, shared by the versions; each
     * version reads at least STORE_EXPORT_MIN_ROWS (and one row whatever
     * its size) */
    size_t nv = x->n_v ? x->n_v : 1;
    x->rows_per_read = STORE_EXPORT_PAGE_ROWS / nv;
    if (x->rows_per_read < STORE_EXPORT_MIN_ROWS)
        x->rows_per_read = STORE_EXPORT_MIN_ROWS;
    x->bytes_per_read = STORE_EXPORT_PAGE_BYTES / nv;
    for (size_t i = 0; i < x->n_v; i++) {
        x->v[i].last_ts = q->from_ms - 1; /* from_ms > INT64_MIN: store.h */
        x->v[i].last_id = INT64_MAX;
    }
    x->heap = dd_calloc(nv, sizeof *x->heap);
    x->out = dd_calloc(STORE_EXPORT_PAGE_ROWS, sizeof *x->out);
    *out = x;
    return 0;
}

void store_export_free(struct store_export *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n_v; i++) {
        dd_arena_release(&x->v[i].arena);
        free(x->v[i].ev);
        free(x->v[i].rowid);
    }
    free(x->v);
    free(x->heap);
    free(x->out);
    dd_arena_release(&x->names);
    sqlite3_close(x->db);
    free(x);
}

/* ---- one version's read ---- */

struct read_state {
    struct xversion *v;
    size_t rows;         /* rows SQLite answered (kept or not) */
    size_t bytes, limit; /* bytes kept; the budget */
    int cut;             /* rows were left out for the budget */
};

static void export_row(sqlite3_stmt *st, void *arg)
{
    struct read_state *r = arg;
    struct xversion *v = r->v;
    r->rows++;
    if (r->cut || (v->n > 0 && r->bytes >= r->limit)) {
        r->cut = 1; /* the next read starts with it */
        return;
    }
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->ev = dd_realloc(v->ev, v->cap * sizeof *v->ev);
        v->rowid = dd_realloc(v->rowid, v->cap * sizeof *v->rowid);
    }
    struct dd_event *e = &v->ev[v->n];
    v->rowid[v->n++] = sqlite3_column_int64(st, 0);
    size_t blobs = store__event_from_row(st, 1, &v->arena, e);
    e->version = v->name;
    r->bytes += blobs + 64;
}

#define EXPORT_COLUMNS                                                                             \
    "SELECT id, event_id, " STORE__EVENT_COLUMNS " FROM events WHERE version_id = ?1"

/* Refills v's buffer with its next rows (v->n == 0 and v->done at the end). */
static int read_version(struct store_export *x, struct xversion *v)
{
    dd_arena_reset(&v->arena);
    v->n = v->pos = 0;
    struct read_state r = {.v = v, .limit = x->bytes_per_read};
    size_t want = x->rows_per_read;
    int rc = 0;
    if (v->last_id != INT64_MAX) /* the rest of the last timestamp read */
        rc = run(
            x, &(struct store__query){.what = "export events",
                                      .sql = EXPORT_COLUMNS " AND ts = ?2 AND id > ?3 AND id <= ?4"
                                                            " ORDER BY ts, id LIMIT ?5",
                                      .args = STORE__ARGS(STORE__INT(v->id), STORE__INT(v->last_ts),
                                                          STORE__INT(v->last_id),
                                                          STORE__INT(x->max_id), STORE__INT(want)),
                                      .row = export_row,
                                      .arg = &r});
    if (rc == 0 && !r.cut && r.rows < want) {
        size_t got = r.rows;
        rc = run(x, &(struct store__query){
                        .what = "export events",
                        .sql = EXPORT_COLUMNS " AND ts >= ?2 AND ts < ?3 AND id <= ?4"
                                              " ORDER BY ts, id LIMIT ?5",
                        .args = STORE__ARGS(STORE__INT(v->id), STORE__INT(v->last_ts + 1),
                                            STORE__INT(x->to_ms), STORE__INT(x->max_id),
                                            STORE__INT(want - got)),
                        .row = export_row,
                        .arg = &r});
        if (rc == 0 && !r.cut && r.rows < want)
            v->done = 1;
    }
    if (rc != 0)
        return rc;
    if (v->n > 0) {
        v->last_ts = v->ev[v->n - 1].ts_ms;
        v->last_id = v->rowid[v->n - 1];
    }
    return 0;
}

/* ---- the merge ---- */

/* Whether version a's next row sorts before version b's. */
static int before(const struct store_export *x, size_t a, size_t b)
{
    const struct xversion *va = &x->v[a], *vb = &x->v[b];
    int64_t ta = va->ev[va->pos].ts_ms, tb = vb->ev[vb->pos].ts_ms;
    if (ta != tb)
        return ta < tb;
    return va->rowid[va->pos] < vb->rowid[vb->pos];
}

static void sift_down(struct store_export *x, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < x->n_heap && before(x, x->heap[l], x->heap[m]))
            m = l;
        if (r < x->n_heap && before(x, x->heap[r], x->heap[m]))
            m = r;
        if (m == i)
            return;
        size_t t = x->heap[i];
        x->heap[i] = x->heap[m];
        x->heap[m] = t;
        i = m;
    }
}

int store_r_export_next(struct store_export *x, const struct dd_event **events, size_t *n)
{
    /* versions whose rows were all handed out read their next ones (the
     * page before, which pointed into them, is over) */
    x->n_heap = 0;
    for (size_t i = 0; i < x->n_v; i++) {
        struct xversion *v = &x->v[i];
        if (v->pos == v->n && !v->done) {
            int rc = read_version(x, v);
            if (rc != 0)
                return rc;
        }
        if (v->pos < v->n)
            x->heap[x->n_heap++] = i;
    }
    for (size_t i = x->n_heap / 2; i-- > 0;)
        sift_down(x, i);
    /* merge until the page is full, or a version that has more rows in the
     * table runs out of read ones (it reads them at the next call) */
    size_t k = 0;
    while (k < STORE_EXPORT_PAGE_ROWS && x->n_heap > 0) {
        struct xversion *v = &x->v[x->heap[0]];
        x->out[k++] = v->ev[v->pos++];
        if (v->pos == v->n) {
            if (!v->done)
                break;
            x->heap[0] = x->heap[--x->n_heap];
        }
        sift_down(x, 0);
    }
    *events = x->out;
    *n = k;
    return 0;
}
