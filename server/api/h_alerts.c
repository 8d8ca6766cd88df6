/* h_alerts.c — receivers, rules, silences and alerts (docs/alerts.md):
 *   GET|POST /api/v1/receivers, GET|DELETE /api/v1/receivers/{id}
 *   GET|POST /api/v1/rules, GET|PUT|DELETE /api/v1/rules/{id}
 *   GET|POST /api/v1/silences, DELETE /api/v1/silences/{id}
 *   GET /api/v1/alerts?state=&model=&rule=&limit=&cursor=
 * Bodies are validated whole before anything is written (notify_receiver_parse(),
 * rules_parse(), rules_silence_parse(): 400 invalid_body naming the member);
 * the writer checks what needs the database (an existing id: 409, a rule's
 * unknown receiver: 400, a receiver a rule uses: 409 naming the rules) in the
 * transaction that writes, so nothing is stored on a refusal.  Receivers are
 * stored with their secrets and answered without them. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/timefmt.h"
#include "server/api/answer.h"
#include "server/api/api.h"
#include "server/api/handlers.h"
#include "server/monitor/rules.h"
#include "server/notify/notify.h"
#include "server/store/store.h"
#include "server/store/writer.h"

#define ALERTING_BODY_MAX (256 * 1024) /* a receiver, rule or silence is a small object */
#define ALERTS_PAGE_DEFAULT 100
#define ALERTS_PAGE_MAX 1000

/* A receiver, rule or silence POST/PUT: the body as sent and the JSON stored. */
struct alerting_write {
    struct dd_buf body, stored;
    const char *text; /* the body's bytes ("" for none) */
    char err[512];    /* why the parser refused the body */
};

/* Starts a write: no query parameters and a JSON body of at most
 * ALERTING_BODY_MAX.  0, or answered and -1; write_end() releases w either way. */
static int write_begin_or_reply(struct http_req *r, struct alerting_write *w)
{
    dd_buf_init(&w->body);
    dd_buf_init(&w->stored);
    w->text = "";
    enum dd_body_format fmt;
    if (answer_query_known(r, NULL) != 0 || answer_body_format(r, ANSWER_JSON, &fmt) != 0 ||
        http_read_body_or_reply(r, ALERTING_BODY_MAX, &w->body) != 0)
        return -1;
    if (w->body.data)
        w->text = w->body.data;
    return 0;
}

/* The parser refused the body: 400 with its message, invalid_json for a body
 * that is not JSON at all, invalid_body for JSON of the wrong shape. */
static void write_refused(struct http_req *r, const struct alerting_write *w)
{
    http_reply_error(r, 400,
                     rules_is_json(w->body.data, w->body.len) ? "invalid_body" : "invalid_json", -1,
                     "%s", w->err);
}

static void write_end(struct alerting_write *w)
{
    dd_buf_release(&w->stored);
    dd_buf_release(&w->body);
}

/* Answers a refused alerting job (store_w_alerting()). */
static void alerting_error(struct http_req *r, const struct writer_result *wr, const char *what,
                           const char *id, const char *detail)
{
    if (wr->rc == DD_ECONFLICT && detail[0])
        http_reply_error(r, 409, "conflict", -1,
                         "receiver '%s' is used by rules: %s (change or delete them first)", id,
                         detail);
    else if (wr->rc == DD_ECONFLICT && !strcmp(what, "rule"))
        http_reply_error(r, 409, "conflict", -1,
                         "rule '%s' exists (PUT /api/v1/rules/%s replaces it)", id, id);
    else if (wr->rc == DD_ECONFLICT)
        http_reply_error(r, 409, "conflict", -1, "%s '%s' exists (delete it first to change it)",
                         what, id);

    else if (wr->rc == DD_ENOTFOUND && detail[0])
        http_reply_error(r, 400, "invalid_body", -1, "receivers: no receiver has the id '%s'",
                         detail);
    else if (wr->rc == DD_ENOTFOUND)
        http_reply_error(r, 404, "not_found", -1, "no %s '%s'", what, id);
    else
        answer_writer_error(r, wr->rc);
}

