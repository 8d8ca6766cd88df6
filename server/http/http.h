/* http.h — the HTTP layer: CivetWeb behind a small request/reply interface.
 *
 * The only module that includes civetweb.h.  http_start() runs CivetWeb with
 * keep-alive on, one CivetWeb thread per open connection (`threads`), and a
 * smaller pool of handler threads (`handler_threads`).  A request goes:
 *
 *   1. framing checks on the connection's thread (RFC 9112 §6.3: ambiguous
 *      or malformed Content-Length / Transfer-Encoding, missing Host, too
 *      many headers → an error answer and the connection is closed);
 *   2. the prepare hook on a handler thread (server/api/: route, names, API
 *      key), which sets req->handler or answers;
 *   3. the body is read on the connection's thread, within `body_limit` and
 *      `body_timeout`, so a slow client holds only its own connection thread;
 *   4. the handler on a handler thread, which takes the body with
 *      http_read_body_or_reply() and answers with one of the http_reply*()
 *      calls exactly once.
 *
 * Errors CivetWeb finds itself (bad request line, unknown version, a head
 * over 16 KiB or not complete within `header_timeout`) get the same JSON
 * error body.  One log line per request, with its request id (also sent
 * back as X-Request-Id).  http_stop() drains: requests already read finish
 * and are answered; new ones get 503 shutting_down with Connection: close.
 *
 * Threading: a struct http_req belongs to one thread at a time (the
 * connection's thread hands it to a handler thread and waits).
 */
#ifndef DD_HTTP_H
#define DD_HTTP_H
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct http_server;
struct mg_connection;

#define HTTP_MAX_PARAMS 3
#define HTTP_PARAM_MAX 128 /* bytes of one {param}; names are at most this long */

struct http_req {
    void *ctx; /* the user pointer given to http_start() */
    struct mg_connection *conn;
    const char *method;
    const char *path;  /* without the query string */
    const char *query; /* NULL when none */
    char rid[24];
    char params[HTTP_MAX_PARAMS][HTTP_PARAM_MAX + 1]; /* {model}, {version}, ... in order */
    int role;               /* role granted by auth (the API's), 0 before */
    int route;              /* the API's route index, -1 when none matched */
    int route_role;         /* the role the matched route needs (the API's) */
    const char *error_code; /* set by http_reply_error(), for metrics */
    int status;             /* set by the reply */
    int close;              /* the connection closes after the answer */
    const char *headers;    /* more header lines ("Name: value\r\n"...) every answer
                             * carries (CORS); NULL: none; must outlive the answer */
    size_t bytes_out;
    int64_t start_ns;
    int stream;         /* http_stream_*(): 1 open, -1 failed (the connection closes) */
    struct dd_buf body; /* read before the handler runs (http.c) */
    void (*handler)(struct http_req *r); /* set by the prepare hook */
};

struct http_options {
    char listen[128]; /* "127.0.0.1:8080" */
    int threads;      /* connection threads */
    int handler_threads;
    size_t body_limit;
    int header_timeout_ms, body_timeout_ms, keep_alive_timeout_ms;
};

struct http_hooks {
    /* On a handler thread, before the body is read: set r->handler, or
     * answer and return -1. */
    int (*prepare)(struct http_req *r);
    /* Every answer, just before it is written (for metrics); may be NULL. */
    void (*observe)(const struct http_req *r, int status, double seconds);
};

/* Starts listening; every request's ctx is `user`. */
int http_start(const struct http_options *opt, const struct http_hooks *hooks, void *user,
               struct http_server **out, char *err, size_t errlen);
/* Stops accepting, lets in-flight requests finish, joins workers; NULL-safe. */
void http_stop(struct http_server *h);

const char *http_header(const struct http_req *r, const char *name);
/* Hands over the request's body (already read, at most body_limit bytes):
 * out takes it.  0 on success; over this handler's own limit the 413 answer
 * has been sent and the caller just returns. */
int http_read_body_or_reply(struct http_req *r, size_t limit, struct dd_buf *out);
/* Copies query parameter `name` into out (URL-decoded); 1 found, 0 absent,
 * -1 too long. */
int http_query(const struct http_req *r, const char *name, char *out, size_t outsz);

void http_reply(struct http_req *r, int status, const char *content_type, const void *body,
                size_t len);
void http_reply_json(struct http_req *r, int status, const struct dd_buf *b);
/* A small JSON answer written by printf (the caller escapes what it puts in). */
void http_reply_jsonf(struct http_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The error body of docs/api.md; index < 0 leaves it out. */
void http_reply_error(struct http_req *r, int status, const char *code, long index, const char *fmt,
                      ...) __attribute__((format(printf, 5, 6)));
/* As http_reply_error (no index), plus a Retry-After header (seconds). */
void http_reply_error_retry(struct http_req *r, int status, const char *code, int retry_after_s,
                            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* 401 unauthorized with WWW-Authenticate: Bearer (RFC 7235). */
void http_reply_unauthorized(struct http_req *r);
/* Room for an ETag http_reply_file() makes, with its quotes and NUL. */
#define HTTP_ETAG_MAX 48
/* Answers a GET or HEAD with the regular file at path, opened with
 * O_NOFOLLOW (the caller resolves and checks the path: server/api/h_static.c),
 * or 404 not_found.  The answer carries an ETag (the file's size and
 * modification time) and cache_control; a request whose If-None-Match names
 * that ETag (or "*") gets 304 with no body.  The body is streamed from the
 * file in pieces, never held whole; a file that shrinks meanwhile cuts the
 * answer and closes the connection (never a padded body). */
void http_reply_file(struct http_req *r, const char *path, const char *content_type,
                     const char *cache_control);
/* 1 when an If-None-Match value (a list of entity tags, or "*") names etag,
 * by the weak comparison of RFC 9110 section 8.8.3.2 (a W/ prefix ignored). */
int http_etag_matches(const char *if_none_match, const char *etag);

/* A streamed answer: 200 with a body of unknown length, sent as it is made
 * (chunked transfer coding, RFC 9112 section 7.1), for bodies that must not
 * be held in memory whole (the events export).  http_stream_begin() sends the
 * head, each http_stream_write() one chunk, http_stream_end() the last chunk.
 * A write fails (DD_EIO) when the client went away or stopped reading for
 * header_timeout, and (DD_ESHUTDOWN) once the server is stopping: the caller
 * stops making the body and calls http_stream_end().  With whole == 0 (the
 * caller gave up: a failed write, or a failed read of what it sends), or
 * after a failed write, that closes the connection without the last chunk,
 * so the client sees a cut answer and never takes it for a whole one.  http_stream_begin() answers 0, or 1 for
 * a HEAD request (the head is all it gets: the caller skips to
 * http_stream_end()), or DD_EIO when the head could not be sent. */
int http_stream_begin(struct http_req *r, const char *content_type);
int http_stream_write(struct http_req *r, const void *p, size_t n);
void http_stream_end(struct http_req *r, int whole);

#endif
