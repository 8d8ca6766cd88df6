/* alerting.c — receivers, rules, silences, alerts and the outbox rows an
 * alert's change writes (store.h, "alerting").  The bodies are the JSON the
 * API took; the one thing read inside them is a rule's receivers
 * (json_each), so that a receiver in use cannot be deleted.  The outbox's
 * delivery side (due rows, attempts) is outbox.c's. */
#include "server/store/store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "server/store/store_int.h"

static const char *const table_name[] = {"receivers", "rules", "silences"};

/* ---- readers ---- */

static void alerting_release(void *item)
{
    free(((struct store_alerting_row *)item)->body);
}

static void alerting_row(sqlite3_stmt *st, void *arg)
{
    struct store_alerting_row *r = store__rows_push(arg);
    snprintf(r->id, sizeof r->id, "%s", (const char *)sqlite3_column_text(st, 0));
    r->body = store__col_strdup(st, 1, "{}");
    const unsigned char *src = sqlite3_column_text(st, 2);
    snprintf(r->source, sizeof r->source, "%s", src ? (const char *)src : "api");
    r->created_ms = store__col_time(st, 3);
    r->updated_ms = store__col_time(st, 4);
    r->ends_ms = store__col_time(st, 5);
}

int store_r_alerting(struct store *s, enum store_alerting_table t, const char *id,
                     struct store_alerting_row **out, size_t *n)
{
    static const char *const sql[2][3] = {
        {"SELECT id, body, source, created_at, NULL, NULL FROM receivers ORDER BY id",
         "SELECT id, body, source, created_at, updated_at, NULL FROM rules ORDER BY id",
         "SELECT id, body, 'api', created_at, NULL, ends_at FROM silences ORDER BY id"},
        {"SELECT id, body, source, created_at, NULL, NULL FROM receivers WHERE id = ?1",
         "SELECT id, body, source, created_at, updated_at, NULL FROM rules WHERE id = ?1",
         "SELECT id, body, 'api', created_at, NULL, ends_at FROM silences WHERE id = ?1"}};
    struct store__rows rows = {.size = sizeof(struct store_alerting_row),
                               .release = alerting_release};
    int rc = store__read(s, &(struct store__query){.what = table_name[t],
                                                   .sql = sql[id != NULL][t],
                                                   .args = id ? STORE__ARGS(STORE__TEXT(id)) : NULL,
                                                   .row = alerting_row,
                                                   .arg = &rows});
    if (rc == 0 && id && rows.n == 0)
        rc = DD_ENOTFOUND;
    return store__rows_take(rc, &rows, out, n);
}

void store_alerting_rows_free(struct store_alerting_row *rows, size_t n)
{
    store__rows_free(rows, n, sizeof *rows, alerting_release);
}

void store__alert_release(void *item)
{
    free(((struct store_alert *)item)->labels);
}

void store__alert_row(sqlite3_stmt *st, void *arg)
{
    struct store_alert *a = store__rows_push(arg);
    a->id = sqlite3_column_int64(st, 0);
    store__col_text(st, 1, a->rule_id, sizeof a->rule_id);
    store__col_text(st, 2, a->model, sizeof a->model);
    store__col_text(st, 3, a->version, sizeof a->version);
    store__col_text(st, 4, a->alert_key, sizeof a->alert_key);
    store__col_text(st, 5, a->state, sizeof a->state);
    a->value = store__col_double(st, 6);
    a->labels = store__col_strdup(st, 7, NULL);
    a->pending_since_ms = store__col_time(st, 8);
    a->started_ms = store__col_time(st, 9);
    a->resolved_ms = store__col_time(st, 10);
    a->last_notified_ms = store__col_time(st, 11);
    a->evaluation_id =
        sqlite3_column_type(st, 12) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 12);
}

