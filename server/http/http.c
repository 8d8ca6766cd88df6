/* http.c — CivetWeb glue (http.h).
 *
 * Threads.  CivetWeb runs one worker thread per open connection, on a fixed
 * 100 KiB stack of which it uses about 85 KiB itself (measured): too little
 * for SQLite reads, logging and the statistics.  So a connection's thread
 * only does what is cheap in stack and may take long: framing checks and
 * reading the body (a slow client then holds nothing but its own connection
 * thread).  Route, auth and the handler run on our own pool of handler
 * threads with ordinary stacks (HTTP_HANDLER_STACK); the connection's thread
 * waits for them, so a request is used by one thread at a time.
 *
 * Slow and idle clients.  With `threads` connection threads (default 4096),
 * 2,000 idle or slow connections leave room for healthy ones; the head must
 * arrive within `header_timeout` (CivetWeb's request_timeout_ms, a total), the
 * body within `body_timeout` (a total, enforced by the body watchdog below,
 * since CivetWeb's per-read timeout restarts on every byte), and an idle
 * keep-alive connection is closed after `keep_alive_timeout`.
 *
 * Stop.  http_stop() first drains: requests already read run to their
 * answer; a request that arrives meanwhile is answered 503 shutting_down with
 * Connection: close.  Only then does mg_stop() close the listener and the
 * idle connections (CivetWeb refuses to write once it is stopping, which is
 * why the drain comes first).
 */
#include "server/http/http.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/thread.h"
#include "base/timefmt.h"

#define HTTP_HANDLER_STACK (8u << 20)
/* CivetWeb parses at most 64 header lines and silently drops the rest
 * (MG_MAX_HEADERS), so 64 parsed lines may mean more were sent: refuse. */
#define HTTP_MAX_HEADER_LINES 63
/* CivetWeb's buffer for the request head (its max_request_size). */
#define HTTP_MAX_HEAD_BYTES 16384
/* Over the body limit, a client that did not send Expect: 100-continue is
 * still sending its body when the 413 goes out; closing with the body unread
 * makes the kernel reset the connection, and the client sees the reset, not
 * the 413.  So up to this much more is read and thrown away first. */
#define HTTP_DISCARD_MAX ((long long)64 << 20)
/* An expired body read is interrupted by this signal (a no-op handler
 * installed without SA_RESTART makes CivetWeb's poll() return EINTR); it is
 * sent again every HTTP_WAKE_RESEND_NS until the reader has stopped. */
#define HTTP_WAKE_SIGNAL SIGURG
#define HTTP_WAKE_RESEND_NS 20000000LL
/* How long a stop waits for requests already read (then it stops anyway). */
#define HTTP_DRAIN_EXTRA_MS 5000
#define HTTP_DRAIN_GRACE_MS 300
#define HTTP_RETRY_AFTER_SHUTDOWN_S 5
/* A file answer is read and written in pieces of this size (http_reply_file()). */
#define HTTP_FILE_CHUNK (64u << 10)

struct dispatch_job {
    struct http_req *req;
    void (*fn)(struct http_req *r);
    int done; /* guarded by http_server.mu */
    struct dispatch_job *next;
};

/* A body being read, registered with the watchdog; guarded by wd_mu. */
struct body_watch {
    pthread_t thread;
    int64_t deadline_ns; /* CLOCK_MONOTONIC */
    int64_t next_kick_ns;
    atomic_int expired;
    struct body_watch *next;
};

struct http_server {
    struct mg_context *ctx;
    struct http_options opt;
    struct http_hooks hooks;
    void *user; /* http_req.ctx of every request */
    /* handler pool; the job queue is guarded by mu */
    pthread_t *pool;
    int n_pool;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    struct dispatch_job *head, *tail;
    int stopping;
    /* drain: guarded by drain_mu */
    pthread_mutex_t drain_mu;
    pthread_cond_t drained;
    atomic_int draining; /* written under drain_mu, read anywhere */
    int busy;            /* requests admitted and not yet answered */
    /* body watchdog: guarded by wd_mu */
    pthread_mutex_t wd_mu;
    pthread_cond_t wd_cond;
    struct body_watch *watches;
    int wd_stop;
    int wd_started;
    pthread_t wd_thread;
    int quiet_fd; /* see stop_listening() */
};

static atomic_uint_fast64_t request_counter;
static uint32_t rid_salt;

/* Per connection thread: since when it has waited for the next request head,
 * and whether that head is the connection's first (CivetWeb waits
 * header_timeout for a first head, keep_alive_timeout for a later one).
 * Lets on_http_error() tell a head that ran out of time from one that ran
 * out of room: CivetWeb reports both as "Malformed message". */
static _Thread_local int64_t head_wait_since_ns;
static _Thread_local int head_is_first;

/* ---- the handler pool ---- */

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
        j->fn(j->req);
        pthread_mutex_lock(&h->mu);
        j->done = 1;
        pthread_cond_broadcast(&h->done);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* Runs fn(r) on a handler thread and waits for it. */
