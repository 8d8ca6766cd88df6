/* delivery.c — the delivery worker (delivery.h): a dispatcher thread that
 * picks due outbox rows, a pool that sends them, one request in flight per
 * receiver, every attempt recorded through the writer. */
#include "server/monitor/delivery.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/thread.h"
#include "base/timefmt.h"
#include "server/notify/notify.h"
#include "server/store/store.h"
#include "server/store/writer.h"

#define DEFAULT_THREADS 4
#define DEFAULT_POLL_MS 1000
#define DUE_LIMIT 256                  /* rows read per look */
#define STORE_RETRY_MS 5000            /* a receiver that could not be read: try again then */
#define WRITER_BUSY_WAIT_NS 50000000LL /* the writer's queue was full: wait, record again */

enum outcome_kind { OUT_DELIVERED, OUT_FAILED, OUT_RETRIED, OUT_SKIPPED, OUT_KINDS };
static const char *const outcome_names[OUT_KINDS] = {"delivered", "failed", "retried", "skipped"};

struct task {
    struct store_outbox_row row; /* owns row.message */
    struct task *next;
};

struct receiver_stat {
    char id[STORE_RECEIVER_ID_MAX + 1];
    uint64_t n[OUT_KINDS];
};

/* a set of receiver ids (small: one per receiver with a row in flight) */
struct idset {
    char (*ids)[STORE_RECEIVER_ID_MAX + 1];
    size_t n, cap;
};

struct delivery {
    struct store *st;
    struct writer *w;
    struct delivery_options o;
    pthread_t dispatcher;
    pthread_t *pool;
    int n_pool, dispatcher_started;
    /* guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t wake; /* the dispatcher's; CLOCK_MONOTONIC */
    pthread_cond_t work; /* the pool's */
    int stopping, kicked;
    struct task *head, *tail;
    struct idset busy;     /* receivers with a row queued or in flight */
    struct idset finished; /* ... whose row has been recorded: freed before the next look */
    struct receiver_stat *stats;
    size_t n_stats, cap_stats;
};

/* ---- small helpers ---- */

static int idset_find(const struct idset *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->ids[i], id))
            return (int)i;
    return -1;
}

static void idset_add(struct idset *s, const char *id)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->ids = dd_realloc(s->ids, dd_mul(s->cap, sizeof *s->ids));
    }
    snprintf(s->ids[s->n++], sizeof s->ids[0], "%s", id);
}

static void idset_remove(struct idset *s, const char *id)
{
    int i = idset_find(s, id);
    if (i >= 0)
        memcpy(s->ids[i], s->ids[--s->n], sizeof s->ids[0]);
}

static uint64_t random64(void)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint64_t)dd_mono_ns() * 0x9e3779b97f4a7c15ULL;
    return r;
}

