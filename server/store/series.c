/* series.c — bucketed time series of stored results, verdicts, events and
 * alerts (series.h), for the Grafana datasource.
 */
#include "server/store/series.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "server/store/store_int.h"

/* A bucket's time: its start, or the one row's own time. */
static int64_t bucket_time(sqlite3_stmt *st, int b_col, int min_col, int n_col, int64_t bucket_ms)
{
    if (sqlite3_column_int64(st, n_col) == 1)
        return sqlite3_column_int64(st, min_col);
    return sqlite3_column_int64(st, b_col) * bucket_ms;
}

/* ---- drift results ---- */

struct drift_ctx {
    struct store__rows rows;
    int64_t bucket_ms;
    int64_t bucket; /* the bucket of the last point pushed; -1: none yet */
};

/* One stored result, in time order, folded into its bucket as SQL's MIN/MAX
 * would (a NULL statistic or p-value is skipped: fmax()/fmin() of NaN). */
static void drift_row(sqlite3_stmt *st, void *arg)
{
    struct drift_ctx *c = arg;
    int64_t t = sqlite3_column_int64(st, 0), b = t / c->bucket_ms;
    double stat = store__col_double(st, 1), p = store__col_double(st, 2);
    int drift = sqlite3_column_int(st, 3);
    struct series_drift *x;
    if (b != c->bucket || c->rows.n == 0) {
        c->bucket = b;
        x = store__rows_push(&c->rows);
        *x = (struct series_drift){.t_ms = t, .statistic = stat, .p_value = p, .drift = drift};
    } else {
        x = (struct series_drift *)c->rows.items + (c->rows.n - 1);
        x->t_ms = b * c->bucket_ms; /* a bucket of more than one row: its start */
        x->statistic = fmax(x->statistic, stat);
        x->p_value = fmin(x->p_value, p);
        x->drift |= drift;
    }
    x->n++;
}

int series_r_drift(struct store *s, const char *model, const char *version, const char *signal,
                   const char *method, int64_t from_ms, int64_t to_ms, int64_t bucket_ms,
                   struct series_drift **out, size_t *n)
{
    struct drift_ctx c = {
        .rows = {.size = sizeof **out}, .bucket_ms = bucket_ms > 0 ? bucket_ms : 1, .bucket = -1};
    /* the rows in the covering index's order, bucketed here: a GROUP BY on
     * computed_at / bucket would sort them again in a temporary b-tree, three
     * to four times the cost of the scan (tests/bench/grafana) */
    int rc =
        store__read(s, &(struct store__query){
                           .what = "grafana drift series",
                           .sql = "SELECT computed_at, statistic, p_value, drift FROM drift_results"
                                  " WHERE version_id = ?1 AND signal = ?2 AND method = ?3"
                                  " AND computed_at BETWEEN ?4 AND ?5 ORDER BY computed_at",
                           .model = model,
                           .version = version,
                           .args = STORE__ARGS(STORE__TEXT(signal), STORE__TEXT(method),
                                               STORE__INT(from_ms), STORE__INT(to_ms)),
                           .row = drift_row,
                           .arg = &c});
    return store__rows_take(rc, &c.rows, out, n);
}

/* ---- evaluations: the latest, verdicts ---- */

static void latest_row(sqlite3_stmt *st, void *arg)
{
    struct series_latest *x = arg;
    store__col_text(st, 0, x->window, sizeof x->window);
    store__col_text(st, 1, x->status, sizeof x->status);
    x->computed_ms = sqlite3_column_int64(st, 2);
    const void *body = sqlite3_column_text(st, 3);
    size_t len = (size_t)sqlite3_column_bytes(st, 3);
    free(x->body);
    x->body = malloc(len + 1);
    if (x->body) {
        memcpy(x->body, body ? body : "", len);
        x->body[len] = '\0';
    }
}

