/* bench_edge.c — a healthy client's latency while hostile connections hold
 * the server (issue #9).
 *
 * One `driftd serve` child process (fresh database, default settings) faces,
 * in turn, 0, 500 and 2,000 hostile connections (--levels), each level a mix:
 *
 *   idle         connects and sends nothing;
 *   header drip  sends a request head one byte a second (never finishes it);
 *   body drip    sends a whole POST head (Content-Length: 100000) at once,
 *                then the body one byte a second.
 *
 * One thread of this process drives all of them (epoll, non-blocking
 * sockets, drips staggered over the second).  A connection the server closes
 * is opened again 0.25 s later, as a slowloris client would: the server
 * faces the level's count for the whole hold, and how many it dropped (and
 * after how long) is reported.  The same thread samples /proc/<pid>/status
 * (VmRSS, VmHWM, Threads), the server's open fds and its listen socket's
 * accept backlog (sock_diag) every half second.
 *
 * Meanwhile (--hold S seconds, default 15) the main thread is the healthy
 * client: --requests N (default 30) `GET /healthz` and N `POST
 * .../events` of 1,000 events (`{"events": [...]}`, application/json),
 * alternating, each on a fresh connection (libcurl), spread over the hold,
 * each given --timeout-ms (default 5000).  Latency is the wall time of the
 * whole exchange, connect included.
 *
 * Target (issue #9): at 2,000 hostile connections every healthy request is
 * answered, the slowest within 1000 ms.  Memory has no target: the RSS
 * growth from 0 to the largest level is printed for scale.
 *
 * The server is started before this process raises its own RLIMIT_NOFILE,
 * so it inherits the shell's limit and has to raise its own (its "Max open
 * files" is printed).  Only 127.0.0.1 is used.
 *
 * Usage: bench_edge --driftd PATH [--dir DIR] [--levels 0,500,2000] [--hold S]
 *                   [--requests N] [--timeout-ms T] [-- extra serve args...]
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "tests/bench/common/bench_util.h"

#define MAX_LEVELS 8
#define TARGET_LEVEL 2000
#define TARGET_MS 1000.0
#define BODY_DRIP_LENGTH 100000
#define REOPEN_S 0.25 /* a slot the server closed (or refused) is opened again after */

enum { K_IDLE, K_HEADER, K_BODY, NKIND };
static const char *const kind_name[NKIND] = {"idle", "header drip", "body drip"};

static const char header_drip[] =
    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench-edge-drip\r\nX-Drip: ";
static char body_head[256];
static const char body_drip[] = "{\"events\": [";

/* ---- /proc and sock_diag ------------------------------------------------- */

struct proc_sample {
    long rss_kb, hwm_kb, threads;
};

static int read_status(pid_t pid, struct proc_sample *s)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6))
            s->rss_kb = atol(line + 6);
        else if (!strncmp(line, "VmHWM:", 6))
            s->hwm_kb = atol(line + 6);
        else if (!strncmp(line, "Threads:", 8))
            s->threads = atol(line + 8);
    }
    fclose(f);
    return 0;
}

static long count_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void fd_limit(pid_t pid, char *out, size_t outsz)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/limits", (int)pid);
    snprintf(out, outsz, "?");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        long soft, hard;
        if (!strncmp(line, "Max open files", 14) && sscanf(line + 14, "%ld %ld", &soft, &hard) == 2)
            snprintf(out, outsz, "%ld (hard %ld)", soft, hard);
    }
    fclose(f);
}

/* Connections waiting in the accept queue of the listening socket on
 * 127.0.0.1:port (what `ss -ltn` shows as Recv-Q), or -1; *max its length
 * (Send-Q there). */
static long accept_backlog(int port, long *max)
{
    int s = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
    if (s < 0)
        return -1;
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 r;
    } req;
    memset(&req, 0, sizeof req);
    req.nlh.nlmsg_len = sizeof req;
    req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.r.sdiag_family = AF_INET;
    req.r.sdiag_protocol = IPPROTO_TCP;
    req.r.idiag_states = 1u << 10; /* TCP_LISTEN */
    long q = -1;
    if (send(s, &req, sizeof req, 0) != (ssize_t)sizeof req) {
        close(s);
        return -1;
    }
    static char buf[32768];
    for (;;) {
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        size_t off = 0, len = (size_t)n;
        while (off + sizeof(struct nlmsghdr) <= len) {
            struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);
            if (h->nlmsg_len < sizeof *h || off + h->nlmsg_len > len)
                break;
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
                goto done;
            struct inet_diag_msg *m = NLMSG_DATA(h);
            if (ntohs(m->id.idiag_sport) == port) {
                q = m->idiag_rqueue;
                *max = m->idiag_wqueue;
            }
            off += NLMSG_ALIGN(h->nlmsg_len);
        }
    }