int store_r_alerts(struct store *s, const struct store_alert_filter *f, struct store_alert **out,
                   size_t *n)
{
    /* NULL parameters match anything */
    return store__read_rows(
        s,
        &(struct store__query){
            .what = "alerts",
            .sql = "SELECT " STORE__ALERT_COLUMNS
                   " FROM alerts WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR model = ?2)"
                   " AND (?3 IS NULL OR version = ?3) AND (?4 IS NULL OR rule_id = ?4)"
                   " AND (?5 = 0 OR state != 'resolved') AND (?6 <= 0 OR id < ?6)"
                   " ORDER BY id DESC LIMIT ?7",
            .args = STORE__ARGS(STORE__TEXT(f->state), STORE__TEXT(f->model),
                                STORE__TEXT(f->version), STORE__TEXT(f->rule),
                                STORE__INT(f->open_only), STORE__INT(f->before_id),
                                STORE__INT(f->limit ? (int64_t)f->limit : -1)),
            .row = store__alert_row},
        sizeof(struct store_alert), store__alert_release, out, n);
}

void store_alerts_free(struct store_alert *a, size_t n)
{
    store__rows_free(a, n, sizeof *a, store__alert_release);
}

static void delivery_release(void *item)
{
    struct store_delivery *d = item;
    free(d->last_error);
    for (size_t k = 0; k < d->n_tries; k++)
        free(d->tries[k].error);
    free(d->tries);
}

static void delivery_row(sqlite3_stmt *st, void *arg)
{
    struct store_delivery *d = store__rows_push(arg);
    d->id = sqlite3_column_int64(st, 0);
    store__col_text(st, 1, d->message_id, sizeof d->message_id);
    store__col_text(st, 2, d->receiver_id, sizeof d->receiver_id);
    store__col_text(st, 3, d->event, sizeof d->event);
    store__col_text(st, 4, d->state, sizeof d->state);
    d->attempts = sqlite3_column_int64(st, 5);
    d->last_status = sqlite3_column_int(st, 6);
    d->last_error = store__col_strdup(st, 7, NULL);
    d->created_ms = store__col_time(st, 8);
    d->next_attempt_ms = store__col_time(st, 9);
    d->done_ms = store__col_time(st, 10);
}

struct tries_ctx {
    struct store_delivery *d;
    size_t n;
};

static void attempt_row(sqlite3_stmt *st, void *arg)
{
    struct tries_ctx *c = arg;
    int64_t outbox_id = sqlite3_column_int64(st, 0);
    for (size_t i = 0; i < c->n; i++) {
        struct store_delivery *d = &c->d[i];
        if (d->id != outbox_id)
            continue;
        d->tries = dd_realloc(d->tries, (d->n_tries + 1) * sizeof *d->tries);
        struct store_attempt *a = &d->tries[d->n_tries++];
        a->at_ms = sqlite3_column_int64(st, 1);
        a->status = sqlite3_column_int(st, 2);
        a->error = store__col_strdup(st, 3, NULL);
        a->elapsed_ms = store__col_time(st, 4);
        return;
    }
}

int store_r_deliveries(struct store *s, int64_t alert_id, struct store_delivery **out, size_t *n)
{
    struct store__rows rows = {.size = sizeof(struct store_delivery), .release = delivery_release};
    int rc = store__read(
        s, &(struct store__query){
               .what = "deliveries",
               .sql = "SELECT id, message_id, receiver_id, event, state, attempts, last_status,"
                      " last_error, created_at, next_attempt_at, done_at FROM outbox"
                      " WHERE alert_id = ?1 ORDER BY id",
               .args = STORE__ARGS(STORE__INT(alert_id)),
               .row = delivery_row,
               .arg = &rows});
    struct tries_ctx c = {rows.items, rows.n};
    if (rc == 0 && rows.n)
        rc = store__read(s,
                         &(struct store__query){
                             .what = "delivery attempts",
                             .sql = "SELECT a.outbox_id, a.at, a.status, a.error, a.elapsed_ms"
                                    " FROM delivery_attempts a JOIN outbox o ON o.id = a.outbox_id"
                                    " WHERE o.alert_id = ?1 ORDER BY a.outbox_id, a.at, a.rowid",
                             .args = STORE__ARGS(STORE__INT(alert_id)),
                             .row = attempt_row,
                             .arg = &c});
    return store__rows_take(rc, &rows, out, n);
}

void store_deliveries_free(struct store_delivery *d, size_t n)
{
    store__rows_free(d, n, sizeof *d, delivery_release);
}

/* ---- writer ---- */

