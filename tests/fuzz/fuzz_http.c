/* fuzz_http.c — libFuzzer target for the server's request handling: raw
 * HTTP bytes (request line, headers, body, possibly several pipelined
 * requests) sent to a real driftd server over loopback.
 *
 * LLVMFuzzerInitialize() starts the server once, in-process, the way
 * `driftd serve` does (server/cmd_serve.c): config defaults, a store on a
 * temporary database, auth (open mode: loopback, no key), the writer, the
 * reference cache, the route metrics, http_start() on 127.0.0.1 and a free
 * port.  No evaluator, retention or demo thread: every handler copes with
 * app->evaluator == NULL, and scheduled rounds are not request handling.
 *
 * Each input is sent as is on a new connection, the write side is shut down,
 * and the answer is read until the server closes (receive timeout
 * FUZZ_HTTP_RECV_MS: a server that neither answers nor closes is a crash).
 * Invariants of what comes back (any violation aborts):
 *   - it is a sequence of whole answers, each "HTTP/1.1 " + 3-digit status;
 *     1xx interim answers are the only ones without headers/body;
 *   - each final answer has exactly one Content-Length, a decimal number,
 *     and exactly that many body bytes follow (an answer to HEAD has none),
 *     or (a streamed answer: the export) exactly one "Transfer-Encoding:
 *     chunked", no Content-Length, and a whole chunked body;
 *   - a 4xx/5xx answer's body is JSON {"error": {"code": "...",
 *     "message": "..."}} in valid UTF-8, and so is any application/json body;
 *   - no answer carries the canary file next to web_root (path traversal).
 *
 * FUZZ_HTTP_SKIP (environment, comma-separated) turns checks off, to keep
 * fuzzing past a known bug: "json" (error bodies must be JSON), "utf8"
 * (valid UTF-8), "cl" (Content-Length framing), "native" (answers without
 * X-Request-Id, i.e. CivetWeb's own error pages, end the checks).  Unset:
 * all checks on.  FUZZ_HTTP_DUMP=1 prints every answer; FUZZ_HTTP_LOG sets
 * the server's log level (default error).
 */
#define _GNU_SOURCE /* nftw */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/log.h"
#include "base/timefmt.h"
#include "server/app.h"
#include "server/api/auth.h"
#include "server/config.h"
#include "server/http/http.h"
#include "server/monitor/refcache.h"
#include "server/api/routes.h"
#include "server/store/store.h"
#include "server/store/writer.h"
#include "tests/common/free_port.h"

#define FUZZ_HTTP_RECV_MS 2000   /* one recv() waits at most this long */
#define FUZZ_HTTP_TOTAL_MS 10000 /* the whole answer arrives within this */
#define FUZZ_HTTP_MAX_ANSWER (64u << 20)
#define CANARY "driftd-fuzz-canary-7f3b9c"

static struct app g_app;
static struct http_server *g_http;
static int g_port;
static char g_dir[256];
static int skip_json, skip_utf8, skip_cl, skip_native, dump;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_http: %s\n", what);
    abort();
}

/* Sets a config key; optional keys (not in every version of config.c)
 * are ignored when unknown. */
