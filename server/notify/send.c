/* send.c — notify_send(): one HTTP attempt over libcurl, the only libcurl user
 * in driftd.  One easy handle per call (a delivery is seconds apart from the
 * next; connection reuse is not worth shared state between worker threads),
 * libcurl initialised once.  No redirects are followed and only http and https
 * are spoken, so a receiver URL cannot be bent into a file:// read or a hop to
 * an internal address by a 3xx.  Proxies come from the usual environment
 * variables (http_proxy, https_proxy, no_proxy), as with curl itself. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/timefmt.h"
#include "server/notify/notify.h"

/* a Retry-After beyond this is read as this (a receiver's typo must not
 * push a retry past any max_age) */
#define RETRY_AFTER_MAX_S (7LL * 24 * 3600)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct notify_response *out = ud;
    size_t len = size * n;
    size_t room = NOTIFY_BODY_KEEP - out->body_len;
    size_t k = len < room ? len : room;
    memcpy(out->body + out->body_len, p, k);
    out->body_len += k;
    out->body[out->body_len] = '\0';
    return len; /* the rest is read and dropped */
}

/* Retry-After: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3) */
static int64_t parse_retry_after(const char *v, size_t n)
{
    char s[128];
    while (n > 0 && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    if (n == 0 || n >= sizeof s)
        return -1;
    memcpy(s, v, n);
    s[n] = '\0';
    if (strspn(s, "0123456789") == n) {
        long long secs = n > 9 ? RETRY_AFTER_MAX_S : atoll(s);
        return (secs > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : secs) * 1000;
    }
    time_t t = curl_getdate(s, NULL);
    if (t < 0)
        return -1;
    int64_t delay = (int64_t)t * 1000 - dd_now_ms();
    if (delay < 0)
        delay = 0;
    return delay > RETRY_AFTER_MAX_S * 1000 ? RETRY_AFTER_MAX_S * 1000 : delay;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct notify_response *out = ud;
    size_t len = size * n;
    if (len >= 5 && !memcmp(p, "HTTP/", 5)) /* a new answer (after a 100 Continue) */
        out->retry_after_ms = -1;
    else if (len > 12 && !strncasecmp(p, "Retry-After:", 12))
        out->retry_after_ms = parse_retry_after(p + 12, len - 12);
    return len;
}

static int has_header(const struct notify_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (!strcasecmp(req->headers[i].name, name))
            return 1;
    return 0;
}

int notify_send(const struct notify_request *req, const struct notify_timeouts *t,
                struct notify_response *out)
{
    if (!req->url ||
        (strncmp(req->url, "http://", 7) != 0 && strncmp(req->url, "https://", 8) != 0) ||
        !req->method[0])
        return DD_EINVAL;
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return DD_EINTERNAL;

    CURL *h = NULL;
    struct curl_slist *hdrs = NULL;
    int rc = DD_ENOMEM;
    struct notify_response r;
    memset(&r, 0, sizeof r);
    r.retry_after_ms = -1;
    h = curl_easy_init();
    if (!h)
        goto out;
    struct dd_buf line;
    dd_buf_init(&line);
    for (size_t i = 0; i < req->n_headers; i++) {
        dd_buf_reset(&line);
        dd_buf_printf(&line, "%s: %s", req->headers[i].name, req->headers[i].value);
        struct curl_slist *more = curl_slist_append(hdrs, line.data);
        if (!more) {
            dd_buf_release(&line);
            goto out;
        }
        hdrs = more;
    }
    dd_buf_release(&line);
    /* nothing curl would add on its own: no Expect: 100-continue round trip, no
     * form Content-Type on a bodyless PUT */
    static const char *const suppress[] = {"Expect:", "Content-Type:"};
    for (int i = 0; i < 2; i++) {
        if (i == 1 && has_header(req, "Content-Type"))
            continue;
        struct curl_slist *more = curl_slist_append(hdrs, suppress[i]);
        if (!more)
            goto out;
        hdrs = more;
    }

    int64_t connect_ms = t && t->connect_ms > 0 ? t->connect_ms : NOTIFY_CONNECT_TIMEOUT_MS;
    int64_t total_ms = t && t->total_ms > 0 ? t->total_ms : NOTIFY_TOTAL_TIMEOUT_MS;
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* thread-safe timeouts */
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)total_ms);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
    if (!strcmp(req->method, "GET")) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        /* the body as given (Content-Length, even 0), then the method's name */
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        if (strcmp(req->method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    }

    int64_t t0 = dd_mono_ns();
    CURLcode cc = curl_easy_perform(h);
    r.elapsed_ms = (dd_mono_ns() - t0) / 1000000;
    if (cc == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        r.status = (int)status;
    } else {
        r.status = 0;
        r.retry_after_ms = -1;
        r.timed_out = cc == CURLE_OPERATION_TIMEDOUT;
        snprintf(r.error, sizeof r.error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    }
    *out = r;
    rc = 0;
out:
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc;
}