static int exists(struct store *s, const char *table_sql, const char *id, int *out)
{
    int64_t n = 0;
    int rc = store__run(s->w, &(struct store__query){.what = "alerting lookup",
                                                     .sql = table_sql,
                                                     .args = STORE__ARGS(STORE__TEXT(id)),
                                                     .row = store__row_int64,
                                                     .arg = &n});
    *out = n > 0;
    return rc;
}

static int exec1(struct store *s, const char *what, const char *sql, const struct store__arg *args,
                 int64_t *changes)
{
    return store__run(
        s->w, &(struct store__query){.what = what, .sql = sql, .args = args, .changes = changes});
}

/* The first of ids that no receiver has: 0 (all exist), DD_ENOTFOUND with
 * it in detail, or a failure. */
static int receivers_exist(struct store *s, const char *const *ids, size_t n, char *detail,
                           size_t len)
{
    for (size_t i = 0; i < n; i++) {
        int yes = 0;
        int rc = exists(s, "SELECT COUNT(*) FROM receivers WHERE id = ?1", ids[i], &yes);
        if (rc != 0)
            return rc;
        if (!yes) {
            if (detail)
                snprintf(detail, len, "%s", ids[i]);
            return DD_ENOTFOUND;
        }
    }
    return 0;
}

struct users_ctx {
    char *out;
    size_t len;
    size_t n;
};

static void user_row(sqlite3_stmt *st, void *arg)
{
    struct users_ctx *u = arg;
    size_t used = strlen(u->out);
    if (u->len > used)
        snprintf(u->out + used, u->len - used, "%s%s", u->n++ ? ", " : "",
                 (const char *)sqlite3_column_text(st, 0));
}

/* The config file's lists, after checking (before anything is written)
 * that every receiver a rule names is in the file or was added by the API. */
static int config_load(struct store *s, const struct store_alerting_op *op)
{
    for (size_t i = 0; i < op->n_cfg_rules; i++) {
        const struct store_alerting_item *r = &op->cfg_rules[i];
        for (size_t k = 0; k < r->n_receivers; k++) {
            int yes = 0;
            for (size_t j = 0; j < op->n_cfg_receivers && !yes; j++)
                yes = !strcmp(op->cfg_receivers[j].id, r->receivers[k]);
            int rc =
                yes ? 0
                    : exists(s, "SELECT COUNT(*) FROM receivers WHERE id = ?1 AND source = 'api'",
                             r->receivers[k], &yes);
            if (rc != 0)
                return rc;
            if (!yes) {
                if (op->detail)
                    snprintf(op->detail, op->detail_len, "%s", r->receivers[k]);
                return DD_ENOTFOUND;
            }
        }
    }
    int rc =
        exec1(s, "config receivers", "DELETE FROM receivers WHERE source = 'config'", NULL, NULL);
    for (size_t i = 0; rc == 0 && i < op->n_cfg_receivers; i++)
        rc = exec1(s, "config receiver",
                   "INSERT OR REPLACE INTO receivers (id, body, source, created_at)"
                   " VALUES (?1, ?2, 'config', ?3)",
                   STORE__ARGS(STORE__TEXT(op->cfg_receivers[i].id),
                               STORE__TEXT(op->cfg_receivers[i].body), STORE__INT(op->now_ms)),
                   NULL);
    if (rc == 0)
        rc = exec1(s, "config rules", "DELETE FROM rules WHERE source = 'config'", NULL, NULL);
    for (size_t i = 0; rc == 0 && i < op->n_cfg_rules; i++)
        rc = exec1(s, "config rule",
                   "INSERT OR REPLACE INTO rules (id, body, source, created_at, updated_at)"
                   " VALUES (?1, ?2, 'config', ?3, ?3)",
                   STORE__ARGS(STORE__TEXT(op->cfg_rules[i].id), STORE__TEXT(op->cfg_rules[i].body),
                               STORE__INT(op->now_ms)),
                   NULL);
    return rc;
}