int series_r_latest(struct store *s, const char *model, const char *version,
                    struct series_latest *out)
{
    struct series_latest x = {0};
    /* the newest of each window's newest (the windows found by a skip scan of
     * the (version_id, window, computed_at) index): a few index seeks however
     * long the history */
    int rc = store__read(
        s, &(struct store__query){
               .what = "grafana latest evaluation",
               .sql = "WITH RECURSIVE w(x) AS ("
                      " SELECT (SELECT MIN(window) FROM evaluations WHERE version_id = ?1)"
                      " UNION ALL SELECT (SELECT MIN(window) FROM evaluations"
                      "  WHERE version_id = ?1 AND window > w.x) FROM w WHERE w.x IS NOT NULL)"
                      " SELECT e.window, e.status, e.computed_at, e.body FROM w"
                      " JOIN evaluations e ON e.id = (SELECT id FROM evaluations"
                      "  WHERE version_id = ?1 AND window = w.x ORDER BY computed_at DESC LIMIT 1)"
                      " ORDER BY e.computed_at DESC LIMIT 1",
               .model = model,
               .version = version,
               .row = latest_row,
               .arg = &x,
               .one = 1});
    if (rc == 0 && !x.body)
        rc = DD_EIO; /* out of memory */
    if (rc != 0) {
        free(x.body);
        return rc;
    }
    *out = x;
    return 0;
}

/* Points gathered by a GROUP BY of bucket numbers, and the bucket width
 * that turns a number into a time (verdicts and events). */
struct bucket_rows {
    struct store__rows rows;
    int64_t bucket_ms;
};

static void verdict_row(sqlite3_stmt *st, void *arg)
{
    struct bucket_rows *c = arg;
    struct series_value *p = store__rows_push(&c->rows);
    p->t_ms = bucket_time(st, 0, 1, 3, c->bucket_ms);
    p->value = sqlite3_column_double(st, 2);
    p->n = sqlite3_column_int64(st, 3);
}

int series_r_verdicts(struct store *s, const char *model, const char *version, const char *window,
                      int64_t from_ms, int64_t to_ms, int64_t bucket_ms, struct series_value **out,
                      size_t *n)
{
    struct bucket_rows c = {.rows = {.size = sizeof **out}, .bucket_ms = bucket_ms};
    int rc = store__read(
        s, &(struct store__query){
               .what = "grafana verdict series",
               .sql = "SELECT computed_at / ?5 AS b, MIN(computed_at), MAX(status = 'drift'),"
                      " COUNT(*) FROM evaluations WHERE version_id = ?1 AND window = ?2"
                      " AND computed_at BETWEEN ?3 AND ?4 AND status IN ('ok', 'drift')"
                      " GROUP BY b ORDER BY b",
               .model = model,
               .version = version,
               .args = STORE__ARGS(STORE__TEXT(window), STORE__INT(from_ms), STORE__INT(to_ms),
                                   STORE__INT(bucket_ms)),
               .row = verdict_row,
               .arg = &c});
    return store__rows_take(rc, &c.rows, out, n);
}

static void verdict_list_row(sqlite3_stmt *st, void *arg)
{
    struct series_value *p = store__rows_push(arg);
    p->t_ms = sqlite3_column_int64(st, 0);
    p->value = sqlite3_column_double(st, 1);
    p->n = 1;
}

int series_r_verdict_list(struct store *s, const char *model, const char *version,
                          const char *window, int64_t from_ms, int64_t to_ms, size_t max,
                          struct series_value **out, size_t *n, int *before)
{
    int64_t prev = -1;
    int rc = store__read(
        s, &(struct store__query){
               .what = "grafana verdict before",
               .sql = "SELECT status = 'drift' FROM evaluations WHERE version_id = ?1"
                      " AND window = ?2 AND computed_at < ?3 AND status IN ('ok', 'drift')"
                      " ORDER BY computed_at DESC LIMIT 1",
               .model = model,
               .version = version,
               .args = STORE__ARGS(STORE__TEXT(window), STORE__INT(from_ms)),
               .row = store__row_int64,
               .arg = &prev});
    if (rc != 0)
        return rc;
    rc = store__read_rows(
        s,
        &(struct store__query){
            .what = "grafana verdict list",
            .sql = "SELECT computed_at, status = 'drift' FROM evaluations WHERE version_id = ?1"
                   " AND window = ?2 AND computed_at BETWEEN ?3 AND ?4"
                   " AND status IN ('ok', 'drift') ORDER BY computed_at LIMIT ?5",
            .model = model,
            .version = version,
            .args = STORE__ARGS(STORE__TEXT(window), STORE__INT(from_ms), STORE__INT(to_ms),
                                STORE__INT(max)),
            .row = verdict_list_row},
        sizeof **out, NULL, out, n);
    if (rc == 0)
        *before = (int)prev;
    return rc;
}

/* ---- events ---- */

static void events_row(sqlite3_stmt *st, void *arg)
{
    struct bucket_rows *c = arg;
    struct series_events *p = store__rows_push(&c->rows);
    p->t_ms = sqlite3_column_int64(st, 0) * c->bucket_ms; /* a rate is per bucket */
    p->count = sqlite3_column_int64(st, 1);
    p->confidence_mean = store__col_double(st, 2);
    p->labelled = sqlite3_column_int64(st, 3);
    p->correct = sqlite3_column_int64(st, 4);
}