/* called with mu held */
static void count(struct delivery *d, const char *receiver, enum outcome_kind k)
{
    for (size_t i = 0; i < d->n_stats; i++)
        if (!strcmp(d->stats[i].id, receiver)) {
            d->stats[i].n[k]++;
            return;
        }
    if (d->n_stats == d->cap_stats) {
        d->cap_stats = d->cap_stats ? 2 * d->cap_stats : 16;
        d->stats = dd_realloc(d->stats, dd_mul(d->cap_stats, sizeof *d->stats));
    }
    struct receiver_stat *s = &d->stats[d->n_stats++];
    memset(s, 0, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", receiver);
    s->n[k] = 1;
}

static void sleep_ns(int64_t ns)
{
    struct timespec t = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* Records the attempt through the writer; its queue being full is waited
 * out (the record is small and must not be lost while the server runs). */
static void record(struct delivery *d, const struct store_delivery_attempt *a)
{
    struct writer_result res;
    for (;;) {
        writer_submit_delivery_attempt(d->w, a, &res);
        if (res.rc != DD_EOVERLOAD)
            break;
        sleep_ns(WRITER_BUSY_WAIT_NS);
    }
    if (res.rc != 0)
        dd_error("delivery attempt not recorded", "outbox_id=%lld err=%s", (long long)a->outbox_id,
                 dd_errname(res.rc));
}

/* "HTTP 400: <the receiver's explanation>" */
static void answer_text(const struct notify_response *resp, const char *reason, char *out,
                        size_t size)
{
    if (resp->status == 0) {
        snprintf(out, size, "%s%s%s", reason, resp->error[0] ? ": " : "", resp->error);
        return;
    }
    if (resp->status >= 200 && resp->status < 300) {
        out[0] = '\0';
        return;
    }
    snprintf(out, size, "HTTP %d, %s%s%.*s", resp->status, reason, resp->body_len ? ": " : "", 400,
             resp->body);
}

/* ---- one row ---- */

static void deliver(struct delivery *d, const struct store_outbox_row *row)
{
    int64_t now = dd_now_ms();
    struct store_delivery_attempt a = {.outbox_id = row->id, .at_ms = now, .state = "failed"};
    char err[600] = "";
    enum outcome_kind k = OUT_FAILED;
    char *body = NULL;
    struct notify_receiver r;
    memset(&r, 0, sizeof r);
    struct notify_message_owned msg;
    memset(&msg, 0, sizeof msg);
    struct notify_request req;
    memset(&req, 0, sizeof req);

    int rc = store_r_receiver(d->st, row->receiver_id, &body);
    if (rc == DD_ENOTFOUND) {
        snprintf(err, sizeof err, "receiver '%s' does not exist", row->receiver_id);
        goto done;
    }
    if (rc != 0) { /* the database, not the row: look again later */
        a.state = "pending";
        a.next_attempt_ms = now + STORE_RETRY_MS;
        k = OUT_RETRIED;
        snprintf(err, sizeof err, "receiver could not be read: %s", dd_strerror(rc));
        goto done;
    }
    char perr[256] = "";
    if (notify_receiver_parse(body, strlen(body), &r, perr, sizeof perr) != 0) {
        snprintf(err, sizeof err, "stored receiver '%s': %s", row->receiver_id, perr);
        goto done;
    }
    if (notify_message_parse(row->message, strlen(row->message), &msg, perr, sizeof perr) != 0) {
        snprintf(err, sizeof err, "stored message: %s", perr);
        goto done;
    }
    if (!msg.m.id) /* the row's id is the one that counts */
        msg.m.id = row->message_id;
    rc = notify_render(&r, &msg.m, now, &req);
    if (rc == NOTIFY_NOTHING_TO_SEND) {
        a.state = "skipped";
        k = OUT_SKIPPED;
        snprintf(err, sizeof err, "%s", req.reason ? req.reason : "nothing to send");
        goto done;
    }
    if (rc != 0) {
        snprintf(err, sizeof err, "the message lacks what a %s receiver needs",
                 notify_kind_name(r.kind));
        goto done;
    }
    struct notify_timeouts t = {d->o.connect_timeout_ms, d->o.timeout_ms};
    struct notify_response resp;
    if (notify_send(&req, &t, &resp) != 0) {
        snprintf(err, sizeof err, "the request cannot be sent (not an http(s) URL)");
        goto done;
    }
    int64_t after = dd_now_ms();
    a.sent = 1;
    a.at_ms = after;
    a.status = resp.status;
    a.elapsed_ms = resp.elapsed_ms;
    struct notify_retry rt = notify_classify(&resp, row->attempts + 1, row->created_ms, after,
                                             d->o.max_age_ms, random64());
    answer_text(&resp, rt.reason, err, sizeof err);
    switch (rt.outcome) {
    case NOTIFY_DELIVERED:
        a.state = "delivered";
        k = OUT_DELIVERED;
        break;
    case NOTIFY_RETRY:
        a.state = "pending";
        a.next_attempt_ms = rt.next_attempt_ms;
        k = OUT_RETRIED;
        break;
    case NOTIFY_GIVE_UP:
        a.state = "failed";
        k = OUT_FAILED;
        break;
    }
done:
    a.error = err[0] ? err : NULL;
    record(d, &a);
    if (k == OUT_DELIVERED)
        dd_info("notification delivered",
                "receiver=%s message_id=%s event=%s status=%d attempt=%d elapsed_ms=%lld",
                row->receiver_id, row->message_id, row->event, a.status, row->attempts + 1,
                (long long)a.elapsed_ms);
    else
        dd_warn(k == OUT_RETRIED   ? "notification retried"
                : k == OUT_SKIPPED ? "notification skipped"
                                   : "notification failed",
                "receiver=%s message_id=%s event=%s status=%d attempt=%d next_in_ms=%lld "
                "error=\"%.200s\"",
                row->receiver_id, row->message_id, row->event, a.status, row->attempts + a.sent,
                (long long)(k == OUT_RETRIED ? a.next_attempt_ms - a.at_ms : -1), err);
    pthread_mutex_lock(&d->mu);
    count(d, row->receiver_id, k);
    pthread_mutex_unlock(&d->mu);
    notify_request_release(&req);
    notify_message_release(&msg);
    notify_receiver_release(&r);
    free(body);
}

/* ---- threads ---- */

static void *pool_main(void *arg)
{
    struct delivery *d = arg;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (!d->head && !d->stopping)
            pthread_cond_wait(&d->work, &d->mu);
        if (d->stopping)
            break; /* queued rows stay pending in the database */
        struct task *t = d->head;
        d->head = t->next;
        if (!d->head)
            d->tail = NULL;
        pthread_mutex_unlock(&d->mu);

        deliver(d, &t->row);

        pthread_mutex_lock(&d->mu);
        /* recorded: the receiver is free once the dispatcher looks again
         * (a look already under way may still see the row pending) */
        idset_add(&d->finished, t->row.receiver_id);
        d->kicked = 1;
        pthread_cond_signal(&d->wake);
        free(t->row.message);
        free(t);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

static void *dispatcher_main(void *arg)
{
    struct delivery *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping) {
        for (size_t i = 0; i < d->finished.n; i++)
            idset_remove(&d->busy, d->finished.ids[i]);
        d->finished.n = 0;
        d->kicked = 0;
        pthread_mutex_unlock(&d->mu);

        struct store_outbox_row *rows = NULL;
        size_t n = 0;
        int rc = store_r_outbox_due(d->st, dd_now_ms(), DUE_LIMIT, &rows, &n);
        if (rc != 0)
            dd_warn("outbox not readable", "err=%s", dd_errname(rc));

        pthread_mutex_lock(&d->mu);
        for (size_t i = 0; i < n; i++) {
            if (idset_find(&d->busy, rows[i].receiver_id) >= 0)
                continue; /* one request per receiver at a time */
            idset_add(&d->busy, rows[i].receiver_id);
            struct task *t = dd_calloc(1, sizeof *t);
            t->row = rows[i];
            rows[i].message = NULL; /* the task owns it now */
            if (d->tail)
                d->tail->next = t;
            else
                d->head = t;
            d->tail = t;
            pthread_cond_signal(&d->work);
        }
        store_outbox_rows_free(rows, n);
        if (d->kicked || d->stopping)
            continue;
        int64_t due = dd_mono_ns() + d->o.poll_ms * 1000000LL;
        struct timespec until = {(time_t)(due / 1000000000), (long)(due % 1000000000)};
        while (!d->kicked && !d->stopping &&
               pthread_cond_timedwait(&d->wake, &d->mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

int delivery_start(struct store *st, struct writer *w, const struct delivery_options *o,
                   struct delivery **out)
{
    struct delivery *d = dd_calloc(1, sizeof *d);
    d->st = st;
    d->w = w;
    if (o)
        d->o = *o;
    if (d->o.threads <= 0)
        d->o.threads = DEFAULT_THREADS;
    if (d->o.connect_timeout_ms <= 0)
        d->o.connect_timeout_ms = NOTIFY_CONNECT_TIMEOUT_MS;
    if (d->o.timeout_ms <= 0)
        d->o.timeout_ms = NOTIFY_TOTAL_TIMEOUT_MS;
    if (d->o.max_age_ms <= 0)
        d->o.max_age_ms = NOTIFY_DEFAULT_MAX_AGE_MS;
    if (d->o.poll_ms <= 0)
        d->o.poll_ms = DEFAULT_POLL_MS;
    pthread_mutex_init(&d->mu, NULL);
    dd_cond_init_monotonic(&d->wake);
    pthread_cond_init(&d->work, NULL);
    d->pool = dd_calloc((size_t)d->o.threads, sizeof *d->pool);
    for (int i = 0; i < d->o.threads; i++) {
        if (pthread_create(&d->pool[i], NULL, pool_main, d) != 0)
            break;
        d->n_pool++;
    }
    if (d->n_pool == d->o.threads && pthread_create(&d->dispatcher, NULL, dispatcher_main, d) == 0)
        d->dispatcher_started = 1;
    if (!d->dispatcher_started) {
        delivery_stop(d);
        return DD_EIO;
    }
    dd_info("delivery started",
            "threads=%d connect_timeout_ms=%lld timeout_ms=%lld max_age_ms=%lld", d->o.threads,
            (long long)d->o.connect_timeout_ms, (long long)d->o.timeout_ms,
            (long long)d->o.max_age_ms);
    *out = d;
    return 0;
}

void delivery_stop(struct delivery *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stopping = 1;
    pthread_cond_broadcast(&d->work);
    pthread_cond_broadcast(&d->wake);
    pthread_mutex_unlock(&d->mu);
    if (d->dispatcher_started)
        pthread_join(d->dispatcher, NULL);
    for (int i = 0; i < d->n_pool; i++)
        pthread_join(d->pool[i], NULL);
    while (d->head) {
        struct task *t = d->head;
        d->head = t->next;
        free(t->row.message);
        free(t);
    }
    free(d->pool);
    free(d->busy.ids);
    free(d->finished.ids);
    free(d->stats);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->wake);
    pthread_cond_destroy(&d->work);
    free(d);
}

/* ---- the test endpoint ---- */

int delivery_test(struct delivery *d, const char *receiver_id, struct dd_buf *out, char *err,
                  size_t errlen)
{
    char *body = NULL;
    int rc = store_r_receiver(d->st, receiver_id, &body);
    if (rc != 0) {
        snprintf(err, errlen, rc == DD_ENOTFOUND ? "no receiver '%s'" : "receiver '%s' unreadable",
                 receiver_id);
        return rc;
    }
    struct notify_receiver r;
    memset(&r, 0, sizeof r);
    char perr[256] = "";
    if (notify_receiver_parse(body, strlen(body), &r, perr, sizeof perr) != 0) {
        free(body);
        snprintf(err, errlen, "stored receiver '%s': %s", receiver_id, perr);
        return DD_EIO;
    }
    free(body);
    uint8_t rnd[16];
    uint64_t a = random64(), b = random64();
    memcpy(rnd, &a, 8);
    memcpy(rnd + 8, &b, 8);
    char id[NOTIFY_MSG_ID_LEN + 1];
    notify_message_id(rnd, id);
    char key[NOTIFY_KEY_MAX + 1];
    notify_alert_key("test", "driftd-test", receiver_id, key);
    struct notify_message m;
    notify_message_init(&m);
    m.id = id;
    m.event = NOTIFY_EVENT_TEST;
    m.alert_key = key;
    m.rule = "test";
    m.model = "driftd-test";
    m.severity = NOTIFY_SEV_INFO;
    int64_t now = dd_now_ms();
    m.started_at_ms = now;

    int first = 1;
    dd_buf_putc(out, '{');
    dd_json_kstr(out, &first, "receiver", receiver_id);
    dd_json_kstr(out, &first, "type", notify_kind_name(r.kind));
    dd_json_kstr(out, &first, "message_id", id);
    struct notify_request req;
    memset(&req, 0, sizeof req);
    rc = notify_render(&r, &m, now, &req);
    if (rc == NOTIFY_NOTHING_TO_SEND) {
        dd_json_kbool(out, &first, "sent", 0);
        dd_json_kstr(out, &first, "reason", req.reason ? req.reason : "nothing to send");
    } else if (rc != 0) {
        dd_json_kbool(out, &first, "sent", 0);
        dd_json_kstr(out, &first, "reason", "the receiver cannot render a test notification");
    } else {
        struct notify_timeouts t = {d->o.connect_timeout_ms, d->o.timeout_ms};
        struct notify_response resp;
        rc = notify_send(&req, &t, &resp);
        dd_json_kbool(out, &first, "sent", rc == 0);
        dd_json_kint(out, &first, "status", rc == 0 ? resp.status : 0);
        if (rc == 0 && resp.status) {
            dd_json_key(out, "body", &first);
            dd_json_strn(out, resp.body, resp.body_len);
        } else {
            dd_json_kstr(out, &first, "error",
                         rc == 0 ? resp.error : "the request cannot be sent (not an http(s) URL)");
            dd_json_kbool(out, &first, "timed_out", rc == 0 && resp.timed_out);
        }
        dd_json_kint(out, &first, "elapsed_ms", rc == 0 ? resp.elapsed_ms : 0);
        dd_json_kbool(out, &first, "delivered", rc == 0 && resp.status >= 200 && resp.status < 300);
        dd_info("receiver test", "receiver=%s message_id=%s status=%d elapsed_ms=%lld", receiver_id,
                id, rc == 0 ? resp.status : 0, (long long)(rc == 0 ? resp.elapsed_ms : 0));
    }
    dd_buf_putc(out, '}');
    notify_request_release(&req);
    notify_receiver_release(&r);
    return 0;
}

/* ---- metrics ---- */

void delivery_render_metrics(struct delivery *d, struct dd_buf *out)
{
    if (!d)
        return;
    struct store_alerting_stats s;
    if (store_r_alerting_stats(d->st, &s) == 0) {
        dd_buf_puts(out, "# HELP driftd_alerts Alerts by state.\n"
                         "# TYPE driftd_alerts gauge\n");
        dd_buf_printf(out,
                      "driftd_alerts{state=\"pending\"} %lld\n"
                      "driftd_alerts{state=\"firing\"} %lld\n"
                      "driftd_alerts{state=\"resolved\"} %lld\n",
                      (long long)s.pending, (long long)s.firing, (long long)s.resolved);
        dd_buf_printf(out,
                      "# HELP driftd_outbox_pending Notifications waiting to be delivered.\n"
                      "# TYPE driftd_outbox_pending gauge\n"
                      "driftd_outbox_pending %lld\n",
                      (long long)s.outbox_pending);
        double age = 0;
        if (s.oldest_pending_created_ms >= 0) {
            int64_t ms = dd_now_ms() - s.oldest_pending_created_ms;
            age = ms > 0 ? (double)ms / 1000.0 : 0;
        }
        dd_buf_printf(out,
                      "# HELP driftd_outbox_oldest_pending_seconds Age of the oldest "
                      "notification waiting to be delivered (0: none).\n"
                      "# TYPE driftd_outbox_oldest_pending_seconds gauge\n"
                      "driftd_outbox_oldest_pending_seconds %.3f\n",
                      age);
    }
    pthread_mutex_lock(&d->mu);
    if (d->n_stats) {
        dd_buf_puts(out, "# HELP driftd_notifications_total Delivery attempts per receiver by "
                         "outcome since start (retried: an attempt to be repeated).\n"
                         "# TYPE driftd_notifications_total counter\n");
        for (size_t i = 0; i < d->n_stats; i++)
            for (int k = 0; k < OUT_KINDS; k++)
                dd_buf_printf(
                    out, "driftd_notifications_total{receiver=\"%s\",outcome=\"%s\"} %llu\n",
                    d->stats[i].id, outcome_names[k], (unsigned long long)d->stats[i].n[k]);
    }
    pthread_mutex_unlock(&d->mu);
}