int store_w_alerting(struct store *s, const struct store_alerting_op *op)
{
    if (op->detail && op->detail_len)
        op->detail[0] = '\0';
    int yes = 0, rc = 0;
    int64_t changed = 0;
    switch (op->what) {
    case STORE_RECEIVER_ADD:
        if ((rc = exists(s, "SELECT COUNT(*) FROM receivers WHERE id = ?1", op->id, &yes)) != 0)
            return rc;
        if (yes)
            return DD_ECONFLICT;
        return exec1(
            s, "receiver insert",
            "INSERT INTO receivers (id, body, source, created_at) VALUES (?1, ?2, 'api', ?3)",
            STORE__ARGS(STORE__TEXT(op->id), STORE__TEXT(op->body), STORE__INT(op->now_ms)), NULL);
    case STORE_RECEIVER_DELETE: {
        if ((rc = exists(s, "SELECT COUNT(*) FROM receivers WHERE id = ?1", op->id, &yes)) != 0)
            return rc;
        if (!yes)
            return DD_ENOTFOUND;
        char users[512] = "";
        struct users_ctx u = {users, sizeof users, 0};
        rc = store__run(s->w, &(struct store__query){
                                  .what = "receiver users",
                                  .sql = "SELECT DISTINCT r.id FROM rules r, json_each(r.body, "
                                         "'$.receivers') j WHERE j.value = ?1 ORDER BY r.id",
                                  .args = STORE__ARGS(STORE__TEXT(op->id)),
                                  .row = user_row,
                                  .arg = &u});
        if (rc != 0)
            return rc;
        if (u.n) {
            if (op->detail)
                snprintf(op->detail, op->detail_len, "%s", users);
            return DD_ECONFLICT;
        }
        return exec1(s, "receiver delete", "DELETE FROM receivers WHERE id = ?1",
                     STORE__ARGS(STORE__TEXT(op->id)), NULL);
    }
    case STORE_RULE_ADD:
    case STORE_RULE_PUT:
        if ((rc = exists(s, "SELECT COUNT(*) FROM rules WHERE id = ?1", op->id, &yes)) != 0)
            return rc;
        if (yes && op->what == STORE_RULE_ADD)
            return DD_ECONFLICT;
        if ((rc = receivers_exist(s, op->receivers, op->n_receivers, op->detail, op->detail_len)) !=
            0)
            return rc;
        if (yes && op->what == STORE_RULE_PUT && op->rule_model &&
            (rc = exec1(s, "rule alerts moved",
                        "UPDATE alerts SET state = 'resolved', resolved_at = ?2"
                        " WHERE rule_id = ?1 AND state != 'resolved'"
                        " AND NOT ((?3 = '*' OR model = ?3) AND (?4 = '' OR version = ?4))",
                        STORE__ARGS(STORE__TEXT(op->id), STORE__INT(op->now_ms),
                                    STORE__TEXT(op->rule_model),
                                    STORE__TEXT(op->rule_version ? op->rule_version : "")),
                        NULL)) != 0)
            return rc;
        return exec1(
            s, "rule upsert",
            "INSERT INTO rules (id, body, source, created_at, updated_at)"
            " VALUES (?1, ?2, 'api', ?3, ?3) ON CONFLICT(id) DO UPDATE SET"
            " body = excluded.body, source = 'api', updated_at = excluded.updated_at",
            STORE__ARGS(STORE__TEXT(op->id), STORE__TEXT(op->body), STORE__INT(op->now_ms)), NULL);
    case STORE_RULE_DELETE:
        rc = exec1(s, "rule delete", "DELETE FROM rules WHERE id = ?1",
                   STORE__ARGS(STORE__TEXT(op->id)), &changed);
        if (rc != 0)
            return rc;
        if (!changed)
            return DD_ENOTFOUND;
        /* an alert of a rule that is gone can never change again: closed, quietly */
        return exec1(s, "rule alerts",
                     "UPDATE alerts SET state = 'resolved', resolved_at = ?2"
                     " WHERE rule_id = ?1 AND state != 'resolved'",
                     STORE__ARGS(STORE__TEXT(op->id), STORE__INT(op->now_ms)), NULL);
    case STORE_SILENCE_ADD:
        return exec1(s, "silence insert",
                     "INSERT INTO silences (id, body, ends_at, created_at) VALUES (?1, ?2, ?3, ?4)",
                     STORE__ARGS(STORE__TEXT(op->id), STORE__TEXT(op->body),
                                 STORE__INT(op->ends_ms), STORE__INT(op->now_ms)),
                     NULL);
    case STORE_SILENCE_DELETE:
        rc = exec1(s, "silence delete", "DELETE FROM silences WHERE id = ?1",
                   STORE__ARGS(STORE__TEXT(op->id)), &changed);
        return rc != 0 ? rc : changed ? 0 : DD_ENOTFOUND;
    case STORE_CONFIG_LOAD:
        return config_load(s, op);
    }
    return DD_EINVAL;
}