done:
    close(s);
    return q;
}

/* ---- the hostile connections ---------------------------------------------- */

struct hconn {
    int fd; /* -1: down, reopened at `next` */
    int kind;
    int connected;
    unsigned gen;  /* tells a stale epoll event from the slot's new socket */
    double opened; /* connect() called */
    double next;   /* next drip byte, or the reopen */
    double phase;  /* where in the second this slot drips */
    size_t sent;   /* drip bytes sent */
    int answered;  /* the server wrote something on this socket */
};

struct flood {
    pthread_t th;
    int port, n;
    pid_t server;
    struct hconn *c;
    int ep;
    atomic_int stop;
    atomic_int connected; /* established right now */
    /* written by the flood thread, read by main after the join */
    long opened, connect_failed;
    long dropped[NKIND];
    double *life[NKIND]; /* lifetimes (s) of the dropped ones */
    size_t nlife[NKIND], caplife[NKIND];
    long answers[NKIND][6]; /* by status class: [0] not HTTP, [1..5] 1xx..5xx */
    int first_code[NKIND];  /* the first status a kind got */
    struct proc_sample max, last;
    long fds_max, backlog_max, backlog_len;
};

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void hconn_open(struct flood *f, int i, double now)
{
    struct hconn *h = &f->c[i];
    h->gen++;
    h->connected = 0;
    h->sent = 0;
    h->answered = 0;
    h->opened = now;
    h->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (h->fd < 0) {
        f->connect_failed++;
        h->next = now + REOPEN_S;
        return;
    }
    set_nonblock(h->fd);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)f->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    f->opened++;
    if (connect(h->fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
        f->connect_failed++;
        close(h->fd);
        h->fd = -1;
        h->next = now + REOPEN_S;
        return;
    }
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP,
                             .data.u64 = (uint64_t)i | (uint64_t)h->gen << 32};
    epoll_ctl(f->ep, EPOLL_CTL_ADD, h->fd, &ev);
}

static void hconn_close(struct flood *f, int i)
{
    struct hconn *h = &f->c[i];
    if (h->fd < 0)
        return;
    close(h->fd);
    h->fd = -1;
    if (h->connected)
        atomic_fetch_sub(&f->connected, 1);
    h->connected = 0;
}

/* The server ended the connection (EOF, reset, or a refused write). */
static void hconn_dropped(struct flood *f, int i, double now)
{
    struct hconn *h = &f->c[i];
    if (h->connected) {
        int k = h->kind;
        f->dropped[k]++;
        if (f->nlife[k] == f->caplife[k]) {
            f->caplife[k] = f->caplife[k] ? 2 * f->caplife[k] : 256;
            f->life[k] = realloc(f->life[k], f->caplife[k] * sizeof(double));
            if (!f->life[k])
                bench_die("out of memory");
        }
        f->life[k][f->nlife[k]++] = now - h->opened;
    } else {
        f->connect_failed++;
    }
    hconn_close(f, i);
    h->next = now + REOPEN_S;
}

static int hconn_send(struct flood *f, int i, const char *p, size_t n, double now)
{
    ssize_t w = send(f->c[i].fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        hconn_dropped(f, i, now);
        return -1;
    }
    return 0;
}