static void dispatch(struct http_server *h, void (*fn)(struct http_req *), struct http_req *r)
{
    struct dispatch_job j = {r, fn, 0, NULL};
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

static struct http_server *server_of(const struct mg_connection *conn);

static void prepare_job(struct http_req *r)
{
    struct http_server *h = server_of(r->conn);
    if (h->hooks.prepare(r) != 0)
        r->handler = NULL;
}

static void handler_job(struct http_req *r)
{
    r->handler(r);
}

/* ---- the body watchdog ---- */

static void on_wake_signal(int sig)
{
    (void)sig; /* only here to interrupt a blocking poll() */
}

static void *watchdog_main(void *arg)
{
    struct http_server *h = arg;
    pthread_mutex_lock(&h->wd_mu);
    while (!h->wd_stop) {
        int64_t now = dd_mono_ns(), next = INT64_MAX;
        for (struct body_watch *w = h->watches; w; w = w->next) {
            if (now >= w->deadline_ns && now >= w->next_kick_ns) {
                atomic_store(&w->expired, 1);
                pthread_kill(w->thread, HTTP_WAKE_SIGNAL);
                w->next_kick_ns = now + HTTP_WAKE_RESEND_NS;
            }
            int64_t due = w->deadline_ns > now ? w->deadline_ns : w->next_kick_ns;
            if (due < next)
                next = due;
        }
        if (next == INT64_MAX) {
            pthread_cond_wait(&h->wd_cond, &h->wd_mu);
        } else {
            struct timespec ts = {(time_t)(next / 1000000000), (long)(next % 1000000000)};
            pthread_cond_timedwait(&h->wd_cond, &h->wd_mu, &ts);
        }
    }
    pthread_mutex_unlock(&h->wd_mu);
    return NULL;
}

static void watch_begin(struct http_server *h, struct body_watch *w, int64_t timeout_ms)
{
    memset(w, 0, sizeof *w);
    w->thread = pthread_self();
    w->deadline_ns = dd_mono_ns() + timeout_ms * 1000000;
    pthread_mutex_lock(&h->wd_mu);
    w->next = h->watches;
    h->watches = w;
    pthread_cond_signal(&h->wd_cond);
    pthread_mutex_unlock(&h->wd_mu);
}

/* Unregisters w; 1 when its deadline passed. */
static int watch_end(struct http_server *h, struct body_watch *w)
{
    pthread_mutex_lock(&h->wd_mu);
    for (struct body_watch **p = &h->watches; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            break;
        }
    pthread_mutex_unlock(&h->wd_mu);
    return atomic_load(&w->expired);
}

/* ---- answers ---- */

static struct http_server *server_of(const struct mg_connection *conn)
{
    return mg_get_user_data(mg_get_context(conn));
}

static const char *status_text(const struct mg_connection *conn, int status)
{
    switch (status) { /* the ones CivetWeb 1.15 may not name */
    case 431:
        return "Request Header Fields Too Large";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return mg_get_response_code_text(conn, status);
    }
}

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
    struct http_server *h = server_of(r->conn);
    if (atomic_load(&h->draining) && !r->close) {
        mg_disable_connection_keep_alive(r->conn);
        r->close = 1;
    }
    struct dd_buf b;
    dd_buf_init(&b);
    int with_body = len && !(r->method && strcmp(r->method, "HEAD") == 0);
    dd_buf_reserve(&b, 256 + (with_body ? len : 0));
    dd_buf_printf(&b, "HTTP/1.1 %d %s\r\n", status, status_text(r->conn, status));
    if (ctype)
        dd_buf_printf(&b, "Content-Type: %s\r\n", ctype);
    dd_buf_printf(&b, "Content-Length: %zu\r\nX-Request-Id: %s\r\nCache-Control: no-store\r\n", len,
                  r->rid);
    if (extra_name)
        dd_buf_printf(&b, "%s: %s\r\n", extra_name, extra_value);
    if (r->headers)
        dd_buf_puts(&b, r->headers);
    if (r->close)
        dd_buf_puts(&b, "Connection: close\r\n");
    dd_buf_puts(&b, "\r\n");
    if (with_body)
        dd_buf_append(&b, body, len);
    /* counted before the answer leaves: a client that reads its answer and
     * then scrapes /metrics finds its request there */
    if (h->hooks.observe)
        h->hooks.observe(r, status, (double)(dd_mono_ns() - r->start_ns) / 1e9);
    mg_write(r->conn, b.data, b.len);
    dd_buf_release(&b);
    r->status = status;
    r->bytes_out = len;
}

/* The answer is followed by closing the connection (a framing error, a body
 * left unread, a broken read). */
static void close_after_answer(struct http_req *r)
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
    http_reply(r, status, "application/json; charset=utf-8", b->data ? b->data : "", b->len);
}

