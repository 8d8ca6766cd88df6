/* lifecycle.c — deleting what was stored, and lists a page at a time
 * (store.h "lifecycle"): models, versions, references and ranges of events,
 * deleted in batches of at most STORE_DELETE_BATCH rows per transaction so
 * that the writer thread (and with it all ingest) is never held for long;
 * the model and version lists of the API one page at a time.
 *
 * Reading order: the writer's caches and counters (what a delete must keep
 * right besides the rows), the bulk tables a batch takes rows from, the
 * small rows of the last batch, store_w_delete(); then the readers.
 *
 * A delete is a sequence of store_w_delete() calls, each its own
 * transaction and each leaving the database consistent: a restart in the
 * middle leaves fewer events with the counters right, and the same delete
 * sent again finishes it.
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

/* ---- the writer's caches and counters ---- */

/* Takes n deleted events off version vid's counters; first_ts and last_ts
 * from what is left (two lookups on the (version_id, ts) index). */
static int recount(struct store *s, int64_t vid, int64_t n)
{
    return store__run(s->w,
                      &(struct store__query){
                          .what = "delete: version counts",
                          .sql = "UPDATE versions SET events = MAX(events - ?2, 0),"
                                 " first_ts = (SELECT MIN(ts) FROM events WHERE version_id = ?1),"
                                 " last_ts = (SELECT MAX(ts) FROM events WHERE version_id = ?1)"
                                 " WHERE id = ?1",
                          .args = STORE__ARGS(STORE__INT(vid), STORE__INT(n))});
}

/* Forgets the names of a deleted model (model_id >= 0: it and all its
 * versions) or version (version_id >= 0) in the writer's caches, so the
 * next event creates them anew.  Their pending tallies go with them: the
 * rows they counted are gone. */
static void forget(struct store *s, int64_t model_id, int64_t version_id)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n_versions; i++) {
        struct store__version *v = &s->versions[i];
        if ((model_id >= 0 && v->model_id == model_id) || v->id == version_id)
            continue;
        s->versions[k++] = *v;
    }
    s->n_versions = k;
    if (model_id < 0)
        return;
    k = 0;
    for (size_t i = 0; i < s->n_models; i++)
        if (s->models[i].id != model_id)
            s->models[k++] = s->models[i];
    s->n_models = k;
}

/* ---- the bulk tables: at most `left` rows a call ---- */

static void id_row(sqlite3_stmt *st, void *arg)
{
    struct store__rows *ids = arg;
    *(int64_t *)store__rows_push(ids) = sqlite3_column_int64(st, 0);
}

/* The versions a delete touches: one (vid >= 0) or all of the model's. */
static int target_versions(struct store *s, int64_t model_id, int64_t vid, int64_t **out, size_t *n)
{
    if (vid >= 0) {
        *out = dd_malloc(sizeof **out);
        (*out)[0] = vid;
        *n = 1;
        return 0;
    }
    struct store__rows ids = {.size = sizeof **out};
    int rc = store__run(s->w, &(struct store__query){
                                  .what = "delete: versions of the model",
                                  .sql = "SELECT id FROM versions WHERE model_id = ?1 ORDER BY id",
                                  .args = STORE__ARGS(STORE__INT(model_id)),
                                  .row = id_row,
                                  .arg = &ids});
    return store__rows_take(rc, &ids, out, n);
}

int store__delete_events(struct store *s, int64_t vid, int64_t from, int64_t to, int64_t max_id,
                         int64_t *left, int64_t *events)
{
    /* the pending tally of rows inserted earlier in this transaction first
     * (store.c flushes them at commit), so that the counter update below
     * sees every event */
    int rc = store__flush_tallies(s, vid);
    if (rc != 0 || *left <= 0)
        return rc;
    int64_t n = 0;
    rc = store__run(
        s->w,
        &(struct store__query){
            .what = "delete: events",
            .sql = "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE version_id = ?1"
                   " AND ts >= ?2 AND ts < ?3 AND (?4 <= 0 OR id <= ?4) ORDER BY ts LIMIT ?5)",
            .args = STORE__ARGS(STORE__INT(vid), STORE__INT(from), STORE__INT(to),
                                STORE__INT(max_id), STORE__INT(*left)),
            .changes = &n});
    if (rc != 0 || n == 0)
        return rc;
    *left -= n;
    *events += n;
    return recount(s, vid, n);
}