static void hconn_event(struct flood *f, int i, uint32_t events, double now)
{
    struct hconn *h = &f->c[i];
    if (!h->connected) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (events & (EPOLLERR | EPOLLHUP))) {
            hconn_dropped(f, i, now);
            return;
        }
        if (!(events & EPOLLOUT))
            return;
        h->connected = 1;
        atomic_fetch_add(&f->connected, 1);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
                                 .data.u64 = (uint64_t)i | (uint64_t)h->gen << 32};
        epoll_ctl(f->ep, EPOLL_CTL_MOD, h->fd, &ev);
        /* the first drip byte at this slot's phase within the next second */
        h->next = floor(now) + 1 + h->phase;
        if (h->kind == K_BODY && hconn_send(f, i, body_head, strlen(body_head), now) != 0)
            return;
        events &= ~(uint32_t)EPOLLOUT;
        if (!(events & (EPOLLIN | EPOLLRDHUP)))
            return;
    }
    char buf[4096];
    for (;;) {
        ssize_t n = recv(h->fd, buf, sizeof buf, 0);
        if (n > 0) {
            if (!h->answered) {
                h->answered = 1;
                int code = 0;
                int cls = 0;
                if (n >= 12 && !strncmp(buf, "HTTP/1.", 7) && sscanf(buf + 9, "%3d", &code) == 1 &&
                    code >= 100 && code < 600)
                    cls = code / 100;
                f->answers[h->kind][cls]++;
                if (!f->first_code[h->kind])
                    f->first_code[h->kind] = code ? code : -1;
            }
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        hconn_dropped(f, i, now); /* EOF or reset */
        return;
    }
}

static void flood_sample(struct flood *f)
{
    struct proc_sample s = f->last;
    if (read_status(f->server, &s) == 0) {
        f->last = s;
        if (s.rss_kb > f->max.rss_kb)
            f->max.rss_kb = s.rss_kb;
        if (s.hwm_kb > f->max.hwm_kb)
            f->max.hwm_kb = s.hwm_kb;
        if (s.threads > f->max.threads)
            f->max.threads = s.threads;
    }
    long fds = count_fds(f->server);
    if (fds > f->fds_max)
        f->fds_max = fds;
    long q = accept_backlog(f->port, &f->backlog_len);
    if (q > f->backlog_max)
        f->backlog_max = q;
}

static void *flood_main(void *arg)
{
    struct flood *f = arg;
    struct epoll_event evs[512];
    double next_sample = 0;
    while (!atomic_load(&f->stop)) {
        int n = epoll_wait(f->ep, evs, 512, 5);
        double now = bench_now_s();
        for (int e = 0; e < n; e++) {
            int i = (int)(evs[e].data.u64 & 0xffffffffu);
            unsigned gen = (unsigned)(evs[e].data.u64 >> 32);
            if (f->c[i].fd >= 0 && f->c[i].gen == gen)
                hconn_event(f, i, evs[e].events, now);
        }
        for (int i = 0; i < f->n; i++) {
            struct hconn *h = &f->c[i];
            if (h->fd < 0) {
                if (now >= h->next)
                    hconn_open(f, i, now);
                continue;
            }
            if (!h->connected || h->kind == K_IDLE || now < h->next)
                continue;
            char byte;
            if (h->kind == K_HEADER)
                byte = h->sent < sizeof header_drip - 1 ? header_drip[h->sent] : 'a';
            else
                byte = h->sent < sizeof body_drip - 1 ? body_drip[h->sent] : ' ';
            if (hconn_send(f, i, &byte, 1, now) != 0)
                continue;
            h->sent++;
            h->next += 1;
            if (h->next < now) /* we fell behind (a stall): no burst to catch up */
                h->next = now + 1;
        }
        if (now >= next_sample) {
            flood_sample(f);
            next_sample = now + 0.5;
        }
    }
    return NULL;
}

static void flood_start(struct flood *f, int port, pid_t server, int n)
{
    memset(f, 0, sizeof *f);
    f->port = port;
    f->server = server;
    f->n = n;
    f->c = calloc((size_t)(n ? n : 1), sizeof *f->c);
    f->ep = epoll_create1(0);
    if (!f->c || f->ep < 0)
        bench_die("flood setup");
    for (int i = 0; i < n; i++) {
        f->c[i].fd = -1;
        f->c[i].kind = i % NKIND;
        f->c[i].phase = fmod(i * 0.6180339887, 1.0);
        f->c[i].next = 0;
    }
    flood_sample(f);
    if (pthread_create(&f->th, NULL, flood_main, f) != 0)
        bench_die("pthread_create");
}

static void flood_stop(struct flood *f)
{
    atomic_store(&f->stop, 1);
    pthread_join(f->th, NULL);
    for (int i = 0; i < f->n; i++)
        hconn_close(f, i);
    close(f->ep);
}

