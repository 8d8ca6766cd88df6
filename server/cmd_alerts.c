/* cmd_alerts.c — `driftd alerts test ID [--url URL] [--key KEY]`: asks a
 * running server to send a test notification to receiver ID now (POST
 * /api/v1/receivers/{id}/test) and prints what the receiver answered.
 *
 * The server is reached over plain HTTP/1.1 with a few lines of socket code
 * (one request, Connection: close, read to the end): server/ does not link
 * libcurl, and a local admin call needs no TLS.  Exit status: 0 when the
 * receiver accepted the test (2xx), 1 when it did not or the server refused
 * the call, 2 for bad usage or an unreachable server. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/buf.h"
#include "ingest/event.h"
#include "server/cli.h"

#define CALL_TIMEOUT_S 120 /* the server waits for the receiver (15 s by default) */
#define ANSWER_MAX (1 << 20)

struct opts {
    const char *url, *key;
};

static int usage_to(FILE *fp, int status)
{
    fprintf(fp, "usage: driftd alerts test RECEIVER_ID [--url http://127.0.0.1:8080] [--key KEY]\n"
                "\n"
                "Sends a test notification to the receiver through a running server and prints\n"
                "what the receiver answered.  --key (else DRIFTD_KEY) is an admin API key.\n");
    return status;
}

static int opt(const char *name, const char *value, void *ctx)
{
    struct opts *o = ctx;
    if (!strcmp(name, "url"))
        o->url = value;
    else if (!strcmp(name, "key"))
        o->key = value;
    else {
        fprintf(stderr, "driftd: alerts test: unknown option --");
        for (const char *c = name; *c; c++)
            fputc(*c == '_' ? '-' : *c, stderr);
        fputc('\n', stderr);
        return 2;
    }
    return 0;
}

/* http://HOST[:PORT][/PREFIX] -> host, port, prefix (no trailing slash) */
static int parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen,
                     char *prefix, size_t prefixlen)
{
    if (strncmp(url, "http://", 7) != 0)
        return -1;
    const char *h = url + 7, *end = h + strcspn(h, "/");
    const char *colon = memchr(h, ':', (size_t)(end - h));
    const char *hend = colon ? colon : end;
    if (hend == h || (size_t)(hend - h) >= hostlen)
        return -1;
    snprintf(host, hostlen, "%.*s", (int)(hend - h), h);
    if (colon) {
        if (end - colon - 1 < 1 || (size_t)(end - colon - 1) >= portlen)
            return -1;
        snprintf(port, portlen, "%.*s", (int)(end - colon - 1), colon + 1);
    } else
        snprintf(port, portlen, "80");
    size_t plen = strlen(end);
    while (plen && end[plen - 1] == '/')
        plen--;
    if (plen >= prefixlen)
        return -1;
    snprintf(prefix, prefixlen, "%.*s", (int)plen, end);
    return 0;
}

/* One request; the whole answer into out.  0, or -1 with the reason printed. */
static int call(const char *host, const char *port, const char *request, struct dd_buf *out)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g != 0) {
        fprintf(stderr, "driftd: alerts test: %s:%s: %s\n", host, port, gai_strerror(g));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval tv = {CALL_TIMEOUT_S, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        fprintf(stderr, "driftd: alerts test: cannot connect to %s:%s: %s\n", host, port,
                strerror(err));
        return -1;
    }
    size_t len = strlen(request), sent = 0;
    while (sent < len) {
        ssize_t w = send(fd, request + sent, len - sent, MSG_NOSIGNAL);
        if (w <= 0) {
            fprintf(stderr, "driftd: alerts test: sending to %s:%s: %s\n", host, port,
                    strerror(errno));
            close(fd);
            return -1;
        }
        sent += (size_t)w;
    }
    char buf[8192];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0)
            break;
        if (n < 0) {
            fprintf(stderr, "driftd: alerts test: reading from %s:%s: %s\n", host, port,
                    strerror(errno));
            close(fd);
            return -1;
        }
        if (out->len + (size_t)n > ANSWER_MAX)
            break;
        dd_buf_append(out, buf, (size_t)n);
    }
    close(fd);
    return 0;
}

int cmd_alerts(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, 2))
        return usage_to(stdout, 0);
    if (argc < 4 || strcmp(argv[2], "test") != 0)
        return usage_to(stderr, 2);
    const char *id = argv[3];
    if (!dd_name_valid(id, strlen(id))) {
        fprintf(stderr, "driftd: alerts test: '%s' is not a receiver id ([A-Za-z0-9._-])\n", id);
        return 2;
    }
    struct opts o = {"http://127.0.0.1:8080", getenv("DRIFTD_KEY")};
    int rc = cli_flags(argc, argv, 4, NULL, opt, &o);
    if (rc)
        return rc;
    char host[256], port[16], prefix[512];
    if (parse_url(o.url, host, sizeof host, port, sizeof port, prefix, sizeof prefix) != 0) {
        fprintf(stderr,
                "driftd: alerts test: --url '%s' is not http://HOST[:PORT][/PATH] "
                "(https is not spoken here)\n",
                o.url);
        return 2;
    }
    struct dd_buf req, ans;
    dd_buf_init(&req);
    dd_buf_init(&ans);
    dd_buf_printf(&req,
                  "POST %s/api/v1/receivers/%s/test HTTP/1.1\r\nHost: %s:%s\r\n"
                  "User-Agent: driftd-alerts\r\nContent-Length: 0\r\nConnection: close\r\n",
                  prefix, id, host, port);
    if (o.key && *o.key)
        dd_buf_printf(&req, "Authorization: Bearer %s\r\n", o.key);
    dd_buf_puts(&req, "\r\n");
    int status = 0;
    rc = 2;
    if (call(host, port, req.data, &ans) != 0)
        goto out;
    const char *body = ans.data ? strstr(ans.data, "\r\n\r\n") : NULL;
    if (!body || sscanf(ans.data, "HTTP/1.%*d %d", &status) != 1) {
        fprintf(stderr, "driftd: alerts test: %s:%s did not answer HTTP\n", host, port);
        goto out;
    }
    body += 4;
    if (status != 200) {
        fprintf(stderr, "driftd: alerts test %s: the server answered %d: %s\n", id, status, body);
        rc = 1;
        goto out;
    }
    printf("%s\n", body);
    /* the answer is driftd's own JSON: a delivered test says "delivered":true */
    rc = strstr(body, "\"delivered\":true") ? 0 : 1;
    if (rc)
        fprintf(stderr, "driftd: alerts test %s: the receiver did not accept the test\n", id);
out:
    dd_buf_release(&req);
    dd_buf_release(&ans);
    return rc;
}