void http_reply_jsonf(struct http_req *r, int status, const char *fmt, ...)
{
    struct dd_buf b;
    dd_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    dd_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    http_reply_json(r, status, &b);
    dd_buf_release(&b);
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

static void reply_error_va(struct http_req *r, int status, const char *code, long index,
                           const char *hname, const char *hvalue, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    struct dd_buf b;
    dd_buf_init(&b);
    r->error_code = code;
    error_body(&b, code, index, msg);
    if (status >= 500 && status != 503 && status != 505 && status != 501) {
        char q[300];
        dd_log_quote(msg, q, sizeof q);
        dd_error("request failed", "rid=%s status=%d code=%s detail=%s", r->rid, status, code, q);
    }
    send_answer(r, status, "application/json; charset=utf-8", b.data, b.len, hname, hvalue);
    dd_buf_release(&b);
}

void http_reply_error(struct http_req *r, int status, const char *code, long index, const char *fmt,
                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_error_va(r, status, code, index, NULL, NULL, fmt, ap);
    va_end(ap);
}

void http_reply_error_retry(struct http_req *r, int status, const char *code, int retry_after_s,
                            const char *fmt, ...)
{
    char ra[16];
    snprintf(ra, sizeof ra, "%d", retry_after_s);
    va_list ap;
    va_start(ap, fmt);
    reply_error_va(r, status, code, -1, "Retry-After", ra, fmt, ap);
    va_end(ap);
}

void http_reply_unauthorized(struct http_req *r)
{
    /* RFC 7235 §3.1: a 401 names the scheme the client should use */
    struct dd_buf b;
    dd_buf_init(&b);
    r->error_code = "unauthorized";
    error_body(&b, "unauthorized", -1, "missing or unknown API key (Authorization: Bearer <key>)");
    send_answer(r, 401, "application/json; charset=utf-8", b.data, b.len, "WWW-Authenticate",
                "Bearer realm=\"driftd\"");
    dd_buf_release(&b);
}

/* A file's validator: its size and modification time in nanoseconds (as
 * nginx's, without a read of the bytes).  A file replaced by one of the same
 * size within the same nanosecond keeps its ETag; editors and `npm ci` do not
 * do that. */
static void file_etag(const struct stat *st, char out[HTTP_ETAG_MAX])
{
    unsigned long long mtime_ns = (unsigned long long)st->st_mtim.tv_sec * 1000000000ull +
                                  (unsigned long long)st->st_mtim.tv_nsec;
    snprintf(out, HTTP_ETAG_MAX, "\"%llx-%llx\"", (unsigned long long)st->st_size, mtime_ns);
}

int http_etag_matches(const char *if_none_match, const char *etag)
{
    /* RFC 9110 13.1.2: a list of entity tags, or "*"; weak comparison */
    if (!strncmp(etag, "W/", 2))
        etag += 2;
    size_t elen = strlen(etag);
    const char *p = if_none_match;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            return 0;
        if (*p == '*')
            return 1;
        if (!strncmp(p, "W/", 2))
            p += 2;
        const char *start = p;
        if (*p == '"') {
            const char *close = strchr(p + 1, '"');
            if (!close)
                return 0;
            p = close + 1;
        } else {
            p += strcspn(p, ", \t");
        }
        if (*p && *p != ',' && *p != ' ' && *p != '\t')
            return 0; /* not a list of entity tags */
        if ((size_t)(p - start) == elen && !memcmp(start, etag, elen))
            return 1;
    }
}

void http_reply_file(struct http_req *r, const char *path, const char *content_type,
                     const char *cache_control)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        http_reply_error(r, 404, "not_found", -1, "no such file '%s'", r->path);
        return;
    }
    struct http_server *h = server_of(r->conn);
    if (atomic_load(&h->draining) && !r->close) {
        mg_disable_connection_keep_alive(r->conn);
        r->close = 1;
    }
    char etag[HTTP_ETAG_MAX];
    file_etag(&st, etag);
    const char *inm = http_header(r, "If-None-Match");
    int status = inm && http_etag_matches(inm, etag) ? 304 : 200;
    int with_body = status == 200 && !(r->method && strcmp(r->method, "HEAD") == 0);
    size_t size = (size_t)st.st_size;
    struct dd_buf b;
    dd_buf_init(&b);
    dd_buf_printf(&b, "HTTP/1.1 %d %s\r\n", status, status_text(r->conn, status));
    if (status == 200) /* a 304 has no body and says nothing of its length */
        dd_buf_printf(&b, "Content-Type: %s\r\nContent-Length: %zu\r\n", content_type, size);
    dd_buf_printf(&b,
                  "ETag: %s\r\nCache-Control: %s\r\nX-Content-Type-Options: nosniff\r\n"
                  "X-Request-Id: %s\r\n",
                  etag, cache_control, r->rid);
    if (r->close)
        dd_buf_puts(&b, "Connection: close\r\n");
    dd_buf_puts(&b, "\r\n");
    if (h->hooks.observe)
        h->hooks.observe(r, status, (double)(dd_mono_ns() - r->start_ns) / 1e9);
    /* the body streamed from the file in HTTP_FILE_CHUNK pieces, never whole
     * in memory; the first piece goes out with the head (one write for a
     * small file, as send_answer() does) */
    size_t sent = 0;
    int ok = 1;
    do {
        size_t want = with_body ? size - sent : 0;
        if (want > HTTP_FILE_CHUNK)
            want = HTTP_FILE_CHUNK;
        dd_buf_reserve(&b, b.len + want);
        ssize_t n = want ? read(fd, b.data + b.len, want) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (want && n <= 0) { /* the file shrank or failed: cut, never padded */
            ok = 0;
            break;
        }
        b.len += (size_t)n;
        if (b.len && mg_write(r->conn, b.data, b.len) != (int)b.len) {
            ok = 0;
            break;
        }
        sent += (size_t)n;
        b.len = 0;
    } while (sent < (with_body ? size : 0));
    close(fd);
    dd_buf_release(&b);
    if (!ok)
        close_after_answer(r);
    r->status = status;
    r->bytes_out = sent;
}