static void flood_free(struct flood *f)
{
    for (int k = 0; k < NKIND; k++)
        free(f->life[k]);
    free(f->c);
}

/* ---- the healthy client --------------------------------------------------- */

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static void make_post(struct dd_buf *b, int level, int req)
{
    static const char *classes[] = {"cat", "dog", "bird", "fish", "horse"};
    dd_buf_reset(b);
    dd_buf_puts(b, "{\"events\": [");
    for (int i = 0; i < 1000; i++)
        dd_buf_printf(b,
                      "%s{\"id\":\"edge-%d-%d-%d\",\"version\":\"v1\",\"prediction\":\"%s\","
                      "\"confidence\":%.3f,\"features\":{\"age\":%d,\"country\":\"%s\"}}",
                      i ? "," : "", level, req, i, classes[i % 5], 0.5 + (i % 500) / 1000.0,
                      18 + i % 60, i % 3 ? "DE" : "FR");
    dd_buf_puts(b, "]}");
}

struct lat {
    double *ms; /* one per request sent; timeouts as the timeout */
    int sent, ok, timeouts, bad;
    long bad_code;
};

/* One request on a fresh connection; the wall time in ms. */
static double exchange(CURL *c, const char *url, const struct dd_buf *post, long timeout_ms,
                       long *code, int *timed_out)
{
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    struct curl_slist *hdr = NULL;
    if (post) {
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
        hdr = curl_slist_append(hdr, "Expect:");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post->data);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post->len);
    }
    *code = 0;
    *timed_out = 0;
    double t0 = bench_now_s();
    CURLcode rc = curl_easy_perform(c);
    double ms = (bench_now_s() - t0) * 1000;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        *timed_out = 1;
    curl_slist_free_all(hdr);
    return ms;
}

static void lat_add(struct lat *l, double ms, long code, long want, int timed_out, long timeout_ms)
{
    if (timed_out) {
        l->timeouts++;
        ms = (double)timeout_ms;
    } else if (code == want) {
        l->ok++;
    } else {
        l->bad++;
        if (!l->bad_code)
            l->bad_code = code ? code : -1;
    }
    l->ms[l->sent++] = ms;
}

/* ---- the table ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *v, int n, double p)
{
    if (!n)
        return NAN;
    int i = (int)ceil(p * n) - 1;
    return v[i < 0 ? 0 : i < n ? i : n - 1];
}

static void cell(char *out, size_t outsz, double v, long timeout_ms)
{
    if (isnan(v))
        snprintf(out, outsz, "-");
    else if (v >= (double)timeout_ms)
        snprintf(out, outsz, ">%ld", timeout_ms);
    else
        snprintf(out, outsz, "%.2f", v);
}

static double median_of(double *v, size_t n)
{
    if (!n)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return v[(n - 1) / 2];
}

struct level_result {
    int level;
    struct lat get, post;
    double connect_s; /* until every hostile connection was established */
    int established;  /* hostile connections established at the start of the hold */
    int held_min;     /* fewest established during the hold */
    double recover_s; /* after the hostile ones closed, until /healthz answered */
    struct flood f;
};

/* One table row, without trailing blanks when a row has no target. */
static void row(const char *label, const char *value, const char *p50, const char *p95,
                const char *max, const char *target)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "%-44s %12s %10s %10s %10s  %s", label, value, p50, p95,
                     max, target);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    while (n > 0 && line[n - 1] == ' ')
        line[--n] = '\0';
    puts(line);
}