int series_r_events(struct store *s, const char *model, const char *version, int64_t from_ms,
                    int64_t to_ms, int64_t bucket_ms, struct series_events **out, size_t *n)
{
    struct bucket_rows c = {.rows = {.size = sizeof **out}, .bucket_ms = bucket_ms};
    int rc = store__read(
        s, &(struct store__query){
               .what = "grafana event series",
               .sql = "SELECT ts / ?4 AS b, COUNT(*), AVG(confidence), COUNT(label),"
                      " COALESCE(SUM(label = prediction), 0) FROM events"
                      " WHERE version_id = ?1 AND ts BETWEEN ?2 AND ?3 GROUP BY b ORDER BY b",
               .model = model,
               .version = version,
               .args = STORE__ARGS(STORE__INT(from_ms), STORE__INT(to_ms), STORE__INT(bucket_ms)),
               .row = events_row,
               .arg = &c});
    return store__rows_take(rc, &c.rows, out, n);
}

double series_quantile_sorted(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (pos - (double)lo) * (v[lo + 1] - v[lo]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct latency_item {
    int64_t bucket;
    double v;
};

static void latency_row(sqlite3_stmt *st, void *arg)
{
    struct latency_item *p = store__rows_push(arg);
    p->bucket = sqlite3_column_int64(st, 0);
    p->v = sqlite3_column_double(st, 1);
}

int series_r_latency(struct store *s, const char *model, const char *version, int64_t from_ms,
                     int64_t to_ms, int64_t bucket_ms, double q, size_t max_values,
                     struct series_value **out, size_t *n, int *cut)
{
    struct store__rows items = {.size = sizeof(struct latency_item)};
    int rc = store__read(
        s, &(struct store__query){
               .what = "grafana latency series",
               .sql = "SELECT ts / ?4, latency_ms FROM events WHERE version_id = ?1"
                      " AND ts BETWEEN ?2 AND ?3 AND latency_ms IS NOT NULL ORDER BY ts LIMIT ?5",
               .model = model,
               .version = version,
               .args = STORE__ARGS(STORE__INT(from_ms), STORE__INT(to_ms), STORE__INT(bucket_ms),
                                   STORE__INT(max_values + 1)),
               .row = latency_row,
               .arg = &items});
    if (rc != 0) {
        free(items.items);
        return rc;
    }
    int over = items.n > max_values;
    if (over)
        items.n = max_values;
    struct latency_item *it = items.items;
    struct store__rows rows = {.size = sizeof **out};
    double *vals = items.n ? malloc(items.n * sizeof *vals) : NULL;
    for (size_t i = 0; i < items.n && vals;) {
        size_t j = i, k = 0;
        while (j < items.n && it[j].bucket == it[i].bucket)
            vals[k++] = it[j++].v;
        qsort(vals, k, sizeof *vals, cmp_double);
        struct series_value *p = store__rows_push(&rows);
        p->t_ms = it[i].bucket * bucket_ms;
        p->value = series_quantile_sorted(vals, k, q);
        p->n = (int64_t)k;
        i = j;
    }
    if (items.n && !vals)
        rc = DD_EIO;
    free(vals);
    free(items.items);
    if (rc == 0)
        *cut = over;
    return store__rows_take(rc, &rows, out, n);
}

/* ---- alerts ---- */

int series_r_alerts(struct store *s, const char *model, const char *version, int64_t from_ms,
                    int64_t to_ms, size_t max, struct store_alert **out, size_t *n)
{
    return store__read_rows(
        s,
        &(struct store__query){
            .what = "grafana alerts",
            .sql = "SELECT " STORE__ALERT_COLUMNS
                   " FROM alerts WHERE started_at IS NOT NULL AND started_at <= ?2"
                   " AND (resolved_at IS NULL OR resolved_at >= ?1)"
                   " AND (?3 IS NULL OR model = ?3) AND (?4 IS NULL OR version = ?4)"
                   " ORDER BY started_at, id LIMIT ?5",
            .args = STORE__ARGS(STORE__INT(from_ms), STORE__INT(to_ms), STORE__TEXT(model),
                                STORE__TEXT(version), STORE__INT(max)),
            .row = store__alert_row},
        sizeof **out, store__alert_release, out, n);
}