static struct store__arg time_or_null(int64_t ms)
{
    return ms < 0 ? STORE__TEXT(NULL) : STORE__INT(ms);
}

/* The alert row itself: inserted, updated or deleted; *id its id. */
static int alert_write(struct store *s, int64_t evaluation_id, const struct store_alert_change *c,
                       int64_t *id)
{
    if (c->drop)
        return exec1(s, "alert drop", "DELETE FROM alerts WHERE id = ?1",
                     STORE__ARGS(STORE__INT(c->alert_id)), NULL);
    static const char *const sql[2] = {
        "INSERT INTO alerts (rule_id, model, version, alert_key, state, labels, pending_since,"
        " started_at, resolved_at, last_notified_at, evaluation_id, value)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        "UPDATE alerts SET state = ?5, labels = ?6, pending_since = ?7, started_at = ?8,"
        " resolved_at = ?9, last_notified_at = ?10, evaluation_id = ?11, value = ?12"
        " WHERE id = ?13 AND state != 'resolved'"}; /* ?1 to ?4: a new alert's names;
                                                     * a resolved alert (its rule deleted
                                                     * meanwhile) is never opened again */
    sqlite3_stmt *st = NULL;
    int update = c->alert_id > 0;
    if (sqlite3_prepare_v2(s->w, sql[update], -1, &st, NULL) != SQLITE_OK)
        return store__sqlerr(s->w, "alert write");
    const char *texts[6] = {c->rule_id, c->model, c->version, c->alert_key, c->state, c->labels};
    for (int i = 0; i < 6; i++)
        sqlite3_bind_text(st, i + 1, texts[i] ? texts[i] : "", -1, SQLITE_STATIC);
    int64_t times[4] = {c->pending_since_ms, c->started_ms, c->resolved_ms, c->last_notified_ms};
    for (int i = 0; i < 4; i++) {
        struct store__arg a = time_or_null(times[i]);
        if (a.type == STORE__INT_ARG)
            sqlite3_bind_int64(st, 7 + i, a.i);
        else
            sqlite3_bind_null(st, 7 + i);
    }
    if (evaluation_id > 0)
        sqlite3_bind_int64(st, 11, evaluation_id);
    else
        sqlite3_bind_null(st, 11);
    store__bind_double(st, 12, c->value);
    if (update)
        sqlite3_bind_int64(st, 13, c->alert_id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store__sqlerr(s->w, "alert write step");
    sqlite3_finalize(st);
    if (rc == 0)
        *id = update ? c->alert_id : sqlite3_last_insert_rowid(s->w);
    return rc;
}

int store_w_alert_changes(struct store *s, int64_t evaluation_id,
                          const struct store_alert_change *changes, size_t n_changes)
{
    int rc = 0;
    for (size_t i = 0; i < n_changes && rc == 0; i++) {
        const struct store_alert_change *c = &changes[i];
        int64_t id = 0;
        rc = alert_write(s, evaluation_id, c, &id);
        for (size_t k = 0; k < c->n_outbox && rc == 0; k++) {
            const struct store_outbox_new *o = &c->outbox[k];
            int64_t at = c->last_notified_ms >= 0 ? c->last_notified_ms : c->resolved_ms;
            rc = exec1(s, "outbox insert",
                       "INSERT INTO outbox (message_id, receiver_id, alert_id, event, message,"
                       " created_at, next_attempt_at, state, done_at)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8)",
                       STORE__ARGS(STORE__TEXT(o->message_id), STORE__TEXT(o->receiver_id),
                                   STORE__INT(id), STORE__TEXT(o->event), STORE__TEXT(o->message),
                                   STORE__INT(at), STORE__TEXT(o->skipped ? "skipped" : "pending"),
                                   o->skipped ? STORE__INT(at) : STORE__TEXT(NULL)),
                       NULL);
        }
    }
    return rc;
}