static int print_latency_row(const char *what, const struct level_result *r, const struct lat *l,
                             int planned, long timeout_ms)
{
    char label[64], value[32], a[16], b[16], c[16], target[160] = "";
    snprintf(label, sizeof label, "%s, %d hostile", what, r->level);
    snprintf(value, sizeof value, "%d/%d ok", l->ok, planned);
    qsort(l->ms, (size_t)l->sent, sizeof(double), cmp_double);
    double mx = l->sent ? l->ms[l->sent - 1] : NAN;
    cell(a, sizeof a, pct(l->ms, l->sent, 0.50), timeout_ms);
    cell(b, sizeof b, pct(l->ms, l->sent, 0.95), timeout_ms);
    cell(c, sizeof c, mx, timeout_ms);
    int missed = 0;
    char notes[96] = "";
    if (l->timeouts || l->bad || l->sent < planned)
        snprintf(notes, sizeof notes, " (%d sent, %d timed out, %d bad%s%ld)", l->sent, l->timeouts,
                 l->bad, l->bad ? " e.g. " : "", l->bad ? l->bad_code : 0L);
    if (l->bad == 0 && notes[0])
        snprintf(notes, sizeof notes, " (%d sent, %d timed out)", l->sent, l->timeouts);
    if (r->level >= TARGET_LEVEL) {
        int ok = l->ok == planned && mx <= TARGET_MS;
        missed = !ok;
        snprintf(target, sizeof target, "max <= %.0f ms %s%s", TARGET_MS, ok ? "PASS" : "MISS",
                 notes);
    } else if (notes[0]) {
        snprintf(target, sizeof target, "%s", notes + 1);
    }
    row(label, value, a, b, c, target);
    return missed;
}