/* ---- streamed answers ---- */

/* Ends the stream as failed: the connection closes after the request, so a
 * body without its last chunk reads as cut. */
static int stream_fail(struct http_req *r, int rc)
{
    r->stream = -1;
    close_after_answer(r);
    return rc;
}

int http_stream_begin(struct http_req *r, const char *content_type)
{
    struct http_server *h = server_of(r->conn);
    if (atomic_load(&h->draining))
        close_after_answer(r);
    r->status = 200;
    r->stream = 1;
    /* CivetWeb's own head writer: status line, Date, and Connection as its
     * keep-alive rules say (ours only when the connection closes) */
    int rc = mg_response_header_start(r->conn, 200);
    if (rc == 0)
        rc = mg_response_header_add(r->conn, "Content-Type", content_type, -1);
    if (rc == 0)
        rc = mg_response_header_add(r->conn, "Transfer-Encoding", "chunked", -1);
    if (rc == 0)
        rc = mg_response_header_add(r->conn, "X-Request-Id", r->rid, -1);
    if (rc == 0)
        rc = mg_response_header_add(r->conn, "Cache-Control", "no-store", -1);
    if (rc == 0 && r->close)
        rc = mg_response_header_add(r->conn, "Connection", "close", -1);
    if (rc == 0)
        rc = mg_response_header_send(r->conn);
    if (rc != 0)
        return stream_fail(r, DD_EIO);
    return r->method && strcmp(r->method, "HEAD") == 0 ? 1 : 0;
}

int http_stream_write(struct http_req *r, const void *p, size_t n)
{
    if (r->stream != 1)
        return DD_EIO;
    if (atomic_load(&server_of(r->conn)->draining))
        return stream_fail(r, DD_ESHUTDOWN);
    if (n == 0)
        return 0; /* an empty chunk would end the body */
    /* the chunk in one write (mg_send_chunk() makes three syscalls) */
    struct dd_buf b;
    dd_buf_init(&b);
    dd_buf_reserve(&b, n + 24);
    dd_buf_printf(&b, "%zx\r\n", n);
    dd_buf_append(&b, p, n);
    dd_buf_puts(&b, "\r\n");
    int sent = mg_write(r->conn, b.data, b.len);
    int ok = sent > 0 && (size_t)sent == b.len;
    dd_buf_release(&b);
    if (!ok)
        return stream_fail(r, DD_EIO);
    r->bytes_out += n;
    return 0;
}

void http_stream_end(struct http_req *r, int whole)
{
    if (!whole && r->stream == 1)
        r->stream = -1;
    struct http_server *h = server_of(r->conn);
    if (h->hooks.observe)
        h->hooks.observe(r, r->status, (double)(dd_mono_ns() - r->start_ns) / 1e9);
    int head = r->method && strcmp(r->method, "HEAD") == 0;
    if (r->stream == 1 && !head && mg_write(r->conn, "0\r\n\r\n", 5) != 5)
        stream_fail(r, DD_EIO);
    if (r->stream == -1)
        close_after_answer(r);
    r->stream = 0;
}

