/* test_send.c — server/notify/send.c against a loopback HTTP server run by
 * this test (a thread with one listening socket, one connection per case):
 * the request as it arrives on the wire, the answer as notify_send() reports
 * it (status, Retry-After, the first KiB of the body), a redirect not
 * followed, a refused connection, and a receiver that never answers cut at
 * the total timeout (measured). */
#include "fixture_notify.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/err.h"
#include "tests/common/free_port.h"

struct srv {
    int fd;
    int port;
    pthread_t thread;
    const char *answer; /* the raw HTTP answer; NULL: never answer (hang) */
    int hang_ms;        /* how long a hanging server holds the connection at most */
    char req[65536];    /* the request as received */
    size_t req_len;
    int accepted; /* connections accepted */
};

/* strcasestr() without _GNU_SOURCE */
static const char *find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return hay;
    return NULL;
}

/* the head and the Content-Length body of one request */
static void read_request(struct srv *s, int c)
{
    size_t want = (size_t)-1;
    while (s->req_len < sizeof s->req - 1 && s->req_len < want) {
        struct pollfd p = {c, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0)
            return;
        ssize_t n = read(c, s->req + s->req_len, sizeof s->req - 1 - s->req_len);
        if (n <= 0)
            return;
        s->req_len += (size_t)n;
        s->req[s->req_len] = '\0';
        char *end = strstr(s->req, "\r\n\r\n");
        if (end && want == (size_t)-1) {
            const char *cl = find_ci(s->req, "\r\nContent-Length:");
            want = (size_t)(end + 4 - s->req) + (cl && cl < end ? (size_t)atol(cl + 17) : 0);
        }
    }
}