/* Deletes at most *left rows of `table` with version_id = vid. */
static int delete_rows(struct store *s, const char *what, const char *sql, int64_t vid,
                       int64_t *left, int64_t *count)
{
    if (*left <= 0)
        return 0;
    int64_t n = 0;
    int rc = store__run(
        s->w, &(struct store__query){.what = what,
                                     .sql = sql,
                                     .args = STORE__ARGS(STORE__INT(vid), STORE__INT(*left)),
                                     .changes = &n});
    if (rc == 0) {
        *left -= n;
        *count += n;
    }
    return rc;
}

static int delete_ref_events(struct store *s, int64_t vid, int64_t *left, int64_t *count)
{
    return delete_rows(s, "delete: ref events",
                       "DELETE FROM ref_events WHERE id IN (SELECT id FROM ref_events"
                       " WHERE version_id = ?1 LIMIT ?2)",
                       vid, left, count);
}

/* Evaluations with their per-signal results: the results first (a batch
 * may end between them; an evaluation is counted when its row goes). */
static int delete_evaluations(struct store *s, int64_t vid, int64_t *left, int64_t *count)
{
    int64_t results = 0;
    int rc = delete_rows(s, "delete: drift results",
                         "DELETE FROM drift_results WHERE rowid IN (SELECT rowid FROM"
                         " drift_results WHERE version_id = ?1 LIMIT ?2)",
                         vid, left, &results);
    if (rc == 0)
        rc = delete_rows(s, "delete: evaluations",
                         "DELETE FROM evaluations WHERE id IN (SELECT id FROM evaluations"
                         " WHERE version_id = ?1 LIMIT ?2)",
                         vid, left, count);
    return rc;
}

/* ---- the small rows: the last batch ---- */

static int run_int(struct store *s, const char *what, const char *sql, int64_t id, int64_t *changes)
{
    return store__run(s->w, &(struct store__query){.what = what,
                                                   .sql = sql,
                                                   .args = STORE__ARGS(STORE__INT(id)),
                                                   .changes = changes});
}

/* A stored reference's rows: the refs row and its prepared summary.  The
 * refcache keys entries by set_at, and a later reference of the version
 * gets a newer one, so no cached entry outlives its rows in use. */
static int delete_reference_rows(struct store *s, int64_t vid)
{
    int rc = run_int(s, "delete: refs", "DELETE FROM refs WHERE version_id = ?1", vid, NULL);
    if (rc == 0)
        rc = run_int(s, "delete: ref summaries", "DELETE FROM ref_summaries WHERE version_id = ?1",
                     vid, NULL);
    return rc;
}

/* The last batch of a version: the events that came after the delete began
 * (any number), its reference rows and the version row. */
static int delete_version_rest(struct store *s, int64_t vid, struct store_deleted *out)
{
    int64_t all = INT64_MAX;
    int rc = store__delete_events(s, vid, INT64_MIN, INT64_MAX, 0, &all, &out->events);
    if (rc == 0)
        rc = delete_reference_rows(s, vid);
    int64_t n = 0;
    if (rc == 0)
        rc = run_int(s, "delete: version", "DELETE FROM versions WHERE id = ?1", vid, &n);
    out->versions += n;
    return rc;
}

/* ---- a batch ---- */

static int has_reference(struct store *s, int64_t vid)
{
    return store__run(s->w,
                      &(struct store__query){.what = "delete: has a reference",
                                             .sql = "SELECT 1 FROM refs WHERE version_id = ?1",
                                             .args = STORE__ARGS(STORE__INT(vid)),
                                             .one = 1});
}

/* One batch over the versions of the target: events, then reference events
 * and evaluations (not for EVENTS), at most *left rows in all. */
static int delete_bulk(struct store *s, const struct store_delete *d, const int64_t *vids,
                       size_t n_vids, int64_t *left, struct store_deleted *out)
{
    int rc = 0;
    int events_only = d->what == STORE_DELETE_EVENTS;
    int64_t from = events_only ? d->from_ms : INT64_MIN, to = events_only ? d->to_ms : INT64_MAX;
    for (size_t i = 0; i < n_vids && rc == 0 && *left > 0; i++) {
        if (d->what != STORE_DELETE_REFERENCE)
            rc = store__delete_events(s, vids[i], from, to, d->max_event_id, left, &out->events);
        if (rc == 0 && !events_only)
            rc = delete_ref_events(s, vids[i], left, &out->reference_events);
        if (rc == 0 && !events_only && d->what != STORE_DELETE_REFERENCE)
            rc = delete_evaluations(s, vids[i], left, &out->evaluations);
    }
    return rc;
}