int http_read_body_or_reply(struct http_req *r, size_t limit, struct dd_buf *out)
{
    if (r->body.len > limit) {
        http_reply_error(r, 413, "payload_too_large", -1,
                         "body of %zu bytes is over this endpoint's limit of %zu bytes",
                         r->body.len, limit);
        return -1;
    }
    struct dd_buf tmp = *out;
    *out = r->body;
    r->body = tmp;
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

/* ---- framing (RFC 9112 §6.3) ---- */

struct framing {
    int chunked;
    long long content_length; /* -1 when none */
    int expect_continue;
};

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Checks the head; 0 and *f, or the error answer has been sent (with the
 * connection closed after it). */
static int check_framing_or_reply(struct http_req *r, const struct mg_request_info *ri,
                                  struct framing *f)
{
    f->chunked = 0;
    f->content_length = -1;
    f->expect_continue = 0;
    if (ri->num_headers > HTTP_MAX_HEADER_LINES) {
        close_after_answer(r);
        http_reply_error(r, 431, "headers_too_large", -1, "more than %d header lines",
                         HTTP_MAX_HEADER_LINES);
        return -1;
    }
    const char *cl = NULL, *te = NULL;
    int n_cl = 0, n_te = 0, n_host = 0;
    for (int i = 0; i < ri->num_headers; i++) {
        const char *name = ri->http_headers[i].name, *value = ri->http_headers[i].value;
        if (!name || !value)
            continue;
        if (!strcasecmp(name, "Content-Length"))
            cl = value, n_cl++;
        else if (!strcasecmp(name, "Transfer-Encoding"))
            te = value, n_te++;
        else if (!strcasecmp(name, "Host"))
            n_host++;
        else if (!strcasecmp(name, "Expect") && !strcasecmp(value, "100-continue"))
            f->expect_continue = 1;
    }
    const char *why = NULL;
    int status = 400;
    const char *code = "invalid_request";
    char msg[200];
    if (n_host == 0 && strcmp(ri->http_version, "1.0") != 0)
        why = "an HTTP/1.1 request needs a Host header";
    else if (n_host > 1)
        why = "more than one Host header";
    else if (n_cl > 1)
        why = "more than one Content-Length header";
    else if (n_te > 1)
        why = "more than one Transfer-Encoding header";
    else if (cl && te)
        why = "both Content-Length and Transfer-Encoding: the body's length is ambiguous";
    else if (te && strcasecmp(te, "chunked") != 0) {
        snprintf(msg, sizeof msg, "Transfer-Encoding '%.80s' is not supported (only chunked)", te);
        why = msg, status = 501, code = "not_implemented";
    } else if (cl && (!all_digits(cl) || strlen(cl) > 18)) {
        snprintf(msg, sizeof msg, "Content-Length '%.40s' is not a decimal number of bytes", cl);
        why = msg;
    }
    if (why) {
        close_after_answer(r);
        http_reply_error(r, status, code, -1, "%s", why);
        return -1;
    }
    f->chunked = te != NULL;
    f->content_length = cl ? strtoll(cl, NULL, 10) : -1;
    return 0;
}

/* ---- the body ---- */

/* Reads and drops up to max bytes of what is left of the body, within the
 * body timeout, so that the client is done sending before we close. */
static void discard_body(struct http_server *h, struct http_req *r, long long max)
{
    char *scratch = dd_malloc(65536);
    struct body_watch w;
    watch_begin(h, &w, h->opt.body_timeout_ms);
    long long total = 0;
    while (total < max && !atomic_load(&w.expired)) {
        int n = mg_read(r->conn, scratch, 65536);
        if (n <= 0)
            break;
        total += n;
    }
    watch_end(h, &w);
    free(scratch);
}

static void reply_too_large(struct http_req *r, long long got, size_t limit)
{
    close_after_answer(r);
    if (got >= 0)
        http_reply_error(r, 413, "payload_too_large", -1,
                         "body of %lld bytes is over the limit of %zu bytes", got, limit);
    else
        http_reply_error(r, 413, "payload_too_large", -1, "body is over the limit of %zu bytes",
                         limit);
}

/* CivetWeb 1.15 skips empty lines before a request line when it parses the
 * head, but measures the head from the first empty line: with two or more
 * CRLFs first, the "body" it hands out is the head itself, and the real body
 * would run as the next request on the connection.  That body always starts
 * with this request's own method (or is nothing but CR/LF, the head coming
 * after it): refuse it and close.  (A body of only empty lines is refused
 * with it; no endpoint takes one.) */
static int head_replayed_as_body(const struct http_req *r)
{
    const char *b = r->body.data;
    size_t n = r->body.len, i = 0;
    while (i < n && (b[i] == '\r' || b[i] == '\n'))
        i++;
    size_t m = strlen(r->method);
    if (n > 0 && i == n)
        return 1; /* nothing but the empty lines: the head comes next */
    /* the head it hands out was already cut into words in place (NULs) */
    return n - i > m && memcmp(b + i, r->method, m) == 0 && (b[i + m] == ' ' || b[i + m] == '\0');
}

/* Reads the whole body into r->body on the connection's thread; 0, or the
 * error answer (413, 408, 400) has been sent. */
static int read_body_or_reply(struct http_server *h, struct http_req *r, const struct framing *f)
{
    size_t limit = h->opt.body_limit;
    if (!f->chunked && f->content_length <= 0)
        return 0;
    if (!f->chunked && f->content_length > (long long)limit) {
        reply_too_large(r, f->content_length, limit);
        /* with Expect: 100-continue the body was never sent; otherwise take
         * it off the wire so the client gets to read the answer */
        if (!f->expect_continue && f->content_length - (long long)limit <= HTTP_DISCARD_MAX)
            discard_body(h, r, f->content_length);
        return -1;
    }
    if (!f->chunked)
        dd_buf_reserve(&r->body, (size_t)f->content_length);
    struct body_watch w;
    watch_begin(h, &w, h->opt.body_timeout_ms);
    int failed = 0;
    for (;;) {
        /* a known length is read into its one buffer and no further: growing it
         * for one more read that returns 0 copied every body once more */
        if (!f->chunked && (long long)r->body.len == f->content_length)
            break;
        if (f->chunked)
            dd_buf_reserve(&r->body, 65536);
        size_t room = r->body.cap - r->body.len - 1;
        int n = mg_read(r->conn, r->body.data + r->body.len, room);
        if (atomic_load(&w.expired))
            break;
        if (n < 0) {
            failed = 1;
            break;
        }
        if (n == 0)
            break;
        r->body.len += (size_t)n;
        r->body.data[r->body.len] = '\0';
        if (r->body.len > limit)
            break;
    }
    int expired = watch_end(h, &w);
    if (expired) {
        close_after_answer(r);
        http_reply_error(r, 408, "request_timeout", -1,
                         "the request body did not arrive within body_timeout (%lld ms)",
                         (long long)h->opt.body_timeout_ms);
        return -1;
    }
    if (failed) {
        close_after_answer(r);
        http_reply_error(r, 400, "invalid_body", -1, "could not read the request body");
        return -1;
    }
    if (r->body.len > limit) {
        reply_too_large(r, -1, limit);
        discard_body(h, r, HTTP_DISCARD_MAX);
        return -1;
    }
    if (head_replayed_as_body(r)) {
        close_after_answer(r);
        http_reply_error(r, 400, "invalid_request", -1,
                         "empty lines before the request line (or a body of only empty "
                         "lines) are not accepted");
        return -1;
    }
    if (!f->chunked && (long long)r->body.len != f->content_length) {
        close_after_answer(r);
        http_reply_error(r, 400, "invalid_body", -1, "the body ended after %zu of %lld bytes",
                         r->body.len, f->content_length);
        return -1;
    }
    return 0;
}

/* ---- a request ---- */

static void req_init(struct http_req *r, struct mg_connection *conn, void *user)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    memset(r, 0, sizeof *r);
    r->ctx = user;
    r->conn = conn;
    r->method = ri->request_method;
    r->path = ri->local_uri_raw ? ri->local_uri_raw : ri->local_uri;
    if (!r->path)
        r->path = ri->request_uri ? ri->request_uri : "";
    r->query = ri->query_string;
    r->start_ns = dd_mono_ns();
    r->route = -1;
    dd_buf_init(&r->body);
    snprintf(r->rid, sizeof r->rid, "%08x%08llx", rid_salt,
             (unsigned long long)atomic_fetch_add(&request_counter, 1));
}

