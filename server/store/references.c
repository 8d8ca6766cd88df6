/* references.c — a version's reference and its summary (store.h): the refs
 * row that describes it, its events in ref_events (apart from events, so
 * retention never touches them), the automatic reference frozen there, and
 * ref_summaries, the prepared reference's bytes.
 */
#include "server/store/store.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/timefmt.h"
#include "server/store/store_int.h"

/* ref_events' columns, which events has too under the same names */
#define REF_COLUMNS                                                                                \
    "version_id, ts, prediction, confidence, latency_ms, label, probabilities,"                    \
    " embedding, features, prediction_num"

/* Replaces the refs row from what ref_events now holds for the version. */
static int refs_update(struct store *s, int64_t vid, const char *source)
{
    return store__run(
        s->w,
        &(struct store__query){
            .what = "refs update",
            .sql = "INSERT OR REPLACE INTO refs (version_id, source, events, first_ts, last_ts,"
                   " set_at) SELECT ?1, ?3, COUNT(*), MIN(ts), MAX(ts),"
                   /* strictly increasing: set_at identifies a reference (refcache.h) */
                   " MAX(?2, COALESCE((SELECT set_at + 1 FROM refs WHERE version_id = ?1), 0))"
                   " FROM ref_events WHERE version_id = ?1",
            .args = STORE__ARGS(STORE__INT(vid), STORE__INT(dd_now_ms()), STORE__TEXT(source))});
}

static int ref_events_clear(struct store *s, int64_t vid)
{
    return store__run(s->w,
                      &(struct store__query){.what = "ref events delete",
                                             .sql = "DELETE FROM ref_events WHERE version_id = ?1",
                                             .args = STORE__ARGS(STORE__INT(vid))});
}

/* ---- writer ---- */

int store_w_set_reference_events(struct store *s, const char *model, const char *version,
                                 const struct dd_batch *b, struct store_reference_result *out)
{
    memset(out, 0, sizeof *out);
    out->conflict_index = -1;
    struct store__model *m;
    int rc = store__model_for_batch(s, model, b, &m, &out->conflict_index, &out->model_dim);
    if (rc != 0)
        return rc;
    struct store__version *v = store__version_find(s, m->id, version);
    if (!v)
        return store__failure_code(s->w);
    if ((rc = ref_events_clear(s, v->id)) != 0)
        return rc;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->w,
                           "INSERT INTO ref_events (version_id, ts, prediction, confidence,"
                           " latency_ms, label, probabilities, embedding, features,"
                           " prediction_num)"
                           " VALUES (?2, ?4, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                           -1, &st, NULL) != SQLITE_OK)
        return store__sqlerr(s->w, "ref insert");
    int64_t now = dd_now_ms();
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        const struct dd_event *e = &b->events[i];
        store__bind_event(st, m->id, v->id, e, (e->has & DD_HAS_TS) ? e->ts_ms : now, now);
        if (e->has & DD_HAS_PREDICTION_NUM)
            sqlite3_bind_double(st, 13, e->prediction_num);
        else
            sqlite3_bind_null(st, 13);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = store__sqlerr(s->w, "ref insert step");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc == 0)
        rc = refs_update(s, v->id, "events");
    out->kept = rc == 0 ? b->n : 0;
    return rc;
}