static void *srv_main(void *arg)
{
    struct srv *s = arg;
    struct pollfd p = {s->fd, POLLIN, 0};
    if (poll(&p, 1, 10000) <= 0)
        return NULL;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    s->accepted++;
    read_request(s, c);
    if (s->answer) {
        size_t n = strlen(s->answer), off = 0;
        while (off < n) {
            ssize_t w = write(c, s->answer + off, n - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    } else {
        /* hang: hold the connection until the client gives up (or hang_ms) */
        struct pollfd q = {c, POLLIN, 0};
        char sink[256];
        while (poll(&q, 1, s->hang_ms) > 0 && read(c, sink, sizeof sink) > 0)
            ;
    }
    close(c);
    /* a second connection (a followed redirect would make one) is counted */
    if (poll(&p, 1, 200) > 0) {
        c = accept(s->fd, NULL, NULL);
        if (c >= 0) {
            s->accepted++;
            close(c);
        }
    }
    return NULL;
}

static void srv_start(struct srv *s, const char *answer)
{
    memset(s, 0, sizeof *s);
    s->answer = answer;
    s->hang_ms = 10000;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ_INT(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ_INT(listen(s->fd, 4), 0);
    socklen_t len = sizeof a;
    getsockname(s->fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    CHECK_EQ_INT(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

static void srv_stop(struct srv *s)
{
    pthread_join(s->thread, NULL);
    close(s->fd);
}

/* The receiver's URL for path, malloc'ed (senders on several threads at once
 * build theirs at the same time). */
static char *url_of(const struct srv *s, const char *path)
{
    char u[128];
    snprintf(u, sizeof u, "http://127.0.0.1:%d%s", s->port, path);
    return strdup(u);
}

/* the value of a header in the received head ("" when absent) */
static const char *wire_header(const struct srv *s, const char *name, char *out, size_t outlen)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\r\n%s: ", name);
    const char *h = find_ci(s->req, pat);
    const char *end = strstr(s->req, "\r\n\r\n");
    out[0] = '\0';
    if (!h || (end && h > end))
        return out;
    h += strlen(pat);
    size_t n = strcspn(h, "\r");
    snprintf(out, outlen, "%.*s", (int)n, h);
    return out;
}

static const char *wire_body(const struct srv *s)
{
    const char *end = strstr(s->req, "\r\n\r\n");
    return end ? end + 4 : "";
}

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/* fx_render_init() with a receiver json_fmt whose one %s is the URL of path on s */
static void render_init_at(struct fx_render *f, const struct srv *s, const char *path,
                           const char *json_fmt)
{
    char json[512], *url = url_of(s, path);
    snprintf(json, sizeof json, json_fmt, url);
    free(url);
    fx_render_init(f, json);
}

TEST(signed_webhook_on_the_wire)
{
    struct srv s;
    srv_start(&s, "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
    struct fx_render f;
    render_init_at(&f, &s, "/hook?x=1",
                   "{\"id\": \"deploy\", \"type\": \"webhook\", \"url\": \"%s\", \"secret\": "
                   "\"" SECRET "\", \"headers\": {\"X-Team\": \"ml\"}}");
    int64_t now = dd_now_ms();
    CHECK_EQ_INT(fx_render_at(&f, now), 0);
    struct notify_response resp;
    struct notify_timeouts t = {2000, 5000};
    CHECK_EQ_INT(notify_send(&f.req, &t, &resp), 0);
    srv_stop(&s);
    CHECK_EQ_INT(resp.status, 204);
    CHECK_EQ_INT(resp.retry_after_ms, -1);
    CHECK_EQ_STR(resp.error, "");
    CHECK_EQ_INT(s.accepted, 1);
    CHECK_STARTS_WITH(s.req, "POST /hook?x=1 HTTP/1.1\r\n");
    char v[512], len[32];
    CHECK_EQ_STR(wire_header(&s, "Content-Type", v, sizeof v), "application/json");
    CHECK_EQ_STR(wire_header(&s, "User-Agent", v, sizeof v), "driftd");
    CHECK_EQ_STR(wire_header(&s, "X-Team", v, sizeof v), "ml");
    CHECK_EQ_STR(wire_header(&s, "Expect", v, sizeof v), ""); /* no 100-continue round trip */
    snprintf(len, sizeof len, "%zu", f.req.body_len);
    CHECK_EQ_STR(wire_header(&s, "Content-Length", v, sizeof v), len);
    CHECK_EQ_STR(wire_body(&s), f.req.body); /* the exact bytes */
    /* the receiver's check: the signature over what arrived */
    char id[64], ts[32], sig[NOTIFY_SIGNATURE_LEN + 1];
    wire_header(&s, "webhook-id", id, sizeof id);
    wire_header(&s, "webhook-timestamp", ts, sizeof ts);
    CHECK_EQ_STR(id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
    CHECK_EQ_INT(atoll(ts), now / 1000);
    const char *body = wire_body(&s);
    CHECK_EQ_INT(notify_sign(SECRET, id, atoll(ts), body, strlen(body), sig), 0);
    CHECK_EQ_STR(wire_header(&s, "webhook-signature", v, sizeof v), sig);
    struct notify_retry x = notify_classify(&resp, 1, now, now, 0, 0);
    CHECK_EQ_INT(x.outcome, NOTIFY_DELIVERED);
    fx_render_done(&f);
}

TEST(bodyless_put_on_the_wire)
{
    struct srv s;
    srv_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n"
                  "{\"status\": \"Default version succsesfully updated for model\"}");
    struct fx_render f;
    render_init_at(&f, &s, "",
                   "{\"id\": \"serve\", \"type\": \"torchserve\", \"management_url\": \"%s\", "
                   "\"token\": \"mgmt\"}");
    CHECK_EQ_INT(fx_render(&f), 0);
    struct notify_response resp;
    CHECK_EQ_INT(notify_send(&f.req, NULL, &resp), 0);
    srv_stop(&s);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_STARTS_WITH(s.req, "PUT /models/vit/v2/set-default HTTP/1.1\r\n");
    char v[256];
    CHECK_EQ_STR(wire_header(&s, "Content-Length", v, sizeof v), "0");
    CHECK_EQ_STR(wire_header(&s, "Content-Type", v, sizeof v), ""); /* no form type */
    CHECK_EQ_STR(wire_header(&s, "Authorization", v, sizeof v), "Bearer mgmt");
    CHECK_EQ_STR(resp.body, "{\"status\": \"Default version succsesfully updated for model\"}");
    CHECK_EQ_INT(resp.body_len, 60);
    fx_render_done(&f);
}

static struct notify_request simple_post(const struct srv *s)
{
    struct notify_request req;
    memset(&req, 0, sizeof req);
    snprintf(req.method, sizeof req.method, "POST");
    req.url = url_of(s, "/x");
    req.body = strdup("{}");
    req.body_len = 2;
    return req;
}

/* POSTs "{}" to a server of its own (s) that answers with answer (NULL:
 * never answers) and stops it; notify_send's code, *resp, and in *send_ms
 * (unless NULL) how long notify_send() took */
static int post_to(struct srv *s, const char *answer, const struct notify_timeouts *t,
                   struct notify_response *resp, int64_t *send_ms)
{
    srv_start(s, answer);
    struct notify_request req = simple_post(s);
    int64_t t0 = dd_mono_ns();
    int rc = notify_send(&req, t, resp);
    if (send_ms)
        *send_ms = (dd_mono_ns() - t0) / 1000000;
    srv_stop(s);
    notify_request_release(&req);
    return rc;
}

TEST(retry_after_503)
{
    const char *answer =
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 4\r\n\r\nbusy";
    struct srv s;
    struct notify_response resp;
    CHECK_EQ_INT(post_to(&s, answer, NULL, &resp, NULL), 0);
    CHECK_EQ_INT(resp.status, 503);
    CHECK_EQ_INT(resp.retry_after_ms, 7000);
    CHECK_EQ_STR(resp.body, "busy");
    int64_t now = 1000000;
    struct notify_retry x = notify_classify(&resp, 1, now, now, 0, 0);
    CHECK_EQ_INT(x.outcome, NOTIFY_RETRY);
    CHECK_EQ_INT(x.next_attempt_ms, now + 7000);
}

TEST(retry_after_http_date_and_long_body)
{
    /* Retry-After as an HTTP date 30 s ahead; a 3000-byte body kept to 1 KiB */
    char date[64], answer[4096];
    time_t t = time(NULL) + 30;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    int n = snprintf(answer, sizeof answer,
                     "HTTP/1.1 429 Too Many Requests\r\nRetry-After: %s\r\nContent-Length: 3000"
                     "\r\n\r\n",
                     date);
    memset(answer + n, 'z', 3000);
    answer[n + 3000] = '\0';
    struct srv s;
    struct notify_response resp;
    CHECK_EQ_INT(post_to(&s, answer, NULL, &resp, NULL), 0);
    CHECK_EQ_INT(resp.status, 429);
    CHECK_CMP_INT(resp.retry_after_ms, >=, 28000);
    CHECK_CMP_INT(resp.retry_after_ms, <=, 30000);
    CHECK_EQ_INT(resp.body_len, NOTIFY_BODY_KEEP);
    CHECK_EQ_INT(strlen(resp.body), NOTIFY_BODY_KEEP);
}

TEST(redirect_not_followed)
{
    const char *answer =
        "HTTP/1.1 301 Moved Permanently\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n";
    struct srv s;
    struct notify_response resp;
    CHECK_EQ_INT(post_to(&s, answer, NULL, &resp, NULL), 0);
    CHECK_EQ_INT(resp.status, 301);
    CHECK_EQ_INT(s.accepted, 1); /* nobody went to /elsewhere */
    struct notify_retry x = notify_classify(&resp, 1, 0, 0, 0, 0);
    CHECK_EQ_INT(x.outcome, NOTIFY_GIVE_UP);
}

TEST(refused_connection_is_retried)
{
    /* a port that was just free: nothing listens there */
    int port = test_free_port();
    CHECK_CMP_INT(port, >, 0);
    struct notify_request req;
    memset(&req, 0, sizeof req);
    snprintf(req.method, sizeof req.method, "POST");
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/x", port);
    req.url = strdup(u);
    struct notify_response resp;
    CHECK_EQ_INT(notify_send(&req, NULL, &resp), 0);
    CHECK_EQ_INT(resp.status, 0);
    CHECK_EQ_INT(resp.timed_out, 0);
    CHECK(resp.error[0] != '\0');
    struct notify_retry x = notify_classify(&resp, 1, 0, 0, 0, 0);
    CHECK_EQ_INT(x.outcome, NOTIFY_RETRY);
    notify_request_release(&req);

    /* not sendable at all */
    req.url = strdup("file:///etc/passwd");
    snprintf(req.method, sizeof req.method, "GET");
    CHECK_EQ_INT(notify_send(&req, NULL, &resp), DD_EINVAL);
    notify_request_release(&req);
}

TEST(hanging_receiver_cut_at_total_timeout)
{
    struct srv s;
    struct notify_response resp;
    struct notify_timeouts t = {1000, 1500};
    int64_t ms = -1;
    /* the server accepts, reads the request, never answers */
    CHECK_EQ_INT(post_to(&s, NULL, &t, &resp, &ms), 0);
    fprintf(stderr, "hanging receiver: cut after %lld ms (total timeout 1500 ms): %s\n",
            (long long)ms, resp.error);
    CHECK_EQ_INT(resp.status, 0);
    CHECK_EQ_INT(resp.timed_out, 1);
    CHECK_CMP_INT(ms, >=, 1500);
    CHECK_CMP_INT(ms, <, 2500);
    CHECK_CMP_INT(resp.elapsed_ms, >=, 1500);
    CHECK_EQ_INT(s.accepted, 1);
    struct notify_retry x = notify_classify(&resp, 1, 0, 0, 0, 0);
    CHECK_EQ_INT(x.outcome, NOTIFY_RETRY);
}

struct sender {
    struct srv srv;
    char answer[128];
    struct notify_response resp;
    int rc;
};

static void *sender_main(void *arg)
{
    struct sender *x = arg;
    struct notify_request req = simple_post(&x->srv);
    x->rc = notify_send(&req, NULL, &x->resp);
    notify_request_release(&req);
    return NULL;
}

TEST(threads_send_at_once)
{
    /* four workers, four receivers, four different answers, at the same time
     * (the first use of libcurl included: nothing has initialised it in a
     * process that runs this case alone) */
    enum { N = 4 };
    static struct sender x[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        snprintf(x[i].answer, sizeof x[i].answer, "HTTP/1.1 %d X\r\nContent-Length: 1\r\n\r\n%d",
                 200 + i, i);
        srv_start(&x[i].srv, x[i].answer);
    }
    for (int i = 0; i < N; i++)
        CHECK_EQ_INT(pthread_create(&t[i], NULL, sender_main, &x[i]), 0);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        srv_stop(&x[i].srv);
        CHECK_EQ_INT(x[i].rc, 0);
        CHECK_EQ_INT(x[i].resp.status, 200 + i);
        CHECK_EQ_INT(x[i].resp.body[0], '0' + i);
        CHECK_EQ_INT(x[i].srv.accepted, 1);
    }
}

int main(int argc, char **argv)
{
    /* loopback only: a proxy from the environment must not see these requests */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    CHECK_ARGS(argc, argv);
    RUN(signed_webhook_on_the_wire);
    RUN(bodyless_put_on_the_wire);
    RUN(retry_after_503);
    RUN(retry_after_http_date_and_long_body);
    RUN(redirect_not_followed);
    RUN(refused_connection_is_retried);
    RUN(hanging_receiver_cut_at_total_timeout);
    RUN(threads_send_at_once);
    CHECK_DONE();
}