/* The last batch: what is left of the target beyond the bulk rows. */
static int delete_rest(struct store *s, const struct store_delete *d, int64_t model_id,
                       const int64_t *vids, size_t n_vids, struct store_deleted *out)
{
    int rc = 0;
    switch (d->what) {
    case STORE_DELETE_EVENTS:
        break;
    case STORE_DELETE_REFERENCE:
        rc = delete_reference_rows(s, vids[0]);
        break;
    case STORE_DELETE_VERSION:
        rc = delete_version_rest(s, vids[0], out);
        if (rc == 0)
            forget(s, -1, vids[0]);
        break;
    case STORE_DELETE_MODEL:
        for (size_t i = 0; i < n_vids && rc == 0; i++)
            rc = delete_version_rest(s, vids[i], out);
        if (rc == 0)
            rc = run_int(s, "delete: settings", "DELETE FROM model_settings WHERE model_id = ?1",
                         model_id, NULL);
        if (rc == 0)
            rc = run_int(s, "delete: model", "DELETE FROM models WHERE id = ?1", model_id, NULL);
        if (rc == 0)
            forget(s, model_id, -1);
        break;
    }
    if (rc == 0)
        out->done = 1;
    return rc;
}

int store_w_delete(struct store *s, const struct store_delete *d, struct store_deleted *out)
{
    memset(out, 0, sizeof *out);
    struct store__model *m = store__model_find(s, d->model, 0);
    if (!m)
        return DD_ENOTFOUND; /* a failed lookup is found again by the next statement */
    int64_t model_id = m->id, vid = -1;
    if (d->version) {
        vid = store__version_id(s, d->model, d->version);
        if (vid < 0)
            return DD_ENOTFOUND;
    }
    if (d->what == STORE_DELETE_REFERENCE) {
        int rc = has_reference(s, vid);
        if (rc != 0)
            return rc;
    }
    int64_t *vids = NULL;
    size_t n_vids = 0;
    int rc = target_versions(s, model_id, vid, &vids, &n_vids);
    int64_t limit = d->limit ? (int64_t)d->limit : STORE_DELETE_BATCH, left = limit;
    if (rc == 0)
        rc = delete_bulk(s, d, vids, n_vids, &left, out);
    /* fewer rows than the limit: nothing of the target's bulk is left */
    if (rc == 0 && left > 0)
        rc = delete_rest(s, d, model_id, vids, n_vids, out);
    free(vids);
    return rc;
}

/* ---- readers ---- */

int store_r_max_event_id(struct store *s, int64_t *out)
{
    return store__read(s, &(struct store__query){.what = "max event id",
                                                 .sql = "SELECT COALESCE(MAX(id), 0) FROM events",
                                                 .row = store__row_int64,
                                                 .arg = out,
                                                 .one = 1});
}

int store_r_models_page(struct store *s, const char *after, size_t limit,
                        struct store_model_info **out, size_t *n)
{
    /* the page's models by the unique index on name, then their versions */
    return store__read_models(
        s, "models page",
        "WITH page AS (SELECT id, name, embedding_dim FROM models WHERE name > ?1"
        " ORDER BY name LIMIT ?2)"
        " SELECT m.name, COALESCE(m.embedding_dim, 0), v.name, v.events, v.first_ts, v.last_ts"
        " FROM page m LEFT JOIN versions v ON v.model_id = m.id ORDER BY m.name, v.name",
        STORE__ARGS(STORE__TEXT(after ? after : ""), STORE__INT(limit)), out, n);
}

int store_r_versions_page(struct store *s, const char *model, const char *after, size_t limit,
                          struct store_model_info **out)
{
    size_t n = 0;
    int rc = store__read_models(
        s, "versions page",
        "SELECT m.name, COALESCE(m.embedding_dim, 0), v.name, v.events, v.first_ts, v.last_ts"
        " FROM models m LEFT JOIN versions v ON v.model_id = m.id AND v.name > ?2"
        " WHERE m.name = ?1 ORDER BY v.name LIMIT ?3",
        STORE__ARGS(STORE__TEXT(model), STORE__TEXT(after ? after : ""), STORE__INT(limit)), out,
        &n);
    if (rc == 0 && n == 0)
        rc = DD_ENOTFOUND;
    return rc;
}