int store_w_set_reference_range(struct store *s, const char *model, const char *version,
                                const struct store_range_sample *r, size_t *kept)
{
    *kept = 0;
    int64_t vid = store__version_id(s, model, version);
    if (vid < 0)
        return DD_ENOTFOUND;
    int rc = ref_events_clear(s, vid);
    if (rc != 0)
        return rc;
    if (!r->n_ids) {
        int64_t n = 0;
        rc = store__run(
            s->w,
            &(struct store__query){
                .what = "ref range",
                .sql = "INSERT INTO ref_events (" REF_COLUMNS ") SELECT " REF_COLUMNS
                       " FROM events WHERE version_id = ?1 AND ts BETWEEN ?2 AND ?3"
                       " ORDER BY ts, id LIMIT ?4",
                .args = STORE__ARGS(STORE__INT(vid), STORE__INT(r->from_ms), STORE__INT(r->to_ms),
                                    STORE__INT(r->max ? (int64_t)r->max : -1)),
                .changes = &n});
        if (rc != 0)
            return rc;
        *kept = (size_t)n;
        return refs_update(s, vid, "range");
    }
    /* the chosen events, one point lookup each; one deleted since (retention)
     * is simply missing */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->w,
                           "INSERT INTO ref_events (" REF_COLUMNS ") SELECT " REF_COLUMNS
                           " FROM events WHERE id = ?1 AND version_id = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return store__sqlerr(s->w, "ref sample");
    sqlite3_bind_int64(st, 2, vid);
    for (size_t i = 0; i < r->n_ids && rc == 0; i++) {
        sqlite3_bind_int64(st, 1, r->ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = store__sqlerr(s->w, "ref sample step");
        else
            *kept += (size_t)sqlite3_changes(s->w);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc != 0 ? rc : refs_update(s, vid, "range");
}

int store__freeze_reference(struct store *s, int64_t vid, size_t refsize, int *frozen, size_t *kept)
{
    int rc =
        store__run(s->w, &(struct store__query){.what = "ref exists",
                                                .sql = "SELECT 1 FROM refs WHERE version_id = ?1",
                                                .args = STORE__ARGS(STORE__INT(vid)),
                                                .one = 1});
    int64_t n = 0;
    if (rc == DD_ENOTFOUND) {
        rc = store__run(s->w,
                        &(struct store__query){
                            .what = "ref freeze",
                            .sql = "INSERT INTO ref_events (" REF_COLUMNS ") SELECT " REF_COLUMNS
                                   " FROM events WHERE version_id = ?1 ORDER BY ts, id LIMIT ?2",
                            .args = STORE__ARGS(STORE__INT(vid), STORE__INT(refsize)),
                            .changes = &n});
        if (rc != 0)
            return rc;
        if ((rc = refs_update(s, vid, "auto")) != 0)
            return rc;
        rc = 1; /* frozen now */
    } else if (rc != 0) {
        return rc;
    }
    if (frozen)
        *frozen = rc;
    if (kept)
        *kept = (size_t)n;
    return 0;
}

int store_w_freeze_reference(struct store *s, const char *model, const char *version,
                             size_t refsize, int *frozen, size_t *kept)
{
    int64_t vid = store__version_id(s, model, version);
    return vid < 0 ? DD_ENOTFOUND : store__freeze_reference(s, vid, refsize, frozen, kept);
}

int store_w_put_ref_summary(struct store *s, const char *model, const char *version, int64_t set_ms,
                            const void *summary, size_t len)
{
    int64_t vid = store__version_id(s, model, version);
    if (vid < 0)
        return DD_ENOTFOUND;
    return store__run(
        s->w,
        &(struct store__query){
            .what = "ref summary put",
            /* a summary of an older reference (a calibration that finished
             * after a newer PUT) never replaces the newer one's */
            .sql = "INSERT INTO ref_summaries (version_id, set_at, summary) VALUES (?1, ?2, ?3)"
                   " ON CONFLICT (version_id) DO UPDATE SET set_at = excluded.set_at,"
                   " summary = excluded.summary WHERE excluded.set_at >= ref_summaries.set_at",
            .args = STORE__ARGS(STORE__INT(vid), STORE__INT(set_ms), STORE__BLOB(summary, len))});
}

/* ---- readers ---- */

struct sample_rows {
    struct store_range_sample *r;
    int64_t step, rn;
};

static void sample_row(sqlite3_stmt *st, void *arg)
{
    struct sample_rows *x = arg;
    if (x->rn++ % x->step == 0 && x->r->n_ids < x->r->max)
        x->r->ids[x->r->n_ids++] = sqlite3_column_int64(st, 0);
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
    /* both statements read the (version_id, ts) index alone: its entries
     * carry the id */
    int64_t n = 0;
    int rc = store__count_range(s, "range count", model, version, r->from_ms, r->to_ms, &n);
    if (rc != 0)
        return rc;
    r->in_range = (size_t)n;
    if (!r->max || (uint64_t)n <= r->max)
        return 0;
    struct sample_rows x = {.r = r, .step = (n + (int64_t)r->max - 1) / (int64_t)r->max};
    r->ids = dd_malloc(r->max * sizeof *r->ids);
    rc = store__read(
        s, &(struct store__query){
               .what = "range sample",
               .sql = "SELECT id FROM events WHERE version_id = ?1 AND ts BETWEEN ?2 AND ?3"
                      " ORDER BY ts, id",
               .model = model,
               .version = version,
               .args = STORE__ARGS(STORE__INT(r->from_ms), STORE__INT(r->to_ms)),
               .row = sample_row,
               .arg = &x});
    if (rc != 0) {
        store_range_sample_release(r);
        return rc;
    }
    /* in table order: the writer's copy then reads events front to back */
    qsort(r->ids, r->n_ids, sizeof *r->ids, cmp_id);
    return 0;
}

void store_range_sample_release(struct store_range_sample *r)
{
    free(r->ids);
    r->ids = NULL;
    r->n_ids = 0;
}

struct reference_row {
    struct store_reference ref;
    int exists, found;
};

static void reference_row(sqlite3_stmt *st, void *arg)
{
    struct reference_row *x = arg;
    x->exists = 1;
    if (sqlite3_column_type(st, 0) == SQLITE_NULL)
        return; /* the version, without a reference */
    x->found = 1;
    snprintf(x->ref.source, sizeof x->ref.source, "%s", (const char *)sqlite3_column_text(st, 0));
    x->ref.events = sqlite3_column_int64(st, 1);
    x->ref.first_ms = store__col_time(st, 2);
    x->ref.last_ms = store__col_time(st, 3);
    x->ref.set_ms = sqlite3_column_int64(st, 4);
}

int store_r_reference(struct store *s, const char *model, const char *version,
                      struct store_reference *out, int *version_exists)
{
    struct reference_row x = {0};
    int rc = store__read(
        s, &(struct store__query){
               .what = "reference",
               .sql = "SELECT r.source, r.events, r.first_ts, r.last_ts, r.set_at FROM versions v"
                      " JOIN models m ON m.id = v.model_id LEFT JOIN refs r ON r.version_id = v.id"
                      " WHERE m.name = ?1 AND v.name = ?2",
               .args = STORE__ARGS(STORE__TEXT(model), STORE__TEXT(version)),
               .row = reference_row,
               .arg = &x});
    *version_exists = x.exists;
    if (rc != 0)
        return rc;
    if (!x.found)
        return DD_ENOTFOUND;
    *out = x.ref;
    return 0;
}

int store_r_ref_summary(struct store *s, const char *model, const char *version, int64_t set_ms,
                        char **summary, size_t *len)
{
    return store__read_bytes(
        s,
        &(struct store__query){
            .what = "ref summary get",
            .sql = "SELECT summary FROM ref_summaries WHERE version_id = ?1 AND set_at = ?2",
            .model = model,
            .version = version,
            .args = STORE__ARGS(STORE__INT(set_ms))},
        summary, len);
}