static int submit(struct http_req *r, struct store_alerting_op *op, const char *what,
                  const char *id)
{
    char detail[512] = "";
    op->detail = detail;
    op->detail_len = sizeof detail;
    op->now_ms = dd_now_ms();
    struct writer_result wr;
    writer_submit_alerting(api_of(r)->writer, op, &wr);
    if (wr.rc != 0) {
        alerting_error(r, &wr, what, id, detail);
        return -1;
    }
    return 0;
}

static void meta_json(struct dd_buf *b, const struct store_alerting_row *row)
{
    /* the stored object without its closing brace, then where it came from */
    size_t n = strlen(row->body);
    while (n && row->body[n - 1] != '}')
        n--;
    if (n < 2) {
        dd_buf_puts(b, "{}");
        return;
    }
    dd_buf_append(b, row->body, n - 1);
    int first = n <= 2;
    dd_json_kstr(b, &first, "source", row->source);
    dd_json_ktime(b, &first, "created_at", row->created_ms);
    if (row->updated_ms >= 0)
        dd_json_ktime(b, &first, "updated_at", row->updated_ms);
    dd_buf_putc(b, '}');
}

/* A stored receiver as answered: secrets read "set". */
static void receiver_answer(struct dd_buf *b, const struct store_alerting_row *row)
{
    struct notify_receiver rc;
    char err[256];
    if (notify_receiver_parse(row->body, strlen(row->body), &rc, err, sizeof err) != 0) {
        int first = 1;
        dd_buf_putc(b, '{');
        dd_json_kstr(b, &first, "id", row->id);
        dd_json_kstr(b, &first, "error", err);
        dd_buf_putc(b, '}');
        return;
    }
    struct dd_buf shown;
    dd_buf_init(&shown);
    notify_receiver_json(&rc, 0, &shown);
    notify_receiver_release(&rc);
    struct store_alerting_row view = *row;
    view.body = shown.data ? shown.data : "{}";
    meta_json(b, &view);
    dd_buf_release(&shown);
}

static void list_answer(struct http_req *r, enum store_alerting_table t, const char *member)
{
    if (answer_query_known(r, NULL) != 0)
        return;
    struct store_alerting_row *rows = NULL;
    size_t n = 0;
    if (store_r_alerting(api_of(r)->store, t, NULL, &rows, &n) != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read %s", member);
        return;
    }
    struct dd_buf b;
    dd_buf_init(&b);
    dd_buf_printf(&b, "{\"%s\":[", member);
    int64_t now = dd_now_ms();
    for (size_t i = 0; i < n; i++) {
        if (i)
            dd_buf_putc(&b, ',');
        if (t == STORE_RECEIVERS) {
            receiver_answer(&b, &rows[i]);
        } else if (t == STORE_RULES) {
            meta_json(&b, &rows[i]);
        } else {
            struct silence s;
            char err[256];
            if (rules_silence_parse(rows[i].body, strlen(rows[i].body), INT64_MIN, &s, err,
                                    sizeof err) != 0)
                memset(&s, 0, sizeof s);
            snprintf(s.id, sizeof s.id, "%.20s", rows[i].id);
            s.ends_ms = rows[i].ends_ms;
            s.created_ms = rows[i].created_ms;
            rules_silence_json(&s, now, &b);
        }
    }
    dd_buf_puts(&b, "]}");
    http_reply_json(r, 200, &b);
    dd_buf_release(&b);
    store_alerting_rows_free(rows, n);
}

static void one_answer(struct http_req *r, enum store_alerting_table t, const char *what,
                       int status)
{
    struct store_alerting_row *rows = NULL;
    size_t n = 0;
    int rc = store_r_alerting(api_of(r)->store, t, r->params[0], &rows, &n);
    if (rc == DD_ENOTFOUND) {
        http_reply_error(r, 404, "not_found", -1, "no %s '%s'", what, r->params[0]);
        return;
    }
    if (rc != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read %s '%s'", what, r->params[0]);
        return;
    }
    struct dd_buf b;
    dd_buf_init(&b);
    if (t == STORE_RECEIVERS)
        receiver_answer(&b, &rows[0]);
    else
        meta_json(&b, &rows[0]);
    http_reply_json(r, status, &b);
    dd_buf_release(&b);
    store_alerting_rows_free(rows, n);
}