static void log_request(const struct http_req *r, const struct mg_request_info *ri)
{
    double ms = (double)(dd_mono_ns() - r->start_ns) / 1e6;
    enum dd_log_level lvl = r->status >= 500 && r->status != 503 ? DD_LOG_WARN : DD_LOG_INFO;
    if (!strcmp(r->path, "/healthz") || !strcmp(r->path, "/readyz") || !strcmp(r->path, "/metrics"))
        lvl = DD_LOG_DEBUG;
    char qpath[240];
    dd_log_quote(r->path, qpath, sizeof qpath);
    char qmethod[40];
    dd_log_quote(r->method ? r->method : "-", qmethod, sizeof qmethod);
    dd_log(lvl, "request", "rid=%s method=%s path=%s status=%d bytes=%zu ms=%.3f remote=%s", r->rid,
           qmethod, qpath, r->status, r->bytes_out, ms, ri->remote_addr);
}

/* Counts the request in (every one, refused or not: a stop waits for all of
 * them to be answered); 1 when it may run, 0 when a stop is draining. */
static int admit(struct http_server *h)
{
    pthread_mutex_lock(&h->drain_mu);
    int ok = !atomic_load(&h->draining);
    h->busy++;
    pthread_mutex_unlock(&h->drain_mu);
    return ok;
}

static void release(struct http_server *h)
{
    pthread_mutex_lock(&h->drain_mu);
    if (--h->busy == 0)
        pthread_cond_broadcast(&h->drained);
    pthread_mutex_unlock(&h->drain_mu);
}

/* A request refused before its body was read (401, 404, 503 while
 * stopping, ...): take the body off the wire, or closing the connection
 * would reset the answer away before a plain client reads it. */
static void discard_unread_body(struct http_server *h, struct http_req *r, const struct framing *f)
{
    long long limit = (long long)h->opt.body_limit;
    if (!f->expect_continue &&
        (f->chunked || (f->content_length > 0 && f->content_length <= limit)))
        discard_body(h, r, limit);
}

static int on_request(struct mg_connection *conn, struct http_server *h)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    struct http_req r;
    req_init(&r, conn, h->user);
    struct framing f;
    if (check_framing_or_reply(&r, ri, &f) != 0) {
        log_request(&r, ri);
        return r.status;
    }
    if (!admit(h)) {
        close_after_answer(&r);
        http_reply_error_retry(&r, 503, "shutting_down", HTTP_RETRY_AFTER_SHUTDOWN_S,
                               "server is shutting down; retry after the Retry-After delay");
        discard_unread_body(h, &r, &f);
        release(h);
        log_request(&r, ri);
        return r.status;
    }
    dispatch(h, prepare_job, &r);
    if (r.handler && read_body_or_reply(h, &r, &f) == 0)
        dispatch(h, handler_job, &r);
    else if (!r.handler)
        discard_unread_body(h, &r, &f);
    if (!r.status) /* a handler that forgot to answer is a bug; never hang a client */
        http_reply_error(&r, 500, "internal", -1, "no answer from handler");
    dd_buf_release(&r.body);
    release(h);
    log_request(&r, ri);
    head_wait_since_ns = dd_mono_ns();
    head_is_first = 0;
    return r.status;
}

/* Every request goes to on_request() from CivetWeb's begin_request callback,
 * which is set before the listener opens.  (A handler registered after
 * mg_start2() left a window in which CivetWeb answered requests itself: a
 * client retrying while the server restarted got 404, and under ASan
 * CivetWeb's error page overflowed its worker stack.) */
static int on_begin_request(struct mg_connection *conn)
{
    return on_request(conn, server_of(conn));
}

/* Errors CivetWeb finds before a request reaches us (bad request line,
 * unknown version, a head too large or incomplete): our JSON error, and the
 * connection closes (CivetWeb closes it after any error it found). */
