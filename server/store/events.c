/* events.c — the events table and what counts them (store.h): the writer's
 * insert path and labels, the models and versions list, event windows.
 *
 * Ids are idempotent through INSERT OR IGNORE and the unique index on
 * (model_id, event_id); each version's counters (events, first_ts, last_ts)
 * are tallied in the writer's cache and written in the same transaction
 * (store.c), so no read ever counts events.
 */
#include "server/store/store.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "server/store/store_int.h"

/* ---- writer ---- */

int store__model_for_batch(struct store *s, const char *model, const struct dd_batch *b,
                           struct store__model **out, long *conflict_index, uint32_t *model_dim)
{
    struct store__model *m = store__model_find(s, model, 1);
    if (!m)
        return store__failure_code(s->w);
    if (b->dim && m->dim && b->dim != m->dim) {
        for (size_t i = 0; i < b->n; i++)
            if (b->events[i].dim) {
                *conflict_index = (long)i;
                break;
            }
        *model_dim = m->dim;
        return DD_ECONFLICT;
    }
    if (b->dim && !m->dim) {
        int rc = store__run(s->w, &(struct store__query){
                                      .what = "model dim",
                                      .stmt = s->w_model_dim,
                                      .args = STORE__ARGS(STORE__INT(m->id), STORE__INT(b->dim))});
        if (rc != 0)
            return rc;
        m->dim = b->dim;
    }
    *out = m;
    return 0;
}

/* NULL for an absent value; sqlite3_bind_text() binds NULL for a NULL
 * pointer by itself. */
