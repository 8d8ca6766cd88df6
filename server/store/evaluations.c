/* evaluations.c — stored evaluations and their history (store.h): one
 * evaluations row per round and version (the JSON answer, its status) and
 * one drift_results row per signal and method (the history's points).
 */
#include "server/store/store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/eval.h"
#include "base/alloc.h"
#include "base/err.h"
#include "server/store/store_int.h"

/* ---- writer ---- */

/* The evaluation and its results; *eid_out its id. */
static int insert_evaluation(struct store *s, const char *model, const char *version,
                             const char *window, int64_t computed_ms, const char *status,
                             const struct dd_report *rep, const char *body, int64_t *eid_out)
{
    int64_t vid = store__version_id(s, model, version);
    if (vid < 0)
        return DD_ENOTFOUND;
    int rc = store__run(
        s->w, &(struct store__query){
                  .what = "evaluation insert",
                  .sql = "INSERT INTO evaluations (version_id, window, computed_at, status, body)"
                         " VALUES (?1, ?2, ?3, ?4, ?5)",
                  .args = STORE__ARGS(STORE__INT(vid), STORE__TEXT(window), STORE__INT(computed_ms),
                                      STORE__TEXT(status), STORE__TEXT(body))});
    if (rc != 0)
        return rc;
    int64_t eid = sqlite3_last_insert_rowid(s->w);
    *eid_out = eid;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->w,
                           "INSERT INTO drift_results (evaluation_id, version_id, computed_at,"
                           " signal, method, statistic, p_value, threshold, drift, n_ref, n_cur)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                           -1, &st, NULL) != SQLITE_OK)
        return store__sqlerr(s->w, "results insert");
    for (size_t i = 0; i < rep->n_results && rc == 0; i++) {
        const struct dd_result *r = &rep->results[i];
        if (r->status != 0)
            continue; /* insufficient data: nothing to plot */
        sqlite3_bind_int64(st, 1, eid);
        sqlite3_bind_int64(st, 2, vid);
        sqlite3_bind_int64(st, 3, computed_ms);
        sqlite3_bind_text(st, 4, r->signal, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, r->method, -1, SQLITE_STATIC);
        store__bind_double(st, 6, r->statistic);
        store__bind_double(st, 7, r->p_value);
        store__bind_double(st, 8, r->threshold);
        sqlite3_bind_int(st, 9, r->drift);
        sqlite3_bind_int64(st, 10, (int64_t)r->n_ref);
        sqlite3_bind_int64(st, 11, (int64_t)r->n_cur);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = store__sqlerr(s->w, "results insert step");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int store_w_insert_evaluation(struct store *s, const char *model, const char *version,
                              const char *window, int64_t computed_ms, const char *status,
                              const struct dd_report *rep, const char *body)
{
    int64_t eid;
    return insert_evaluation(s, model, version, window, computed_ms, status, rep, body, &eid);
}

int store_w_insert_evaluation_alerts(struct store *s, const char *model, const char *version,
                                     const char *window, int64_t computed_ms, const char *status,
                                     const struct dd_report *rep, const char *body,
                                     const struct store_alert_change *changes, size_t n_changes)
{
    int64_t eid = 0;
    int rc = insert_evaluation(s, model, version, window, computed_ms, status, rep, body, &eid);
    return rc != 0 ? rc : store_w_alert_changes(s, eid, changes, n_changes);
}

/* ---- readers ---- */

struct latest_row {
    struct store__bytes body;
    int64_t computed_ms;
};

static void latest_row(sqlite3_stmt *st, void *arg)
{
    struct latest_row *x = arg;
    store__row_bytes(st, &x->body);
    x->computed_ms = sqlite3_column_int64(st, 1);
}

int store_r_latest_evaluation(struct store *s, const char *model, const char *version,
                              const char *window, int64_t *computed_ms, char **body)
{
    struct latest_row x = {0};
    int rc =
        store__read(s, &(struct store__query){
                           .what = "latest evaluation",
                           .sql = "SELECT body, computed_at FROM evaluations WHERE version_id = ?1"
                                  " AND window = ?2 ORDER BY computed_at DESC LIMIT 1",
                           .model = model,
                           .version = version,
                           .args = STORE__ARGS(STORE__TEXT(window)),
                           .row = latest_row,
                           .arg = &x,
                           .one = 1});
    if (rc != 0)
        return rc;
    *computed_ms = x.computed_ms;
    *body = x.body.data;
    return 0;
}

static void status_row(sqlite3_stmt *st, void *arg)
{
    struct store_model_info *m = arg;
    const char *version = (const char *)sqlite3_column_text(st, 0);
    const char *status = (const char *)sqlite3_column_text(st, 1);
    for (size_t i = 0; status && i < m->n_versions; i++)
        if (strcmp(m->versions[i].name, version) == 0)
            snprintf(m->versions[i].status, sizeof m->versions[i].status, "%s", status);
}

int store_r_statuses(struct store *s, struct store_model_info *m)
{
    /* one row per version of the model: its latest status, NULL without one */
    return store__read(
        s, &(struct store__query){
               .what = "statuses",
               .sql = "SELECT v.name, (SELECT e.status FROM evaluations e WHERE e.version_id = v.id"
                      " ORDER BY e.computed_at DESC LIMIT 1)"
                      " FROM versions v JOIN models mo ON mo.id = v.model_id WHERE mo.name = ?1",
               .args = STORE__ARGS(STORE__TEXT(m->name)),
               .row = status_row,
               .arg = m});
}

static void history_row(sqlite3_stmt *st, void *arg)
{
    struct store_point *p = store__rows_push(arg);
    p->t_ms = sqlite3_column_int64(st, 0);
    p->statistic = store__col_double(st, 1);
    p->p_value = store__col_double(st, 2);
    p->drift = sqlite3_column_int(st, 3);
}

int store_r_history(struct store *s, const char *model, const char *version, const char *signal,
                    const char *method, int64_t from_ms, int64_t to_ms, size_t max_points,
                    struct store_point **out, size_t *n)
{
    struct store__rows points = {.size = sizeof **out};
    int rc = store__read(
        s, &(struct store__query){
               .what = "history",
               .sql = "SELECT computed_at, statistic, p_value, drift FROM drift_results"
                      " WHERE version_id = ?1 AND signal = ?2 AND method = ?3"
                      " AND computed_at BETWEEN ?4 AND ?5 ORDER BY computed_at DESC LIMIT ?6",
               .model = model,
               .version = version,
               .args = STORE__ARGS(STORE__TEXT(signal), STORE__TEXT(method), STORE__INT(from_ms),
                                   STORE__INT(to_ms), STORE__INT(max_points)),
               .row = history_row,
               .arg = &points});
    struct store_point *p = points.items;
    for (size_t i = 0; rc == 0 && i < points.n / 2; i++) { /* newest first -> oldest first */
        struct store_point t = p[i];
        p[i] = p[points.n - 1 - i];
        p[points.n - 1 - i] = t;
    }
    return store__rows_take(rc, &points, out, n);
}