static void set(const char *key, const char *value, int optional)
{
    char err[256];
    if (config_set(&g_app.cfg, key, value, err, sizeof err) != 0 && !optional) {
        fprintf(stderr, "fuzz_http: config %s=%s: %s\n", key, value, err);
        abort();
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fputs(text, fp) < 0 || fclose(fp) != 0)
        die("cannot write a file in the temporary folder");
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void remove_dir(void)
{
    if (g_dir[0])
        nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    signal(SIGPIPE, SIG_IGN);
    const char *sk = getenv("FUZZ_HTTP_SKIP");
    if (sk) {
        skip_json = strstr(sk, "json") != NULL;
        skip_utf8 = strstr(sk, "utf8") != NULL;
        skip_cl = strstr(sk, "cl") != NULL;
        skip_native = strstr(sk, "native") != NULL;
    }
    dump = getenv("FUZZ_HTTP_DUMP") != NULL;

    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/driftd-fuzz-http-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_dir))
        die("cannot create a temporary folder");
    atexit(remove_dir);
    char path[512];
    snprintf(path, sizeof path, "%s/web", g_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/web/index.html", g_dir);
    write_file(path, "<!doctype html><title>driftd</title>\n");
    snprintf(path, sizeof path, "%s/secret.txt", g_dir); /* beside web_root */
    write_file(path, CANARY "\n");

    config_defaults(&g_app.cfg);
    snprintf(path, sizeof path, "%s/fuzz.db", g_dir);
    set("db", path, 0);
    snprintf(path, sizeof path, "%s/web", g_dir);
    set("web_root", path, 0);
    set("log_level", getenv("FUZZ_HTTP_LOG") ? getenv("FUZZ_HTTP_LOG") : "error", 0);
    set("threads", "8", 0);
    set("readers", "2", 0);
    set("body_limit", "8KiB", 0); /* 413 within reach of small inputs */
    set("queue_max_jobs", "16", 0);
    set("request_timeout_ms", "1000", 0); /* CivetWeb's; header_timeout in the new http.c */
    /* keys of the stricter server/http.c, ignored by a config.c without them:
     * the client's side is shut at once, so these bound only a server that
     * fails to notice it (they must stay well below FUZZ_HTTP_RECV_MS) */
    set("handler_threads", "4", 1);
    set("header_timeout", "500ms", 1);
    set("body_timeout", "500ms", 1);
    set("keep_alive_timeout", "500ms", 1);
    enum dd_log_level lvl;
    if (dd_log_level_parse(g_app.cfg.log_level, &lvl) == 0)
        dd_log_set_level(lvl);
    g_app.started_ms = dd_now_ms();

    char err[512];
    struct store_options so = {.path = g_app.cfg.db,
                               .synchronous_full = g_app.cfg.synchronous_full,
                               .readers = g_app.cfg.readers};
    if (store_open(&so, &g_app.mon.store, err, sizeof err) != 0)
        die(err);
    auth_new(g_app.mon.store, 1, &g_app.auth); /* loopback, no key: open mode */
    struct writer_limits lim = {.max_jobs = g_app.cfg.queue_max_jobs,
                                .max_bytes = g_app.cfg.queue_max_bytes};
    if (writer_start(g_app.mon.store, &lim, &g_app.mon.writer) != 0)
        die("cannot start the writer");
    g_app.mon.refcache = refcache_new(g_app.mon.store, g_app.mon.writer);
    config_monitor_env(&g_app.cfg, &g_app.mon);
    app_fill_api(&g_app);
    routes_metrics_init();

    for (int attempt = 0;; attempt++) {
        g_port = test_free_port();
        if (g_port < 0)
            die("cannot find a free port");
        snprintf(g_app.cfg.listen, sizeof g_app.cfg.listen, "127.0.0.1:%d", g_port);
        struct http_options ho;
        config_http_options(&g_app.cfg, &ho);
        if (http_start(&ho, &routes_http_hooks, &g_app.api, &g_http, err, sizeof err) == 0)
            break;
        if (attempt == 5)
            die(err);
    }
    fprintf(stderr, "fuzz_http: driftd on %s, db %s/fuzz.db\n", g_app.cfg.listen, g_dir);
    return 0;
}

/* ---- checks ---- */