/* GET .../{id} of a receiver or rule */
static void get_answer(struct http_req *r, enum store_alerting_table t, const char *what)
{
    if (answer_query_known(r, NULL) == 0)
        one_answer(r, t, what, 200);
}

/* ---- receivers ---- */

void h_receivers_list(struct http_req *r)
{
    list_answer(r, STORE_RECEIVERS, "receivers");
}

void h_receiver_get(struct http_req *r)
{
    get_answer(r, STORE_RECEIVERS, "receiver");
}

void h_receivers_post(struct http_req *r)
{
    struct alerting_write w;
    struct notify_receiver rc = {0};
    if (write_begin_or_reply(r, &w) != 0)
        goto out;
    if (notify_receiver_parse(w.text, w.body.len, &rc, w.err, sizeof w.err) != 0) {
        write_refused(r, &w);
        goto out;
    }
    notify_receiver_json(&rc, 1, &w.stored);
    struct store_alerting_op op = {.what = STORE_RECEIVER_ADD, .id = rc.id, .body = w.stored.data};
    if (submit(r, &op, "receiver", rc.id) != 0)
        goto out;
    snprintf(r->params[0], sizeof r->params[0], "%s", rc.id);
    one_answer(r, STORE_RECEIVERS, "receiver", 201);
out:
    notify_receiver_release(&rc);
    write_end(&w);
}

/* DELETE .../{id} of a receiver, rule or silence: {"deleted": "<id>"} */
static void delete_answer(struct http_req *r, enum store_alerting_what what, const char *kind)
{
    if (answer_query_known(r, NULL) != 0)
        return;
    struct store_alerting_op op = {.what = what, .id = r->params[0]};
    if (submit(r, &op, kind, r->params[0]) == 0)
        http_reply_jsonf(r, 200, "{\"deleted\":\"%s\"}", r->params[0]); /* a checked name */
}

void h_receiver_delete(struct http_req *r)
{
    delete_answer(r, STORE_RECEIVER_DELETE, "receiver");
}

/* ---- rules ---- */

void h_rules_list(struct http_req *r)
{
    list_answer(r, STORE_RULES, "rules");
}

void h_rule_get(struct http_req *r)
{
    get_answer(r, STORE_RULES, "rule");
}

static void rule_write(struct http_req *r, int put)
{
    struct alerting_write w;
    struct rule rule;
    if (write_begin_or_reply(r, &w) != 0)
        goto out;
    if (rules_parse(w.text, w.body.len, put ? r->params[0] : NULL, &rule, w.err, sizeof w.err) !=
        0) {
        write_refused(r, &w);
        goto out;
    }
    rules_json(&rule, &w.stored);
    const char *ids[RULE_RECEIVERS_MAX];
    for (size_t i = 0; i < rule.n_receivers; i++)
        ids[i] = rule.receivers[i];
    struct store_alerting_op op = {.what = put ? STORE_RULE_PUT : STORE_RULE_ADD,
                                   .id = rule.id,
                                   .body = w.stored.data,
                                   .receivers = ids,
                                   .n_receivers = rule.n_receivers,
                                   .rule_model = rule.model,
                                   .rule_version = rule.version};
    if (submit(r, &op, "rule", rule.id) != 0)
        goto out;
    snprintf(r->params[0], sizeof r->params[0], "%s", rule.id);
    one_answer(r, STORE_RULES, "rule", put ? 200 : 201);
out:
    write_end(&w);
}

void h_rules_post(struct http_req *r)
{
    rule_write(r, 0);
}

void h_rule_put(struct http_req *r)
{
    rule_write(r, 1);
}

void h_rule_delete(struct http_req *r)
{
    delete_answer(r, STORE_RULE_DELETE, "rule");
}

/* ---- silences ---- */

void h_silences_list(struct http_req *r)
{
    list_answer(r, STORE_SILENCES, "silences");
}

