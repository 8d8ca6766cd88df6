/* outbox.c — the alert delivery's tables (store.h, "alert delivery"): the
 * outbox rows the delivery worker picks when due, the receivers it sends
 * to, and each attempt it records (delivery_attempts, and the outbox row's
 * attempts, last status and error, next attempt, state).  The rules engine
 * writes the outbox rows in the transaction of the alert's state change;
 * this file only reads them and records what their delivery did. */
#include "server/store/store.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "server/store/store_int.h"

static void outbox_release(void *item)
{
    free(((struct store_outbox_row *)item)->message);
}

static void outbox_row(sqlite3_stmt *st, void *arg)
{
    struct store_outbox_row *r = store__rows_push(arg);
    r->id = sqlite3_column_int64(st, 0);
    store__col_text(st, 1, r->message_id, sizeof r->message_id);
    store__col_text(st, 2, r->receiver_id, sizeof r->receiver_id);
    r->alert_id = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
    store__col_text(st, 4, r->event, sizeof r->event);
    r->message = store__col_strdup(st, 5, "");
    r->created_ms = sqlite3_column_int64(st, 6);
    r->next_attempt_ms = sqlite3_column_int64(st, 7);
    r->attempts = sqlite3_column_int(st, 8);
}

int store_r_outbox_due(struct store *s, int64_t now_ms, size_t limit, struct store_outbox_row **out,
                       size_t *n)
{
    return store__read_rows(
        s,
        &(struct store__query){
            .what = "outbox due",
            .sql = "SELECT o.id, o.message_id, o.receiver_id, o.alert_id, o.event, o.message,"
                   " o.created_at, o.next_attempt_at, o.attempts FROM outbox o"
                   " WHERE o.state = 'pending' AND o.next_attempt_at <= ?1"
                   " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.alert_id = o.alert_id"
                   "  AND p.receiver_id = o.receiver_id AND p.state = 'pending'"
                   "  AND p.id < o.id)"
                   " ORDER BY o.next_attempt_at, o.id LIMIT ?2",
            .args = STORE__ARGS(STORE__INT(now_ms), STORE__INT(limit)),
            .row = outbox_row},
        sizeof(struct store_outbox_row), outbox_release, out, n);
}

void store_outbox_rows_free(struct store_outbox_row *rows, size_t n)
{
    store__rows_free(rows, n, sizeof *rows, outbox_release);
}

int store_r_receiver(struct store *s, const char *id, char **body)
{
    return store__read_bytes(
        s,
        &(struct store__query){.what = "receiver get",
                               .sql = "SELECT body FROM receivers WHERE id = ?1",
                               .args = STORE__ARGS(STORE__TEXT(id))},
        body, NULL);
}

int store_w_delivery_attempt(struct store *s, const struct store_delivery_attempt *a)
{
    /* NULL for "no answer": an int parameter cannot say it, a NULL text can */
    struct store__arg status = a->status ? STORE__INT(a->status) : STORE__TEXT(NULL);
    int pending = strcmp(a->state, "pending") == 0;
    int64_t changed = 0;
    int rc = store__run(
        s->w, &(struct store__query){
                  .what = "delivery attempt",
                  .sql = "UPDATE outbox SET attempts = attempts + ?2, last_status = ?3,"
                         " last_error = ?4, state = ?5, next_attempt_at = ?6, done_at = ?7"
                         " WHERE id = ?1 AND state = 'pending'",
                  .args = STORE__ARGS(STORE__INT(a->outbox_id), STORE__INT(a->sent ? 1 : 0), status,
                                      STORE__TEXT(a->error), STORE__TEXT(a->state),
                                      STORE__INT(pending ? a->next_attempt_ms : a->at_ms),
                                      pending ? STORE__TEXT(NULL) : STORE__INT(a->at_ms)),
                  .changes = &changed});
    if (rc != 0 || !changed || !a->sent)
        return rc;
    return store__run(
        s->w, &(struct store__query){
                  .what = "delivery attempt log",
                  .sql = "INSERT INTO delivery_attempts (outbox_id, at, status,"
                         " error, elapsed_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                  .args = STORE__ARGS(STORE__INT(a->outbox_id), STORE__INT(a->at_ms), status,
                                      STORE__TEXT(a->error), STORE__INT(a->elapsed_ms))});
}

static void alert_state_row(sqlite3_stmt *st, void *arg)
{
    struct store_alerting_stats *o = arg;
    const unsigned char *state = sqlite3_column_text(st, 0);
    int64_t n = sqlite3_column_int64(st, 1);
    if (!state)
        return;
    if (!strcmp((const char *)state, "pending"))
        o->pending = n;
    else if (!strcmp((const char *)state, "firing"))
        o->firing = n;
    else if (!strcmp((const char *)state, "resolved"))
        o->resolved = n;
}

static void outbox_pending_row(sqlite3_stmt *st, void *arg)
{
    struct store_alerting_stats *o = arg;
    o->outbox_pending = sqlite3_column_int64(st, 0);
    o->oldest_pending_created_ms = store__col_time(st, 1);
}

int store_r_alerting_stats(struct store *s, struct store_alerting_stats *out)
{
    memset(out, 0, sizeof *out);
    out->oldest_pending_created_ms = -1;
    int rc = store__read(
        s, &(struct store__query){.what = "alerts by state",
                                  .sql = "SELECT state, count(*) FROM alerts GROUP BY state",
                                  .row = alert_state_row,
                                  .arg = out});
    if (rc != 0)
        return rc;
    return store__read(s,
                       &(struct store__query){.what = "outbox pending",
                                              .sql = "SELECT count(*), min(created_at) FROM outbox"
                                                     " WHERE state = 'pending'",
                                              .row = outbox_pending_row,
                                              .arg = out});
}