static void violation(const char *what, const char *ans, size_t len, size_t at)
{
    fprintf(stderr, "fuzz_http: INVARIANT: %s (answer byte %zu of %zu)\n--- answer ---\n", what, at,
            len);
    fwrite(ans, 1, len < 4096 ? len : 4096, stderr);
    fprintf(stderr, "\n--- end ---\n");
    abort();
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing over U+10FFFF. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned cp, min;
        if (c >= 0xc2 && c <= 0xdf)
            k = 1, cp = c & 0x1f, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
            k = 2, cp = c & 0x0f, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
            k = 3, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        if (n - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* The value of header `name` in head[0, len) (case-insensitive name);
 * *count gets how many times it occurs.  NULL when absent. */
static const char *header(const char *head, size_t len, const char *name, size_t *vlen, int *count)
{
    const char *found = NULL;
    size_t nl = strlen(name);
    *count = 0;
    const char *p = memchr(head, '\n', len); /* skip the status line */
    while (p && (size_t)(p + 1 - head) < len) {
        const char *line = p + 1;
        const char *end = memchr(line, '\n', len - (size_t)(line - head));
        if (!end)
            break;
        size_t ll = (size_t)(end - line);
        if (ll && line[ll - 1] == '\r')
            ll--;
        if (ll > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            while (v < line + ll && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = line + ll;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            if (!found) {
                found = v;
                *vlen = (size_t)(ve - v);
            }
            ++*count;
        }
        p = end;
    }
    return found;
}

static void check_json_body(int status, const char *body, size_t blen, const char *ans, size_t alen,
                            size_t at)
{
    if (!skip_utf8 && !utf8_valid((const unsigned char *)body, blen))
        violation("JSON body is not valid UTF-8", ans, alen, at);
    if (skip_json)
        return;
    cJSON *j = cJSON_ParseWithLength(body, blen);
    if (!j)
        violation("JSON body does not parse", ans, alen, at);
    if (status >= 400) {
        cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
        if (!cJSON_IsObject(e) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "code")) ||
            !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message")))
            violation("error body lacks {\"error\": {\"code\", \"message\"}}", ans, alen, at);
    }
    cJSON_Delete(j);
}

/* Whether s[0, n) contains the string t.  A plain loop, not memmem():
 * libFuzzer would learn t from an intercepted memmem() and put it in
 * inputs. */
static int contains(const char *s, size_t n, const char *t)
{
    size_t tl = strlen(t);
    for (size_t i = 0; i + tl <= n; i++) {
        size_t j = 0;
        while (j < tl && s[i + j] == t[j])
            j++;
        if (j == tl)
            return 1;
    }
    return 0;
}

/* The length of the chunked body at b[0, n) (RFC 9112 section 7.1, no
 * trailers): 1 and *len, 0 when it is not complete, -1 when malformed. */
static int chunked_length(const char *b, size_t n, size_t *len)
{
    size_t i = 0;
    for (;;) {
        size_t size = 0, digits = 0;
        for (; i < n && isxdigit((unsigned char)b[i]); i++, digits++) {
            if (digits == 8)
                return -1;
            int d = b[i] <= '9' ? b[i] - '0' : (b[i] | 0x20) - 'a' + 10;
            size = size * 16 + (size_t)d;
        }
        if (i + 2 > n)
            return 0;
        if (digits == 0 || b[i] != '\r' || b[i + 1] != '\n')
            return -1;
        i += 2;
        if (i + size + 2 > n)
            return 0;
        if (b[i + size] != '\r' || b[i + size + 1] != '\n')
            return -1;
        i += size + 2;
        if (size == 0) {
            *len = i;
            return 1;
        }
    }
}

/* Checks every answer in ans[0, len).  may_head: the input holds a HEAD
 * request, so an answer may announce a body it does not send. */
static void check_answers(const char *ans, size_t len, int may_head, int reset)
{
    size_t at = 0;
    while (at < len) {
        const char *a = ans + at;
        size_t left = len - at;
        if (skip_native) {
            size_t hl = 0;
            while (hl + 4 <= left && memcmp(a + hl, "\r\n\r\n", 4) != 0)
                hl++;
            if (!contains(a, hl, "\r\nX-Request-Id:"))
                return;
        }
        if (reset && left < 12 && memcmp(a, "HTTP/1.1 ", left < 9 ? left : 9) == 0)
            return;
        if (left < 12 || memcmp(a, "HTTP/1.1 ", 9) != 0 || a[9] < '1' || a[9] > '5' ||
            a[10] < '0' || a[10] > '9' || a[11] < '0' || a[11] > '9' ||
            (left > 12 && a[12] != ' ' && a[12] != '\r'))
            violation("answer does not start with \"HTTP/1.1 \" and a 3-digit status", ans, len,
                      at);
        int status = (a[9] - '0') * 100 + (a[10] - '0') * 10 + (a[11] - '0');
        const char *eoh = NULL;
        for (size_t i = 0; i + 3 < left; i++)
            if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') {
                eoh = a + i + 4;
                break;
            }
        if (!eoh && reset)
            return; /* a reset may drop the unread tail of the answers */
        if (!eoh)
            violation("answer head is not terminated by an empty line", ans, len, at);
        size_t hlen = (size_t)(eoh - a);
        if (status < 200) { /* 100 Continue: no body, a final answer follows */
            at += hlen;
            continue;
        }
        size_t vlen = 0;
        int count;
        const char *cl = header(a, hlen, "Content-Length", &vlen, &count);
        if (skip_cl) {
            at = len; /* framing unchecked: nothing more can be parsed */
            break;
        }
        size_t tel = 0;
        int tec;
        const char *te = header(a, hlen, "Transfer-Encoding", &tel, &tec);
        if (te && cl)
            violation("both Content-Length and Transfer-Encoding", ans, len, at);
        if (te) { /* a streamed answer (the export): chunked, nothing else */
            if (tec != 1 || tel != 7 || strncasecmp(te, "chunked", 7) != 0)
                violation("a Transfer-Encoding other than one 'chunked'", ans, len, at);
            size_t rest = left - hlen, body = 0;
            if (may_head && (rest == 0 || (rest >= 9 && memcmp(eoh, "HTTP/1.1 ", 9) == 0))) {
                at += hlen;
                continue;
            }
            int c = chunked_length(eoh, rest, &body);
            if (c == 0 && reset)
                return;
            if (c <= 0)
                violation(c == 0 ? "chunked body not complete" : "malformed chunked body", ans, len,
                          at);
            at += hlen + body;
            continue;
        }
        if (!cl || count != 1)
            violation(cl ? "several Content-Length headers" : "no Content-Length header", ans, len,
                      at);
        size_t n = 0;
        if (vlen == 0 || vlen > 12)
            violation("bad Content-Length value", ans, len, at);
        for (size_t i = 0; i < vlen; i++) {
            if (cl[i] < '0' || cl[i] > '9')
                violation("bad Content-Length value", ans, len, at);
            n = n * 10 + (size_t)(cl[i] - '0');
        }
        size_t rest = left - hlen;
        int bodiless =
            may_head && n > 0 && (rest == 0 || (rest >= 9 && memcmp(eoh, "HTTP/1.1 ", 9) == 0));
        if (bodiless) {
            at += hlen;
            continue;
        }
        if (rest < n && reset)
            return;
        if (rest < n)
            violation("fewer body bytes than Content-Length", ans, len, at);
        int ctn;
        size_t ctl = 0;
        const char *ct = header(a, hlen, "Content-Type", &ctl, &ctn);
        int is_json = ct && ctl >= 16 && strncasecmp(ct, "application/json", 16) == 0;
        if (status >= 400 && !is_json && !skip_json)
            violation("error answer is not application/json", ans, len, at);
        if (is_json)
            check_json_body(status, eoh, n, ans, len, at);
        at += hlen + n;
    }
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the input may hold a HEAD request: anywhere, since a request
 * may start right after the previous one's body. */
static int has_head(const uint8_t *d, size_t n)
{
    return contains((const char *)d, n, "HEAD");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)g_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {FUZZ_HTTP_RECV_MS / 1000, (FUZZ_HTTP_RECV_MS % 1000) * 1000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        /* libFuzzer's SIGALRM (-timeout) interrupts it: it goes on alone */
        int e = errno, ready = 0;
        if (e == EINTR) {
            struct pollfd pf = {s, POLLOUT, 0};
            while ((ready = poll(&pf, 1, FUZZ_HTTP_RECV_MS)) < 0 && errno == EINTR)
                ;
            socklen_t el = sizeof e;
            e = ETIMEDOUT;
            if (ready == 1 && getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
                e = errno;
        }
        if (e != 0) {
            fprintf(stderr, "fuzz_http: cannot connect to the server: %s\n", strerror(e));
            abort();
        }
    }

    /* Send everything; the server may answer and close before reading it
     * all (413, a broken request): then EPIPE/ECONNRESET end the sending. */
    size_t sent = 0;
    while (sent < size) {
        ssize_t n = send(s, data + sent, size - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            die("HANG: the server does not read the request (send timed out)");
        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    shutdown(s, SHUT_WR);

    size_t cap = 65536, len = 0;
    int reset = 0;
    char *ans = malloc(cap);
    int64_t deadline = mono_ms() + FUZZ_HTTP_TOTAL_MS, last = mono_ms();
    for (;;) {
        if (len == cap) {
            if (cap >= FUZZ_HTTP_MAX_ANSWER)
                die("answer over 64 MiB");
            cap *= 2;
            ans = realloc(ans, cap);
        }
        ssize_t n = recv(s, ans + len, cap - len, 0);
        int64_t now = mono_ms();
        if (n > 0) {
            len += (size_t)n;
            last = now;
            if (now > deadline)
                die("HANG: the server keeps sending past the deadline");
            continue;
        }
        if (n == 0)
            break;
        if (errno == ECONNRESET) {
            reset = 1; /* closed with unread request bytes: still an end */
            break;
        }
        /* EINTR: libFuzzer's SIGALRM restarts SO_RCVTIMEO, so time it here */
        if (errno == EAGAIN || errno == EWOULDBLOCK ||
            (errno == EINTR && now - last >= FUZZ_HTTP_RECV_MS)) {
            fprintf(stderr,
                    "fuzz_http: HANG: no answer or close within %d ms; "
                    "received %zu bytes:\n",
                    FUZZ_HTTP_RECV_MS, len);
            fwrite(ans, 1, len < 2048 ? len : 2048, stderr);
            fputc('\n', stderr);
            abort();
        }
        if (errno == EINTR)
            continue;
        die("recv failed");
    }
    /* This side sent the first FIN, so a plain close() would leave the port
     * in TIME_WAIT for a minute: at a few thousand connections a second the
     * ephemeral ports run out.  The answer is read to its end: reset. */
    struct linger lg = {1, 0};
    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(s);

    if (dump) {
        fprintf(stderr, "--- %zu answer bytes%s ---\n", len, reset ? " (reset)" : "");
        fwrite(ans, 1, len, stderr);
        fprintf(stderr, "\n--- end ---\n");
    }
    check_answers(ans, len, has_head(data, size), reset);
    /* a file outside web_root: the canary beside it, or /etc/passwd (unless
     * the input holds the text itself, which error messages may echo) */
    static const char *const secrets[] = {CANARY, "root:x:0:0:root:"};
    for (int i = 0; i < 2; i++)
        if (contains(ans, len, secrets[i]) && !contains((const char *)data, size, secrets[i]))
            violation("answer holds a file outside web_root", ans, len, 0);
    free(ans);
    return 0;
}