void h_silences_post(struct http_req *r)
{
    struct alerting_write w;
    struct silence s;
    if (write_begin_or_reply(r, &w) != 0)
        goto out;
    int64_t now = dd_now_ms();
    if (rules_silence_parse(w.text, w.body.len, now, &s, w.err, sizeof w.err) != 0) {
        write_refused(r, &w);
        goto out;
    }
    uint8_t rnd[8] = {0};
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        http_reply_error(r, 500, "internal", -1, "no random bytes for an id");
        goto out;
    }
    snprintf(s.id, sizeof s.id, "sil_");
    for (int i = 0; i < 8; i++)
        snprintf(s.id + 4 + 2 * i, 3, "%02x", rnd[i]);
    rules_silence_body(&s, &w.stored); /* what rules_silence_parse() reads back */
    struct store_alerting_op op = {
        .what = STORE_SILENCE_ADD, .id = s.id, .body = w.stored.data, .ends_ms = s.ends_ms};
    if (submit(r, &op, "silence", s.id) != 0)
        goto out;
    s.created_ms = op.now_ms;
    dd_buf_reset(&w.stored);
    rules_silence_json(&s, now, &w.stored);
    http_reply_json(r, 201, &w.stored);
out:
    write_end(&w);
}

void h_silence_delete(struct http_req *r)
{
    delete_answer(r, STORE_SILENCE_DELETE, "silence");
}

/* ---- alerts ---- */

static void deliveries_json(struct dd_buf *b, struct store *st, int64_t alert_id)
{
    struct store_delivery *d = NULL;
    size_t n = 0;
    dd_buf_putc(b, '[');
    if (store_r_deliveries(st, alert_id, &d, &n) != 0) {
        dd_buf_putc(b, ']');
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int first = 1;
        dd_buf_puts(b, i ? ",{" : "{");
        dd_json_kstr(b, &first, "receiver", d[i].receiver_id);
        dd_json_kstr(b, &first, "event", d[i].event);
        dd_json_kstr(b, &first, "state", d[i].state);
        dd_json_kstr(b, &first, "message_id", d[i].message_id);
        dd_json_kint(b, &first, "attempts", d[i].attempts);
        dd_json_key(b, "last_status", &first);
        if (d[i].last_status)
            dd_json_int(b, d[i].last_status);
        else
            dd_buf_puts(b, "null");
        dd_json_kstr(b, &first, "last_error", d[i].last_error);
        dd_json_ktime(b, &first, "created_at", d[i].created_ms);
        dd_json_ktime(b, &first, "next_attempt_at",
                      strcmp(d[i].state, "pending") ? -1 : d[i].next_attempt_ms);
        dd_json_ktime(b, &first, "done_at", d[i].done_ms);
        dd_json_key(b, "tries", &first);
        dd_buf_putc(b, '[');
        for (size_t k = 0; k < d[i].n_tries; k++) {
            const struct store_attempt *a = &d[i].tries[k];
            int f2 = 1;
            dd_buf_puts(b, k ? ",{" : "{");
            dd_json_ktime(b, &f2, "at", a->at_ms);
            dd_json_key(b, "status", &f2);
            if (a->status)
                dd_json_int(b, a->status);
            else
                dd_buf_puts(b, "null");
            dd_json_kstr(b, &f2, "error", a->error);
            dd_json_kint(b, &f2, "elapsed_ms", a->elapsed_ms);
            dd_buf_putc(b, '}');
        }
        dd_buf_puts(b, "]}");
    }
    dd_buf_putc(b, ']');
    store_deliveries_free(d, n);
}

/* A query parameter: 1 and out, 0 absent, or answered (-1). */
static int query_or_reply(struct http_req *r, const char *name, char *out, size_t size)
{
    int got = http_query(r, name, out, size);
    if (got < 0 || (got > 0 && !out[0])) {
        http_reply_error(r, 400, "invalid_query", -1, "%s: empty or too long", name);
        return -1;
    }
    return got;
}