static void bind_double_if(sqlite3_stmt *st, int i, int has, double v)
{
    if (has)
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static void bind_blob_if(sqlite3_stmt *st, int i, int has, const void *p, size_t len)
{
    if (has)
        sqlite3_bind_blob64(st, i, p, len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

void store__bind_event(sqlite3_stmt *st, int64_t model_id, int64_t version_id,
                       const struct dd_event *e, int64_t ts, int64_t received_ms)
{
    sqlite3_bind_int64(st, 1, model_id);
    sqlite3_bind_int64(st, 2, version_id);
    sqlite3_bind_text(st, 3, e->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ts);
    sqlite3_bind_int64(st, 5, received_ms);
    sqlite3_bind_text(st, 6, e->prediction, -1, SQLITE_STATIC);
    bind_double_if(st, 7, e->has & DD_HAS_CONFIDENCE, e->confidence);
    bind_double_if(st, 8, e->has & DD_HAS_LATENCY, e->latency_ms);
    sqlite3_bind_text(st, 9, e->label, -1, SQLITE_STATIC);
    bind_blob_if(st, 10, e->n_probabilities > 0, e->probabilities, (size_t)e->n_probabilities * 4);
    bind_blob_if(st, 11, e->dim > 0, e->embedding, (size_t)e->dim * 4);
    bind_blob_if(st, 12, e->features != NULL, e->features, e->features_len);
}

static int insert_events(struct store *s, struct store__model *m, const struct dd_batch *b,
                         int64_t received_ms, sqlite3_stmt *num, struct store_ingest_result *out);

int store_w_insert_batch(struct store *s, const char *model, const struct dd_batch *b,
                         int64_t received_ms, struct store_ingest_result *out)
{
    out->accepted = out->duplicates = 0;
    out->conflict_index = -1;
    out->model_dim = 0;
    struct store__model *m;
    int rc = store__model_for_batch(s, model, b, &m, &out->conflict_index, &out->model_dim);
    if (rc != 0)
        return rc;
    /* a regression's numeric predictions go into prediction_num next to
     * their text: one statement per batch that has any */
    sqlite3_stmt *num = NULL;
    for (size_t i = 0; i < b->n && !num; i++)
        if ((b->events[i].has & DD_HAS_PREDICTION_NUM) &&
            sqlite3_prepare_v2(s->w, "UPDATE events SET prediction_num = ?2 WHERE id = ?1", -1,
                               &num, NULL) != SQLITE_OK)
            return store__sqlerr(s->w, "prepare prediction_num");
    rc = insert_events(s, m, b, received_ms, num, out);
    sqlite3_finalize(num);
    return rc;
}

static int insert_events(struct store *s, struct store__model *m, const struct dd_batch *b,
                         int64_t received_ms, sqlite3_stmt *num, struct store_ingest_result *out)
{
    struct store__version *v = NULL;
    for (size_t i = 0; i < b->n; i++) {
        const struct dd_event *e = &b->events[i];
        if (!v || strcmp(v->name, e->version) != 0) {
            v = store__version_find(s, m->id, e->version);
            if (!v)
                return store__failure_code(s->w);
        }
        int64_t ts = (e->has & DD_HAS_TS) ? e->ts_ms : received_ms;
        store__bind_event(s->w_insert, m->id, v->id, e, ts, received_ms);
        int step = sqlite3_step(s->w_insert);
        sqlite3_reset(s->w_insert);
        if (step != SQLITE_DONE)
            return store__sqlerr(s->w, "insert event");
        if (sqlite3_changes(s->w) > 0) {
            if (num && (e->has & DD_HAS_PREDICTION_NUM)) {
                sqlite3_bind_int64(num, 1, sqlite3_last_insert_rowid(s->w));
                sqlite3_bind_double(num, 2, e->prediction_num);
                step = sqlite3_step(num);
                sqlite3_reset(num);
                if (step != SQLITE_DONE)
                    return store__sqlerr(s->w, "insert prediction_num");
            }
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
    struct store__model *m = store__model_find(s, model, 0);
    if (!m)
        return DD_ENOTFOUND;
    size_t up = 0, unk = 0;
    for (size_t i = 0; i < l->n; i++) {
        int64_t changed = 0;
        int rc =
            store__run(s->w, &(struct store__query){
                                 .what = "label",
                                 .stmt = s->w_label,
                                 .args = STORE__ARGS(STORE__INT(m->id), STORE__TEXT(l->items[i].id),
                                                     STORE__TEXT(l->items[i].label)),
                                 .changes = &changed});
        if (rc != 0)
            return rc;
        if (changed > 0) {
            up++;
        } else {
            unk++;
            if (l->unknown)
                l->unknown[i] = 1;
        }
    }
    *updated = up;
    *unknown = unk;
    return 0;
}

/* ---- models and versions ---- */

/* One row of store__read_models() (store_int.h) into its struct store__rows. */
static void model_row(sqlite3_stmt *st, void *arg)
{
    struct store__rows *models = arg;
    const char *name = (const char *)sqlite3_column_text(st, 0);
    struct store_model_info *all = models->items, *m = models->n ? &all[models->n - 1] : NULL;
    if (!m || strcmp(m->name, name) != 0) {
        m = store__rows_push(models);
        snprintf(m->name, sizeof m->name, "%s", name);
        m->embedding_dim = (uint32_t)sqlite3_column_int64(st, 1);
        m->last_ms = -1;
    }
    if (sqlite3_column_type(st, 2) == SQLITE_NULL)
        return; /* a model without versions */
    m->versions = dd_realloc(m->versions, (m->n_versions + 1) * sizeof *m->versions);
    struct store_version_info *v = &m->versions[m->n_versions++];
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", (const char *)sqlite3_column_text(st, 2));
    v->events = sqlite3_column_int64(st, 3);
    v->first_ms = store__col_time(st, 4);
    v->last_ms = store__col_time(st, 5);
    m->events += v->events;
    if (v->last_ms > m->last_ms)
        m->last_ms = v->last_ms;
}

static void model_info_release(void *item)
{
    free(((struct store_model_info *)item)->versions);
}

int store__read_models(struct store *s, const char *what, const char *sql,
                       const struct store__arg *args, struct store_model_info **out, size_t *n)
{
    return store__read_rows(
        s, &(struct store__query){.what = what, .sql = sql, .args = args, .row = model_row},
        sizeof **out, model_info_release, out, n);
}

int store_r_models(struct store *s, const char *only, struct store_model_info **out, size_t *n)
{
    struct store_model_info *m = NULL; /* stays NULL when there is no row */
    size_t k = 0;
    int rc = store__read_models(
        s, "models",
        "SELECT m.name, COALESCE(m.embedding_dim, 0), v.name, v.events, v.first_ts, v.last_ts"
        " FROM models m LEFT JOIN versions v ON v.model_id = m.id"
        " WHERE ?1 IS NULL OR m.name = ?1 ORDER BY m.name, v.name",
        STORE__ARGS(STORE__TEXT(only)), &m, &k);
    if (rc == 0 && only && k == 0)
        rc = DD_ENOTFOUND;
    if (rc == 0) {
        *out = m;
        *n = k;
    }
    return rc;
}

void store_models_free(struct store_model_info *m, size_t n)
{
    store__rows_free(m, n, sizeof *m, model_info_release);
}

int store_r_event_count(struct store *s, int64_t *out)
{
    return store__read(
        s, &(struct store__query){.what = "event count",
                                  .sql = "SELECT COALESCE(SUM(events), 0) FROM versions",
                                  .row = store__row_int64,
                                  .arg = out,
                                  .one = 1});
}

/* ---- event windows ---- */

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

size_t store__event_from_row(sqlite3_stmt *st, int col, struct dd_arena *a, struct dd_event *e)
{
    memset(e, 0, sizeof *e);
    e->id = arena_text(a, st, col);
    e->ts_ms = sqlite3_column_int64(st, col + 1);
    e->has = DD_HAS_TS;
    e->prediction = arena_text(a, st, col + 2);
    if (sqlite3_column_type(st, col + 3) != SQLITE_NULL) {
        e->confidence = sqlite3_column_double(st, col + 3);
        e->has |= DD_HAS_CONFIDENCE;
    }
    if (sqlite3_column_type(st, col + 4) != SQLITE_NULL) {
        e->latency_ms = sqlite3_column_double(st, col + 4);
        e->has |= DD_HAS_LATENCY;
    }
    e->label = arena_text(a, st, col + 5);
    size_t len, blobs = 0;
    e->probabilities = arena_blob(a, st, col + 6, &len);
    e->n_probabilities = (uint32_t)(len / 4);
    blobs += len;
    e->embedding = arena_blob(a, st, col + 7, &len);
    e->dim = (uint32_t)(len / 4);
    blobs += len;
    e->features = arena_blob(a, st, col + 8, &len);
    e->features_len = (uint32_t)len;
    blobs += len;
    if (sqlite3_column_type(st, col + 9) != SQLITE_NULL) {
        e->prediction_num = sqlite3_column_double(st, col + 9);
        e->has |= DD_HAS_PREDICTION_NUM;
    }
    return blobs;
}

struct window_rows {
    struct dd_batch *out;
    const char *version; /* in out's arena */
    struct dd_event *ev; /* grown here, moved to the arena at the end */
    size_t n, alloc;
    struct store_window_info *info;
};

static void event_row(sqlite3_stmt *st, void *arg)
{
    struct window_rows *r = arg;
    if (r->n == r->alloc) {
        r->alloc = r->alloc ? r->alloc * 2 : 1024;
        r->ev = dd_realloc(r->ev, r->alloc * sizeof *r->ev);
    }
    struct dd_event *e = &r->ev[r->n++];
    store__event_from_row(st, 0, &r->out->arena, e);
    e->version = r->version;
    if (e->dim && !r->out->dim)
        r->out->dim = e->dim;
    struct store_window_info *info = r->info;
    if (info->from_ms < 0 || e->ts_ms < info->from_ms)
        info->from_ms = e->ts_ms;
    if (e->ts_ms > info->to_ms)
        info->to_ms = e->ts_ms;
}

int store__count_range(struct store *s, const char *what, const char *model, const char *version,
                       int64_t from_ms, int64_t to_ms, int64_t *n)
{
    return store__read(
        s, &(struct store__query){
               .what = what,
               .sql = "SELECT COUNT(*) FROM events WHERE version_id = ?1 AND ts BETWEEN ?2 AND ?3",
               .model = model,
               .version = version,
               .args = STORE__ARGS(STORE__INT(from_ms), STORE__INT(to_ms)),
               .row = store__row_int64,
               .arg = n});
}

int store_r_events(struct store *s, const char *model, const char *version,
                   const struct store_window *w, struct dd_batch *out,
                   struct store_window_info *info)
{
    dd_batch_init(out);
    memset(info, 0, sizeof *info);
    info->from_ms = info->to_ms = -1;
    struct window_rows r = {.out = out, .info = info};
    r.version = dd_arena_strndup(&out->arena, version, strlen(version));
    /* the (version_id, ts) index serves every one of these; the newest
     * max_sample events of a time window are read newest first */
    size_t cap = w->max_sample ? w->max_sample : SIZE_MAX;
    const char *sql;
    if (w->reference) {
        sql = "SELECT NULL, " STORE__EVENT_COLUMNS " FROM ref_events WHERE version_id = ?1"
              " ORDER BY ts, id LIMIT ?2";
    } else if (w->first_n) {
        sql = "SELECT event_id, " STORE__EVENT_COLUMNS " FROM events WHERE version_id = ?1"
              " ORDER BY ts, id LIMIT ?2";
        if (w->first_n < cap)
            cap = w->first_n;
    } else if (w->last_n) {
        sql = "SELECT event_id, " STORE__EVENT_COLUMNS " FROM events WHERE version_id = ?1"
              " ORDER BY ts DESC, id DESC LIMIT ?2";
        if (w->last_n < cap)
            cap = w->last_n;
    } else {
        sql = "SELECT event_id, " STORE__EVENT_COLUMNS " FROM events WHERE version_id = ?1"
              " AND ts BETWEEN ?3 AND ?4 ORDER BY ts DESC, id DESC LIMIT ?2";
    }
    int rc = store__read(s, &(struct store__query){
                                .what = "events window",
                                .sql = sql,
                                .model = model,
                                .version = version,
                                .args = STORE__ARGS(STORE__INT(cap == SIZE_MAX ? -1 : (int64_t)cap),
                                                    STORE__INT(w->from_ms), STORE__INT(w->to_ms)),
                                .row = event_row,
                                .arg = &r});
    if (rc != 0) {
        free(r.ev);
        dd_batch_release(out);
        return rc;
    }
    /* events live in the arena so the batch frees them with everything else */
    out->events = dd_arena_alloc(&out->arena, (r.n ? r.n : 1) * sizeof *r.ev);
    if (r.n)
        memcpy(out->events, r.ev, r.n * sizeof *r.ev);
    free(r.ev);
    out->n = r.n;
    info->total = r.n;
    if (!w->reference && !w->first_n && !w->last_n && w->max_sample && r.n == w->max_sample) {
        /* the cap was reached: count the whole window for the report (on
         * a failure the report says the window had what was read) */
        int64_t total = (int64_t)r.n;
        store__count_range(s, "events window count", model, version, w->from_ms, w->to_ms, &total);
        info->total = (size_t)total;
        info->sampled = info->total > r.n;
    }
    return 0;
}