static int on_http_error(struct mg_connection *conn, int status, const char *msg)
{
    struct http_server *h = server_of(conn);
    const struct mg_request_info *ri = mg_get_request_info(conn);
    struct http_req r;
    req_init(&r, conn, h->user);
    close_after_answer(&r);
    const char *code = "invalid_request";
    char text[200];
    snprintf(text, sizeof text, "%s", msg && *msg ? msg : "bad request");
    int64_t waited_ms = (dd_mono_ns() - head_wait_since_ns) / 1000000;
    int allowed_ms = head_is_first ? h->opt.header_timeout_ms : h->opt.keep_alive_timeout_ms;
    const char *te = NULL;
    for (int i = 0; ri && i < ri->num_headers; i++)
        if (ri->http_headers[i].name && !strcasecmp(ri->http_headers[i].name, "Transfer-Encoding"))
            te = ri->http_headers[i].value;
    if (status == 413 ||
        (status == 400 && msg && !strcmp(msg, "Malformed message") && waited_ms < allowed_ms)) {
        /* the head ended before its blank line, in time: it ran out of room
         * (or the client went away, and then nobody reads this) */
        /* CivetWeb says the same of a control character in the head */
        status = 431, code = "headers_too_large";
        snprintf(text, sizeof text,
                 "the request head is over %d bytes, or holds a control character (tab, NUL)",
                 HTTP_MAX_HEAD_BYTES);
    } else if (status == 400 && msg && !strcmp(msg, "Malformed message")) {
        status = 408, code = "request_timeout";
        snprintf(text, sizeof text, "the request head was not complete within %s (%d ms)",
                 head_is_first ? "header_timeout" : "keep_alive_timeout", allowed_ms);
    } else if (status == 400 && te && strcasecmp(te, "chunked") != 0) {
        status = 501, code = "not_implemented";
        snprintf(text, sizeof text, "Transfer-Encoding '%.80s' is not supported (only chunked)",
                 te);
    } else if (status == 505) {
        code = "http_version_not_supported";
    } else if (status == 411 || status == 500) {
        status = 400;
    } else if (status != 400) {
        code = status >= 500 ? "internal" : "invalid_request";
    }
    http_reply_error(&r, status, code, -1, "%s", text);
    log_request(&r, ri);
    head_wait_since_ns = dd_mono_ns();
    head_is_first = 0;
    return 0; /* answered: CivetWeb sends nothing more */
}

static int on_init_connection(const struct mg_connection *conn, void **conn_data)
{
    (void)conn;
    (void)conn_data;
    head_wait_since_ns = dd_mono_ns();
    head_is_first = 1;
    return 0;
}

static int on_log_message(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    char q[512];
    dd_log_quote(message, q, sizeof q);
    dd_warn("civetweb", "detail=%s", q);
    return 1;
}

/* Each connection holds a file descriptor: lift the soft limit to the hard
 * one and say so when it is still short of `threads` connections. */
static void raise_fd_limit(int threads)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)threads + 256)
        dd_warn("file descriptor limit below threads",
                "limit=%llu threads=%d hint=\"raise 'ulimit -n' or lower --threads\"",
                (unsigned long long)rl.rlim_cur, threads);
}

int http_start(const struct http_options *opt, const struct http_hooks *hooks, void *user,
               struct http_server **out, char *err, size_t errlen)
{
    if (getrandom(&rid_salt, sizeof rid_salt, 0) != sizeof rid_salt)
        rid_salt = (uint32_t)dd_now_ms();
    raise_fd_limit(opt->threads);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_wake_signal; /* no SA_RESTART: the point is EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(HTTP_WAKE_SIGNAL, &sa, NULL);

    mg_init_library(0);
    struct http_server *h = dd_calloc(1, sizeof *h);
    h->opt = *opt;
    h->hooks = *hooks;
    h->user = user;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->work, NULL);
    pthread_cond_init(&h->done, NULL);
    pthread_mutex_init(&h->drain_mu, NULL);
    pthread_cond_init(&h->drained, NULL);
    pthread_mutex_init(&h->wd_mu, NULL);
    dd_cond_init_monotonic(&h->wd_cond);
    if (pthread_create(&h->wd_thread, NULL, watchdog_main, h) == 0)
        h->wd_started = 1;
    h->pool = dd_calloc((size_t)opt->handler_threads, sizeof *h->pool);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, HTTP_HANDLER_STACK);
    for (int i = 0; i < opt->handler_threads; i++) {
        if (pthread_create(&h->pool[i], &attr, dispatch_main, h) != 0)
            break;
        h->n_pool++;
    }
    pthread_attr_destroy(&attr);
    if (h->n_pool == 0 || !h->wd_started) {
        snprintf(err, errlen, "cannot start request threads");
        http_stop(h);
        return DD_EIO;
    }
    char threads[16], header_timeout[16], keep_alive[16], head_bytes[16];
    snprintf(threads, sizeof threads, "%d", opt->threads);
    snprintf(header_timeout, sizeof header_timeout, "%d", opt->header_timeout_ms);
    snprintf(keep_alive, sizeof keep_alive, "%d", opt->keep_alive_timeout_ms);
    snprintf(head_bytes, sizeof head_bytes, "%d", HTTP_MAX_HEAD_BYTES);
    const char *options[] = {
        "listening_ports",
        opt->listen,
        "num_threads",
        threads,
        "listen_backlog",
        "4096",
        "enable_keep_alive",
        "yes",
        "keep_alive_timeout_ms",
        keep_alive,
        "request_timeout_ms",
        header_timeout,
        "max_request_size",
        head_bytes,
        /* absolute-form targets (http://host:port/path) are served as their
         * path when the port is ours (RFC 9112 §3.2.2) */
        "enable_auth_domain_check",
        "no",
        "tcp_nodelay",
        "1",
        NULL,
    };
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.log_message = on_log_message;
    cb.begin_request = on_begin_request;
    cb.http_error = on_http_error;
    cb.init_connection = on_init_connection;
    struct mg_init_data init = {.callbacks = &cb, .user_data = h, .configuration_options = options};
    struct mg_error_data e = {0};
    char ebuf[256] = "";
    e.text = ebuf;
    e.text_buffer_size = sizeof ebuf;
    h->ctx = mg_start2(&init, &e);
    if (!h->ctx) {
        snprintf(err, errlen, "cannot listen on '%s': %s", opt->listen,
                 ebuf[0] ? ebuf : "unknown error");
        http_stop(h);
        return DD_EIO;
    }
    *out = h;
    return 0;
}