void h_alerts_list(struct http_req *r)
{
    static const char *const known[] = {"state", "model",  "rule", "version",
                                        "limit", "cursor", NULL};
    if (answer_query_known(r, known) != 0)
        return;
    char state[16], model[DD_NAME_MAX + 1], rule[RULE_ID_MAX + 1], version[DD_NAME_MAX + 1], v[32];
    int has_state = query_or_reply(r, "state", state, sizeof state);
    if (has_state < 0)
        return;
    if (has_state && strcmp(state, "pending") && strcmp(state, "firing") &&
        strcmp(state, "resolved")) {
        http_reply_error(r, 400, "invalid_query", -1,
                         "state: '%s' is not one of pending, firing, resolved", state);
        return;
    }
    int has_model = query_or_reply(r, "model", model, sizeof model);
    int has_rule = has_model < 0 ? -1 : query_or_reply(r, "rule", rule, sizeof rule);
    int has_version = has_rule < 0 ? -1 : query_or_reply(r, "version", version, sizeof version);
    if (has_version < 0)
        return;
    struct store_alert_filter f = {.state = has_state ? state : NULL,
                                   .model = has_model ? model : NULL,
                                   .rule = has_rule ? rule : NULL,
                                   .version = has_version ? version : NULL,
                                   .limit = ALERTS_PAGE_DEFAULT};
    if (answer_query_limit(r, ALERTS_PAGE_MAX, &f.limit) != 0)
        return;
    int got = http_query(r, "cursor", v, sizeof v);
    if (got != 0) {
        char *end = NULL;
        long long id = got > 0 && v[0] == 'a' ? strtoll(v + 1, &end, 10) : 0;
        if (got < 0 || !end || end == v + 1 || *end || id < 1) {
            http_reply_error(r, 400, "invalid_query", -1,
                             "cursor: not a cursor of this list (pass the next_cursor of the "
                             "page before, as it was given)");
            return;
        }
        f.before_id = id;
    }
    size_t limit = f.limit;
    f.limit = limit + 1; /* one more: whether there is a next page */
    struct store_alert *a = NULL;
    size_t n = 0;
    struct store *st = api_of(r)->store;
    if (store_r_alerts(st, &f, &a, &n) != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read alerts");
        return;
    }
    size_t shown = n > limit ? limit : n;
    struct dd_buf b;
    dd_buf_init(&b);
    dd_buf_puts(&b, "{\"alerts\":[");
    for (size_t i = 0; i < shown; i++) {
        int first = 1;
        dd_buf_puts(&b, i ? ",{" : "{");
        dd_json_kint(&b, &first, "id", a[i].id);
        dd_json_kstr(&b, &first, "rule", a[i].rule_id);
        dd_json_kstr(&b, &first, "model", a[i].model);
        dd_json_kstr(&b, &first, "version", a[i].version);
        dd_json_kstr(&b, &first, "alert_key", a[i].alert_key);
        dd_json_kstr(&b, &first, "state", a[i].state);
        dd_json_key(&b, "labels", &first);
        dd_buf_puts(&b, a[i].labels && a[i].labels[0] == '{' ? a[i].labels : "{}");
        dd_json_key(&b, "value", &first);
        if (a[i].value == a[i].value)
            dd_json_num(&b, a[i].value);
        else
            dd_buf_puts(&b, "null");
        dd_json_ktime(&b, &first, "pending_since", a[i].pending_since_ms);
        dd_json_ktime(&b, &first, "started_at", a[i].started_ms);
        dd_json_ktime(&b, &first, "resolved_at", a[i].resolved_ms);
        dd_json_ktime(&b, &first, "last_notified_at", a[i].last_notified_ms);
        dd_json_key(&b, "notifications", &first);
        deliveries_json(&b, st, a[i].id);
        dd_buf_putc(&b, '}');
    }
    dd_buf_puts(&b, "],\"next_cursor\":");
    if (n > limit)
        dd_buf_printf(&b, "\"a%" PRId64 "\"", a[shown - 1].id);
    else
        dd_buf_puts(&b, "null");
    dd_buf_putc(&b, '}');
    http_reply_json(r, 200, &b);
    dd_buf_release(&b);
    store_alerts_free(a, n);
}
