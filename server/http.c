/* http.c — CivetWeb glue (http.h). */
#include "server/http.h"

#include <civetweb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/timefmt.h"
#include "server/app.h"
#include "server/metrics.h"
#include "server/routes.h"

/* CivetWeb runs handlers on worker threads with a fixed 100 KiB stack of
 * which it uses about 85 KiB itself (measured), too little for SQLite reads,
 * logging and the statistics.  So each request is handed to a pool of our
 * own threads with ordinary stacks (HTTP_DISPATCH_STACK); the CivetWeb
 * worker waits for it, so a connection is still used by one thread at a
 * time.  The pool has as many threads as CivetWeb has workers: it never
 * queues behind them. */
#define HTTP_DISPATCH_STACK (8u << 20)

struct dispatch_job {
    struct http_req *req;
    int done;                  /* guarded by http_server.mu */
    struct dispatch_job *next;
};

struct http_server {
    struct mg_context *ctx;
    struct app *app;
    pthread_t *pool;
    int n_pool;
    /* the job queue: guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    struct dispatch_job *head, *tail;
    int stopping;
};

static void *dispatch_main(void *arg)
{
    struct http_server *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->head && !h->stopping)
            pthread_cond_wait(&h->work, &h->mu);
        if (!h->head)
            break;
        struct dispatch_job *j = h->head;
        h->head = j->next;
        if (!h->head)
            h->tail = NULL;
        pthread_mutex_unlock(&h->mu);
        routes_dispatch(j->req);
        pthread_mutex_lock(&h->mu);
        j->done = 1;
        pthread_cond_broadcast(&h->done);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* Runs routes_dispatch(r) on a pool thread and waits for it. */
static void dispatch(struct http_server *h, struct http_req *r)
{
    struct dispatch_job j = {r, 0, NULL};
    pthread_mutex_lock(&h->mu);
    if (h->tail)
        h->tail->next = &j;
    else
        h->head = &j;
    h->tail = &j;
    pthread_cond_signal(&h->work);
    while (!j.done)
        pthread_cond_wait(&h->done, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

static atomic_uint_fast64_t request_counter;
static uint32_t rid_salt;

const char *http_header(const struct http_req *r, const char *name)
{
    return mg_get_header(r->conn, name);
}

/* The whole answer, head and body, goes out in one write: one packet for a
 * small answer (tcp_nodelay is on), and a client never sees a head cut
 * between two header lines when the process dies mid-answer: a truncated
 * answer always lacks Content-Length bytes and so reads as no answer. */
static void send_answer(struct http_req *r, int status, const char *ctype, const void *body,
                        size_t len, const char *extra_name, const char *extra_value)
{
    struct dd_buf b;
    dd_buf_init(&b);
    int with_body = len && strcmp(r->method, "HEAD") != 0;
    dd_buf_reserve(&b, 256 + (with_body ? len : 0));
    dd_buf_printf(&b, "HTTP/1.1 %d %s\r\n", status, mg_get_response_code_text(r->conn, status));
    if (ctype)
        dd_buf_printf(&b, "Content-Type: %s\r\n", ctype);
    dd_buf_printf(&b, "Content-Length: %zu\r\nX-Request-Id: %s\r\nCache-Control: no-store\r\n",
                  len, r->rid);
    if (extra_name)
        dd_buf_printf(&b, "%s: %s\r\n", extra_name, extra_value);
    if (r->close)
        dd_buf_puts(&b, "Connection: close\r\n");
    dd_buf_puts(&b, "\r\n");
    if (with_body)
        dd_buf_append(&b, body, len);
    /* counted before the answer leaves: a client that reads its answer and
     * then scrapes /metrics finds its request there */
    metrics_observe_request(r->route, status, (double)(dd_mono_ns() - r->start_ns) / 1e9);
    if (r->route_role == ROLE_INGEST && r->error_code)
        metrics_count_rejected(r->error_code);
    mg_write(r->conn, b.data, b.len);
    dd_buf_release(&b);
    r->status = status;
    r->bytes_out = len;
}

/* Answers, then closes the connection (a body left unread, a broken read). */
static void disable_keep_alive(struct http_req *r)
{
    mg_disable_connection_keep_alive(r->conn);
    r->close = 1;
}

void http_reply(struct http_req *r, int status, const char *content_type, const void *body,
                size_t len)
{
    send_answer(r, status, content_type, body, len, NULL, NULL);
}

void http_reply_json(struct http_req *r, int status, const struct dd_buf *b)
{
    http_reply(r, status, "application/json; charset=utf-8", b->data ? b->data : "",
               b->len);
}

static void error_body(struct dd_buf *b, const char *code, long index, const char *msg)
{
    dd_buf_puts(b, "{\"error\":{\"code\":");
    dd_json_str(b, code);
    dd_buf_puts(b, ",\"message\":");
    dd_json_str(b, msg);
    if (index >= 0)
        dd_buf_printf(b, ",\"index\":%ld", index);
    dd_buf_puts(b, "}}");
}

void http_reply_error(struct http_req *r, int status, const char *code, long index,
                      const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct dd_buf b;
    dd_buf_init(&b);
    r->error_code = code;
    error_body(&b, code, index, msg);
    if (status >= 500) {
        char q[300];
        dd_log_quote(msg, q, sizeof q);
        dd_error("request failed", "rid=%s status=%d code=%s detail=%s", r->rid, status, code, q);
    }
    http_reply_json(r, status, &b);
    dd_buf_release(&b);
}

void http_reply_overloaded(struct http_req *r, int status, int retry_after_s,
                           const char *message)
{
    struct dd_buf b;
    dd_buf_init(&b);
    r->error_code = "overloaded";
    error_body(&b, "overloaded", -1, message);
    char ra[16];
    snprintf(ra, sizeof ra, "%d", retry_after_s);
    send_answer(r, status, "application/json; charset=utf-8", b.data, b.len, "Retry-After", ra);
    dd_buf_release(&b);
}

void http_reply_file(struct http_req *r, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        http_reply_error(r, 404, "not_found", -1, "no such file '%s'", r->path);
        return;
    }
    struct dd_buf b;
    dd_buf_init(&b);
    char chunk[16384];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        dd_buf_append(&b, chunk, n);
    fclose(fp);
    const char *ctype = mg_get_builtin_mime_type(path);
    http_reply(r, 200, ctype, b.data ? b.data : "", b.len);
    dd_buf_release(&b);
}

int http_read_body_or_reply(struct http_req *r, size_t limit, struct dd_buf *out)
{
    const struct mg_request_info *ri = mg_get_request_info(r->conn);
    if (ri->content_length > (long long)limit) {
        /* do not read it: answer and drop the connection */
        disable_keep_alive(r);
        http_reply_error(r, 413, "payload_too_large", -1,
                         "body of %lld bytes is over the limit of %zu bytes",
                         ri->content_length, limit);
        return -1;
    }
    if (ri->content_length > 0)
        dd_buf_reserve(out, (size_t)ri->content_length);
    for (;;) {
        dd_buf_reserve(out, 65536);
        size_t room = out->cap - out->len - 1;
        int n = mg_read(r->conn, out->data + out->len, room);
        if (n < 0) {
            disable_keep_alive(r);
            http_reply_error(r, 400, "invalid_body", -1, "could not read the request body");
            return -1;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        out->data[out->len] = '\0';
        if (out->len > limit) {
            disable_keep_alive(r);
            http_reply_error(r, 413, "payload_too_large", -1,
                             "body is over the limit of %zu bytes", limit);
            return -1;
        }
    }
    return 0;
}

int http_query(const struct http_req *r, const char *name, char *out, size_t outsz)
{
    if (!r->query)
        return 0;
    int n = mg_get_var(r->query, strlen(r->query), name, out, outsz);
    if (n >= 0)
        return 1;
    return n == -1 ? 0 : -1;
}

static int on_request(struct mg_connection *conn, void *cbdata)
{
    struct http_server *h = cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    struct http_req r;
    memset(&r, 0, sizeof r);
    r.app = h->app;
    r.conn = conn;
    r.method = ri->request_method;
    r.path = ri->local_uri_raw ? ri->local_uri_raw : ri->local_uri;
    r.query = ri->query_string;
    r.start_ns = dd_mono_ns();
    r.route = -1;
    snprintf(r.rid, sizeof r.rid, "%08x%08llx", rid_salt,
             (unsigned long long)atomic_fetch_add(&request_counter, 1));

    dispatch(h, &r);
    if (!r.status) /* a handler that forgot to answer is a bug; never hang a client */
        http_reply_error(&r, 500, "internal", -1, "no answer from handler");

    double ms = (double)(dd_mono_ns() - r.start_ns) / 1e6;
    enum dd_log_level lvl = r.status >= 500 ? DD_LOG_WARN : DD_LOG_INFO;
    if (!strcmp(r.path, "/healthz") || !strcmp(r.path, "/readyz") || !strcmp(r.path, "/metrics"))
        lvl = DD_LOG_DEBUG;
    dd_log(lvl, "request", "rid=%s method=%s path=\"%.200s\" status=%d bytes=%zu ms=%.3f remote=%s",
           r.rid, r.method, r.path, r.status, r.bytes_out, ms, ri->remote_addr);
    return r.status;
}

/* Every request goes to on_request() from CivetWeb's begin_request callback,
 * which is set before the listener opens.  (A handler registered after
 * mg_start2() left a window in which CivetWeb answered requests itself: a
 * client retrying while the server restarted got 404, and under ASan
 * CivetWeb's error page overflowed its worker stack.) */
static int on_begin_request(struct mg_connection *conn)
{
    return on_request(conn, mg_get_user_data(mg_get_context(conn)));
}

static int on_log_message(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    char q[512];
    dd_log_quote(message, q, sizeof q);
    dd_warn("civetweb", "detail=%s", q);
    return 1;
}

int http_start(struct app *app, struct http_server **out, char *err, size_t errlen)
{
    if (getrandom(&rid_salt, sizeof rid_salt, 0) != sizeof rid_salt)
        rid_salt = (uint32_t)dd_now_ms();
    mg_init_library(0);
    struct http_server *h = dd_calloc(1, sizeof *h);
    h->app = app;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->work, NULL);
    pthread_cond_init(&h->done, NULL);
    h->pool = dd_calloc((size_t)app->cfg.threads, sizeof *h->pool);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, HTTP_DISPATCH_STACK);
    for (int i = 0; i < app->cfg.threads; i++) {
        if (pthread_create(&h->pool[i], &attr, dispatch_main, h) != 0)
            break;
        h->n_pool++;
    }
    pthread_attr_destroy(&attr);
    if (h->n_pool == 0) {
        snprintf(err, errlen, "cannot start request threads");
        http_stop(h);
        return DD_EIO;
    }
    char threads[16], timeout[16];
    snprintf(threads, sizeof threads, "%d", app->cfg.threads);
    snprintf(timeout, sizeof timeout, "%d", app->cfg.request_timeout_ms);
    const char *options[] = {
        "listening_ports", app->cfg.listen,
        "num_threads", threads,
        "enable_keep_alive", "yes",
        "keep_alive_timeout_ms", "30000",
        "request_timeout_ms", timeout,
        "tcp_nodelay", "1",
        NULL,
    };
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.log_message = on_log_message;
    cb.begin_request = on_begin_request;
    struct mg_init_data init = {.callbacks = &cb, .user_data = h, .configuration_options = options};
    struct mg_error_data e = {0};
    char ebuf[256] = "";
    e.text = ebuf;
    e.text_buffer_size = sizeof ebuf;
    h->ctx = mg_start2(&init, &e);
    if (!h->ctx) {
        snprintf(err, errlen, "cannot listen on '%s': %s", app->cfg.listen,
                 ebuf[0] ? ebuf : "unknown error");
        http_stop(h);
        return DD_EIO;
    }
    *out = h;
    return 0;
}

void http_stop(struct http_server *h)
{
    if (!h)
        return;
    if (h->ctx)
        mg_stop(h->ctx); /* waits for in-flight requests, so the pool is idle after */
    pthread_mutex_lock(&h->mu);
    h->stopping = 1;
    pthread_cond_broadcast(&h->work);
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; i < h->n_pool; i++)
        pthread_join(h->pool[i], NULL);
    free(h->pool);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->work);
    pthread_cond_destroy(&h->done);
    free(h);
    mg_exit_library();
}