/* Waits until no request is in flight (until deadline, CLOCK_REALTIME);
 * returns how many still are. */
static int wait_idle(struct http_server *h, const struct timespec *deadline)
{
    pthread_mutex_lock(&h->drain_mu);
    int rc = 0;
    while (h->busy > 0 && rc == 0)
        rc = pthread_cond_timedwait(&h->drained, &h->drain_mu, deadline);
    int left = h->busy;
    pthread_mutex_unlock(&h->drain_mu);
    return left;
}

/* Closes the listening sockets, so that a new connection is refused at once
 * (ECONNREFUSED: plainly retryable) instead of being accepted and then
 * closed under a request by mg_stop().  CivetWeb 1.15 has no call for this,
 * so each listening socket of ours (SO_ACCEPTCONN, one of our ports) is
 * replaced with dup2() by the read end of a pipe that never becomes
 * readable (CivetWeb's accept loop keeps polling it, and closes it in
 * mg_stop(); the write end is kept in h->quiet_fd until then), and the
 * socket itself is shut down. */
static void stop_listening(struct http_server *h)
{
    struct mg_server_port ports[8];
    int n = mg_get_server_ports(h->ctx, 8, ports);
    int quiet[2];
    if (n <= 0 || pipe(quiet) != 0)
        return;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        int acc = 0;
        socklen_t alen = sizeof acc;
        struct sockaddr_storage ss;
        socklen_t slen = sizeof ss;
        if (fd <= 2 || fd == dirfd(d) ||
            getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) != 0 || !acc ||
            getsockname(fd, (struct sockaddr *)&ss, &slen) != 0)
            continue;
        int port = ss.ss_family == AF_INET    ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                   : ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                              : -1;
        for (int i = 0; i < n; i++) {
            if (ports[i].port != port)
                continue;
            /* CivetWeb's accept loop may be inside poll() on this socket,
             * which keeps it listening until the poll ends; shutdown()
             * stops it listening now */
            int old = dup(fd);
            if (old >= 0 && dup2(quiet[0], fd) == fd)
                shutdown(old, SHUT_RD);
            if (old >= 0)
                close(old);
            break;
        }
    }
    if (d)
        closedir(d);
    close(quiet[0]);
    h->quiet_fd = quiet[1];
}

/* Stops admitting requests and waits for the ones admitted to be answered;
 * then, for HTTP_DRAIN_GRACE_MS more, answers what arrives on open
 * connections with 503 (a client may be sending on a keep-alive connection
 * right now: it gets an answer rather than a connection closed under it). */
static void drain(struct http_server *h)
{
    int64_t wait_ms =
        (int64_t)h->opt.header_timeout_ms + h->opt.body_timeout_ms + HTTP_DRAIN_EXTRA_MS;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)(wait_ms / 1000);
    pthread_mutex_lock(&h->drain_mu);
    atomic_store(&h->draining, 1);
    pthread_mutex_unlock(&h->drain_mu);
    stop_listening(h);
    int left = wait_idle(h, &deadline);
    if (!left) {
        struct timespec grace = {0, HTTP_DRAIN_GRACE_MS * 1000000L};
        nanosleep(&grace, NULL);
        left = wait_idle(h, &deadline);
    }
    if (left)
        dd_warn("stopping with requests still running", "requests=%d", left);
}

void http_stop(struct http_server *h)
{
    if (!h)
        return;
    if (h->ctx) {
        drain(h);
        mg_stop(h->ctx); /* closes the listener and idle connections, joins its workers */
        if (h->quiet_fd > 0)
            close(h->quiet_fd);
    }
    pthread_mutex_lock(&h->mu);
    h->stopping = 1;
    pthread_cond_broadcast(&h->work);
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; i < h->n_pool; i++)
        pthread_join(h->pool[i], NULL);
    if (h->wd_started) {
        dd_thread_stop(h->wd_thread, &h->wd_mu, &h->wd_cond, &h->wd_stop);
    }
    free(h->pool);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->work);
    pthread_cond_destroy(&h->done);
    pthread_mutex_destroy(&h->drain_mu);
    pthread_cond_destroy(&h->drained);
    pthread_mutex_destroy(&h->wd_mu);
    pthread_cond_destroy(&h->wd_cond);
    free(h);
    mg_exit_library();
}