static double loadavg1(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

/* ---- main ------------------------------------------------------------------ */

static int wait_healthy(const char *url, double limit_s, double *took)
{
    double t0 = bench_now_s();
    CURL *c = curl_easy_init();
    int ok = 0;
    while (bench_now_s() - t0 < limit_s) {
        long code;
        int to;
        exchange(c, url, NULL, 1000, &code, &to);
        if (code == 200) {
            ok = 1;
            break;
        }
        usleep(100000);
    }
    curl_easy_cleanup(c);
    *took = bench_now_s() - t0;
    return ok;
}

static void usage(void)
{
    bench_die("usage: bench_edge --driftd PATH [--dir DIR] [--levels 0,500,2000] [--hold S]"
              " [--requests N] [--timeout-ms T] [-- extra serve args...]");
}

int main(int argc, char **argv)
{
    const char *driftd = NULL, *dir_arg = NULL;
    int levels[MAX_LEVELS] = {0, 500, 2000}, nlevels = 3, requests = 30;
    double hold = 15;
    long timeout_ms = 5000;
    const char *extra[24] = {NULL};
    int nextra = 0;
    const struct bench_opt opts[] = {{"--driftd", BENCH_OPT_STR, &driftd},
                                     {"--dir", BENCH_OPT_STR, &dir_arg},
                                     {"--hold", BENCH_OPT_DBL, &hold},
                                     {"--requests", BENCH_OPT_INT, &requests},
                                     {"--timeout-ms", BENCH_OPT_LONG, &timeout_ms}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--")) {
            for (i++; i < argc && nextra < 23; i++)
                extra[nextra++] = argv[i];
            break;
        }
        if (!v)
            usage();
        if (bench_opt_take(opts, sizeof opts / sizeof opts[0], argc, argv, &i))
            continue;
        if (!strcmp(a, "--levels")) {
            nlevels = 0;
            for (const char *p = v; *p && nlevels < MAX_LEVELS;) {
                levels[nlevels++] = atoi(p);
                p = strchr(p, ',');
                if (!p)
                    break;
                p++;
            }
        } else
            usage();
        i++;
    }
    if (!driftd || hold < 3 || requests < 1 || timeout_ms < 100 || nlevels < 1)
        usage();
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(body_head, sizeof body_head,
             "POST /api/v1/models/edge-drip/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
             BODY_DRIP_LENGTH);

    char tmpdir[] = "/tmp/driftd-bench-edge-XXXXXX";
    const char *dir = dir_arg;
    if (!dir) {
        if (!mkdtemp(tmpdir))
            bench_die("mkdtemp");
        dir = tmpdir;
    }

    /* the server first: it inherits the shell's fd limit, not ours */
    struct bench_server srv;
    bench_server_start(&srv, driftd, dir, extra, 0);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t shell_soft = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    char srv_limit[64];
    fd_limit(srv.pid, srv_limit, sizeof srv_limit);

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    double load0 = loadavg1();
    printf("driftd edge benchmark: %ld cores (load average %.2f at start); hostile levels", cores,
           load0);
    for (int i = 0; i < nlevels; i++)
        printf("%s%d", i ? "/" : " ", levels[i]);
    printf(" (1/3 idle, 1/3 header drip, 1/3 body drip, 1 byte/s, reopened %.2f s after a drop);\n"
           "hold %.0f s per level; healthy client: %d GET /healthz + %d POST of 1000 events,"
           " fresh connections, timeout %ld ms\n",
           REOPEN_S, hold, requests, requests, timeout_ms);
    printf("server: pid %d, max open files %s; this process %llu (shell %llu)\n", (int)srv.pid,
           srv_limit, (unsigned long long)rl.rlim_cur, (unsigned long long)shell_soft);
    if (nextra) {
        printf("serve args:");
        for (int i = 0; i < nextra; i++)
            printf(" %s", extra[i]);
        printf("\n");
    }
    printf("\n");
    fflush(stdout);

    char url_health[160], url_post[200];
    snprintf(url_health, sizeof url_health, "%s/healthz", srv.base);
    snprintf(url_post, sizeof url_post, "%s/api/v1/models/edge-healthy/events", srv.base);
    struct level_result *res = calloc((size_t)nlevels, sizeof *res);
    struct dd_buf body;
    dd_buf_init(&body);
    CURL *c = curl_easy_init();

    for (int li = 0; li < nlevels; li++) {
        struct level_result *r = &res[li];
        r->level = levels[li];
        r->get.ms = calloc((size_t)requests, sizeof(double));
        r->post.ms = calloc((size_t)requests, sizeof(double));
        double t0 = bench_now_s();
        flood_start(&r->f, srv.port, srv.pid, r->level);
        while (atomic_load(&r->f.connected) < r->level && bench_now_s() - t0 < 5)
            usleep(10000);
        r->connect_s = bench_now_s() - t0;
        r->established = atomic_load(&r->f.connected);
        r->held_min = r->established;
        double hold0 = bench_now_s();
        /* 2N requests, alternating, spread over the hold (none starts after it) */
        double spacing = (hold - 1) / (2.0 * requests);
        for (int q = 0; q < 2 * requests; q++) {
            double at = hold0 + 0.5 + q * spacing;
            int is_post = q & 1;
            if (is_post)
                make_post(&body, r->level, q / 2);
            double now;
            while ((now = bench_now_s()) < at)
                usleep((useconds_t)fmin(20000, (at - now) * 1e6 + 1));
            int held = atomic_load(&r->f.connected);
            if (held < r->held_min)
                r->held_min = held;
            if (now >= hold0 + hold)
                break;
            long code;
            int to;
            double ms = exchange(c, is_post ? url_post : url_health, is_post ? &body : NULL,
                                 timeout_ms, &code, &to);
            if (is_post)
                lat_add(&r->post, ms, code, 202, to, timeout_ms);
            else
                lat_add(&r->get, ms, code, 200, to, timeout_ms);
        }
        double now;
        while ((now = bench_now_s()) < hold0 + hold)
            usleep((useconds_t)fmin(50000, (hold0 + hold - now) * 1e6 + 1));
        int held = atomic_load(&r->f.connected);
        if (held < r->held_min)
            r->held_min = held;
        flood_stop(&r->f);
        if (!wait_healthy(url_health, 40, &r->recover_s))
            r->recover_s = -1;
        printf("level %5d: %d/%d hostile established in %.1f s (fewest held %d);"
               " healthy GET %d/%d ok, POST %d/%d ok; /healthz again %.2f s after the close\n",
               r->level, r->established, r->level, r->connect_s, r->held_min, r->get.ok, requests,
               r->post.ok, requests, r->recover_s);
        fflush(stdout);
        usleep(500000);
    }
    curl_easy_cleanup(c);
    dd_buf_release(&body);

    /* the server's log lines (warn and above) under the flood */
    char logpath[600], line[1024];
    snprintf(logpath, sizeof logpath, "%s/server.log", dir);
    long loglines = 0;
    FILE *lf = fopen(logpath, "r");
    if (lf) {
        while (fgets(line, sizeof line, lf))
            loglines++;
        fclose(lf);
    }
    bench_server_stop(&srv);
    double load1 = loadavg1();

    printf("\n%-44s %12s %10s %10s %10s  %s\n", "measure", "value", "p50 ms", "p95 ms", "max ms",
           "target");
    int missed = 0;
    for (int li = 0; li < nlevels; li++) {
        struct level_result *r = &res[li];
        struct flood *f = &r->f;
        char label[64], value[32], notes[400];
        if (r->level) {
            size_t o = 0;
            o += (size_t)snprintf(notes + o, sizeof notes - o, "(server closed");
            for (int k = 0; k < NKIND; k++) {
                double med = median_of(f->life[k], f->nlife[k]);
                if (f->dropped[k])
                    o += (size_t)snprintf(notes + o, sizeof notes - o, " %s %ld after ~%.0f s,",
                                          kind_name[k], f->dropped[k], med);
                else
                    o += (size_t)snprintf(notes + o, sizeof notes - o, " %s 0,", kind_name[k]);
            }
            notes[o - 1] = ';';
            long answered = 0;
            for (int k = 0; k < NKIND; k++)
                for (int s = 0; s < 6; s++)
                    answered += f->answers[k][s];
            if (answered) {
                o += (size_t)snprintf(notes + o, sizeof notes - o, " answered:");
                for (int k = 0; k < NKIND; k++) {
                    long nk = 0;
                    for (int s = 0; s < 6; s++)
                        nk += f->answers[k][s];
                    if (nk)
                        o += (size_t)snprintf(notes + o, sizeof notes - o, " %s %ld (first %d)",
                                              kind_name[k], nk, f->first_code[k]);
                }
                o += (size_t)snprintf(notes + o, sizeof notes - o, ";");
            }
            o += (size_t)snprintf(notes + o, sizeof notes - o, " fewest held %d", r->held_min);
            if (r->established < r->level)
                o += (size_t)snprintf(notes + o, sizeof notes - o,
                                      "; %d still connecting after %.0f s",
                                      r->level - r->established, r->connect_s);
            snprintf(notes + o, sizeof notes - o, ")");
            snprintf(label, sizeof label, "hostile connections held, %d", r->level);
            snprintf(value, sizeof value, "%d", r->established);
            row(label, value, "", "", "", notes);
        }
        missed += print_latency_row("GET /healthz", r, &r->get, requests, timeout_ms);
        missed += print_latency_row("POST 1000 events", r, &r->post, requests, timeout_ms);
        snprintf(label, sizeof label, "server VmRSS (max), %d hostile", r->level);
        snprintf(value, sizeof value, "%.1f MB", f->max.rss_kb / 1024.0);
        snprintf(notes, sizeof notes,
                 "(VmHWM %.1f MB, threads %ld, open fds %ld, accept queue up to %ld of %ld)",
                 f->max.hwm_kb / 1024.0, f->max.threads, f->fds_max, f->backlog_max,
                 f->backlog_len);
        row(label, value, "", "", "", notes);
    }
    if (nlevels > 1) {
        const struct level_result *lo = &res[0], *hi = &res[nlevels - 1];
        double grow_kb = (double)(hi->f.max.rss_kb - lo->f.max.rss_kb);
        char label[64], value[32], notes[160];
        snprintf(label, sizeof label, "RSS growth, %d -> %d hostile", lo->level, hi->level);
        snprintf(value, sizeof value, "%+.1f MB", grow_kb / 1024);
        int dn = hi->level - lo->level;
        snprintf(notes, sizeof notes,
                 "(%.1f KiB per hostile connection; threads %ld -> %ld: for scale)",
                 dn ? grow_kb / dn : 0.0, lo->f.max.threads, hi->f.max.threads);
        row(label, value, "", "", "", notes);
    }
    printf("\nlatency: wall time of one request on a fresh connection (connect included);"
           " \">%ld\" = no answer within the timeout.\nserver log: %ld lines at level warn;"
           " 1-minute load average %.2f at the start, %.2f at the end (%ld cores)%s.\n",
           timeout_ms, loglines, load0, load1, cores,
           load0 > (double)cores || load1 > (double)cores ? ": NOT an idle machine" : "");

    for (int li = 0; li < nlevels; li++) {
        free(res[li].get.ms);
        free(res[li].post.ms);
        flood_free(&res[li].f);
    }
    free(res);
    if (!dir_arg) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (getenv("BENCH_KEEP"))
            printf("kept %s (database and server log)\n", dir);
        else if (system(cmd) != 0)
            fprintf(stderr, "bench_edge: could not remove %s\n", dir);
    }
    curl_global_cleanup();
    return missed ? 2 : 0;
}
