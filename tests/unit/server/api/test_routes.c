/* Tests server/api/routes.c: the route table's invariants, match() (patterns,
 * parameters in order, segment bounds) and routes_prepare()'s answers (404,
 * 405, 400 for a bad name, 401/403 from auth, HEAD as GET).  routes.c is
 * included with its calls into server/http/ and auth.c renamed to the stubs
 * below, so no socket and no key store is needed. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

#define http_reply_error stub_reply_error
#define http_reply_unauthorized stub_reply_unauthorized
#define http_header stub_header
#define auth_check stub_auth_check
#include "server/api/routes.c"
#undef http_reply_error
#undef http_reply_unauthorized
#undef http_header
#undef auth_check

/* ---- stubs: what routes_prepare() answered, and what auth says ---- */

static struct {
    int status; /* 0: no answer */
    char code[64];
    char message[512];
    int answers;
} answer;

static struct {
    enum auth_verdict verdict;
    int granted;
    int calls, need;
    const char *authorization; /* the request's Authorization header */
} auth_stub;

void stub_reply_error(struct http_req *r, int status, const char *code, long index, const char *fmt,
                      ...)
{
    (void)r;
    (void)index;
    answer.status = status;
    answer.answers++;
    snprintf(answer.code, sizeof answer.code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(answer.message, sizeof answer.message, fmt, ap);
    va_end(ap);
}

void stub_reply_unauthorized(struct http_req *r)
{
    (void)r;
    answer.status = 401;
    answer.answers++;
    snprintf(answer.code, sizeof answer.code, "unauthorized");
}

const char *stub_header(const struct http_req *r, const char *name)
{
    (void)r;
    return strcmp(name, "Authorization") == 0 ? auth_stub.authorization : NULL;
}

enum auth_verdict stub_auth_check(struct auth *a, const char *authorization, int need, int *granted)
{
    (void)a;
    (void)authorization;
    auth_stub.calls++;
    auth_stub.need = need;
    *granted = auth_stub.granted;
    return auth_stub.verdict;
}

static struct api api_ctx;

/* routes_prepare() on a fresh request; auth grants admin unless told. */
static int prepare(const char *method, const char *path, struct http_req *r)
{
    memset(r, 0, sizeof *r);
    memset(&answer, 0, sizeof answer);
    r->ctx = &api_ctx;
    r->method = method;
    r->path = path;
    r->route = -1;
    return routes_prepare(r);
}

static void auth_grants(enum auth_verdict v, int granted)
{
    memset(&auth_stub, 0, sizeof auth_stub);
    auth_stub.verdict = v;
    auth_stub.granted = granted;
}

/* pattern with its {params} replaced by p0, p1, ... */
static void sample_path(const char *pattern, char *out, size_t outsz)
{
    size_t o = 0;
    int np = 0;
    for (const char *p = pattern; *p && o + 8 < outsz; p++) {
        if (*p == '{') {
            o += (size_t)snprintf(out + o, outsz - o, "p%d", np++);
            p = strchr(p, '}');
        } else if (p[0] == '*' && p[1] == '\0') {
            o += (size_t)snprintf(out + o, outsz - o, "index.html");
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static int n_params(const char *pattern)
{
    int n = 0;
    for (const char *p = pattern; (p = strchr(p, '{')); p++)
        n++;
    return n;
}

static int is_static(const struct route *r)
{
    return strcmp(r->pattern, "/*") == 0;
}

/* ---- cases ---- */

/* Unique (method, pattern) pairs; a handler and a role each; the static
 * catch-all last and only there; writes and the API never open. */
TEST(table_invariants)
{
    int n = 0;
    const struct route *t = routes_table(&n);
    CHECK(n >= 15);
    for (int i = 0; i < n; i++) {
        CHECK(t[i].fn != NULL);
        CHECK(t[i].method && t[i].pattern && t[i].pattern[0] == '/');
        CHECK(!strcmp(t[i].method, "GET") || !strcmp(t[i].method, "POST") ||
              !strcmp(t[i].method, "PUT") || !strcmp(t[i].method, "DELETE") ||
              !strcmp(t[i].method, "OPTIONS"));
        CHECK(t[i].role >= DD_ROLE_NONE && t[i].role <= DD_ROLE_ADMIN);
        CHECK(n_params(t[i].pattern) <= HTTP_MAX_PARAMS);
        for (int j = 0; j < i; j++)
            if (!strcmp(t[i].method, t[j].method) && !strcmp(t[i].pattern, t[j].pattern)) {
                fprintf(stderr, "route %d repeats route %d: %s %s\n", i, j, t[i].method,
                        t[i].pattern);
                CHECK(0);
            }
        if (is_static(&t[i]))
            CHECK_EQ_INT(i, n - 1);
        if (!strncmp(t[i].pattern, "/api/", 5))
            CHECK(t[i].role != DD_ROLE_NONE);
        /* what changes data needs ingest or admin; the Grafana datasource's
         * POSTs only read (read role), its CORS preflight carries no key */
        if (strcmp(t[i].method, "GET") != 0 && strncmp(t[i].pattern, "/grafana/", 9) != 0)
            CHECK(t[i].role == DD_ROLE_INGEST || t[i].role == DD_ROLE_ADMIN);
        if (!strncmp(t[i].pattern, "/grafana", 8) && strcmp(t[i].method, "OPTIONS") != 0)
            CHECK_EQ_INT(t[i].role, DD_ROLE_READ);
    }
    CHECK(is_static(&t[n - 1]) && !strcmp(t[n - 1].method, "GET"));
    CHECK_EQ_INT(t[n - 1].role, DD_ROLE_NONE);
    CHECK(t[n - 1].fn == h_static);
    /* the route index metrics use is the table's */
    CHECK(t == routes);
}

/* check on every route of the table, with the route's sample path. */
static void each_route(void (*check)(const struct route *t, int n, int i, const char *path))
{
    int n = 0;
    const struct route *t = routes_table(&n);
    for (int i = 0; i < n; i++) {
        char path[512];
        sample_path(t[i].pattern, path, sizeof path);
        check(t, n, i, path);
    }
}

/* Route i's pattern matches its own sample path, with its params in order,
 * and no other pattern (but the catch-all) does. */
static void matches_own_pattern_only(const struct route *t, int n, int i, const char *path)
{
    struct http_req r;
    memset(&r, 0, sizeof r);
    CHECK_EQ_INT(match(t[i].pattern, path, &r), 1);
    for (int k = 0; k < n_params(t[i].pattern); k++) {
        char want[16];
        snprintf(want, sizeof want, "p%d", k);
        CHECK_EQ_STR(r.params[k], want);
    }
    for (int j = 0; j < n; j++) {
        if (is_static(&t[j]) || !strcmp(t[i].pattern, t[j].pattern))
            continue;
        size_t lj = strlen(t[j].pattern);
        if (t[j].pattern[lj - 1] == '*' && strcmp(t[i].method, t[j].method) != 0)
            continue; /* OPTIONS under /grafana/: one method's wildcard */
        memset(&r, 0, sizeof r);
        if (match(t[j].pattern, path, &r)) {
            fprintf(stderr, "'%s' matches '%s' too\n", path, t[j].pattern);
            CHECK(0);
        }
    }
    memset(&r, 0, sizeof r);
    CHECK_EQ_INT(match("/*", path, &r), 1);
}

TEST(own_pattern_only)
{
    each_route(matches_own_pattern_only);
}

TEST(params_in_order)
{
    struct http_req r;
    memset(&r, 0, sizeof r);
    CHECK_EQ_INT(match("/api/v1/models/{model}/versions/{version}/reference",
                       "/api/v1/models/vit-b.16/versions/2024_01/reference", &r),
                 1);
    CHECK_EQ_STR(r.params[0], "vit-b.16");
    CHECK_EQ_STR(r.params[1], "2024_01");
    CHECK_EQ_STR(r.params[2], "");
    /* a pattern is matched whole: no prefix, no trailing part, no empty segment */
    CHECK_EQ_INT(match("/api/v1/models/{model}", "/api/v1/models/m/drift", &r), 0);
    CHECK_EQ_INT(match("/api/v1/models/{model}/drift", "/api/v1/models/m", &r), 0);
    CHECK_EQ_INT(match("/api/v1/models/{model}/drift", "/api/v1/models//drift", &r), 0);
    CHECK_EQ_INT(match("/api/v1/models/{model}/drift", "/api/v1/models/m/drift/", &r), 0);
    CHECK_EQ_INT(match("/api/v1/models", "/api/v1/models/", &r), 0);
    CHECK_EQ_INT(match("/healthz", "/healthzz", &r), 0);
    CHECK_EQ_INT(match("/healthz", "/health", &r), 0);
    /* the segment is taken as it is: its name is checked after the match */
    CHECK_EQ_INT(match("/api/v1/models/{model}", "/api/v1/models/a b", &r), 1);
    CHECK_EQ_STR(r.params[0], "a b");
    /* names of dots only are refused after the match; other dots are names */
    auth_grants(AUTH_OK, DD_ROLE_ADMIN);
    CHECK_EQ_INT(prepare("GET", "/api/v1/models/.../drift", &r), 0);
    CHECK_EQ_STR(r.params[0], "...");
    CHECK_EQ_INT(prepare("GET", "/api/v1/models/.a/versions/b./reference", &r), 0);
    CHECK_EQ_STR(r.params[1], "b.");
}

TEST(segment_length)
{
    char seg[DD_NAME_MAX + 2], path[300];
    struct http_req r;
    memset(&r, 0, sizeof r);
    memset(seg, 'a', DD_NAME_MAX);
    seg[DD_NAME_MAX] = '\0';
    snprintf(path, sizeof path, "/api/v1/models/%s/drift", seg);
    CHECK_EQ_INT(match("/api/v1/models/{model}/drift", path, &r), 1);
    CHECK_EQ_INT(strlen(r.params[0]), DD_NAME_MAX);
    strcat(seg, "a"); /* 129 bytes */
    snprintf(path, sizeof path, "/api/v1/models/%s/drift", seg);
    memset(&r, 0, sizeof r);
    CHECK_EQ_INT(match("/api/v1/models/{model}/drift", path, &r), 0);
    /* through prepare: no route, and the catch-all refuses /api/ paths itself */
    auth_grants(AUTH_OK, DD_ROLE_ADMIN);
    CHECK_EQ_INT(prepare("GET", path, &r), 0);
    CHECK(r.handler == h_static);
}

/* A known path with another method is 405, an unknown one 404, and an
 * API path with a wrong method is never handed to the static files. */
TEST(not_found_and_method_not_allowed)
{
    struct http_req r;
    auth_grants(AUTH_OK, DD_ROLE_ADMIN);
    CHECK_EQ_INT(prepare("GET", "/api/v1/models/m/labels", &r), -1);
    CHECK_EQ_INT(answer.status, 405);
    CHECK_EQ_STR(answer.code, "method_not_allowed");
    CHECK(strstr(answer.message, "GET") && strstr(answer.message, "/api/v1/models/m/labels"));
    CHECK_EQ_INT(prepare("DELETE", "/api/v1/models", &r), -1);
    CHECK_EQ_INT(answer.status, 405);
    CHECK_EQ_INT(prepare("POST", "/api/v1/models/m/versions/v/reference", &r), -1);
    CHECK_EQ_INT(answer.status, 405);
    CHECK_EQ_INT(prepare("PUT", "/metrics", &r), -1);
    CHECK_EQ_INT(answer.status, 405);
    /* not a route and not a GET: 404 (the catch-all is GET only) */
    CHECK_EQ_INT(prepare("POST", "/nothing", &r), -1);
    CHECK_EQ_INT(answer.status, 404);
    CHECK_EQ_STR(answer.code, "not_found");
    CHECK(strstr(answer.message, "'/nothing'") != NULL);
    CHECK_EQ_INT(prepare("PUT", "/api/v1/models/m/nothing", &r), -1);
    CHECK_EQ_INT(answer.status, 404);
    /* GET of an unknown path goes to the static files (which answer 404 for /api/) */
    CHECK_EQ_INT(prepare("GET", "/api/v1/nothing", &r), 0);
    CHECK(r.handler == h_static);
    CHECK_EQ_INT(answer.answers, 0);
    CHECK_EQ_INT(prepare("GET", "/", &r), 0);
    CHECK(r.handler == h_static);
    CHECK_EQ_INT(r.route_role, DD_ROLE_NONE);
    /* each answered request got exactly one answer */
    CHECK_EQ_INT(prepare("GET", "/api/v1/models/m/labels", &r), -1);
    CHECK_EQ_INT(answer.answers, 1);
}

/* Route i's sample path prepares to route i, with auth asked for its role. */
static void prepares_to_route(const struct route *t, int n, int i, const char *path)
{
    (void)n;
    struct http_req r;
    auth_grants(AUTH_OK, DD_ROLE_ADMIN);
    CHECK_EQ_INT(prepare(t[i].method, path, &r), 0);
    CHECK(r.handler == t[i].fn);
    CHECK_EQ_INT(r.route, i);
    CHECK_EQ_INT(r.route_role, t[i].role);
    /* auth is asked for the route's role, and only when it has one */
    CHECK_EQ_INT(auth_stub.calls, t[i].role != DD_ROLE_NONE);
    if (t[i].role != DD_ROLE_NONE) {
        CHECK_EQ_INT(auth_stub.need, t[i].role);
        CHECK_EQ_INT(r.role, DD_ROLE_ADMIN);
    }
}

TEST(every_route_prepares)
{
    each_route(prepares_to_route);
}

TEST(head_is_get)
{
    struct http_req r;
    auth_grants(AUTH_OK, DD_ROLE_READ);
    CHECK_EQ_INT(prepare("HEAD", "/healthz", &r), 0);
    CHECK(r.handler == h_healthz);
    CHECK_EQ_INT(prepare("HEAD", "/api/v1/models/m", &r), 0);
    CHECK(r.handler == h_model_get);
    CHECK_EQ_INT(prepare("HEAD", "/api/v1/models/m/labels", &r), -1);
    CHECK_EQ_INT(answer.status, 405);
}

TEST(bad_names)
{
    struct http_req r;
    auth_grants(AUTH_OK, DD_ROLE_ADMIN);
    /* (http.c gives the path uncleaned: "." and ".." segments get here) */
    const char *bad[] = {"/api/v1/models/a~b/drift",
                         "/api/v1/models/../drift",
                         "/api/v1/models/./settings",
                         "/api/v1/models/a b/events",
                         "/api/v1/models/m/versions/v%/reference",
                         "/api/v1/models/m/versions/../reference",
                         "/api/v1/models/\xc3\xa9/settings"};
    const char *methods[] = {"GET", "GET", "GET", "POST", "PUT", "GET", "PUT"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(prepare(methods[i], bad[i], &r), -1);
        CHECK_EQ_INT(answer.status, 400);
        CHECK_EQ_STR(answer.code, "invalid_query");
        CHECK(strstr(answer.message, "[A-Za-z0-9._-]{1,128}") != NULL);
        CHECK(r.handler == NULL);
    }
    /* the name is checked before the key: a bad name never reaches auth */
    auth_grants(AUTH_UNAUTHORIZED, 0);
    CHECK_EQ_INT(prepare("GET", "/api/v1/models/a~b/drift", &r), -1);
    CHECK_EQ_INT(answer.status, 400);
    CHECK_EQ_INT(auth_stub.calls, 0);
}

/* match(pattern, path) matches, and leaves exactly the params p0 and p1 */
static void check_match_params(struct http_req *r, const char *pattern, const char *path,
                               const char *p0, const char *p1)
{
    CHECK_EQ_INT(match(pattern, path, r), 1);
    CHECK_EQ_STR(r->params[0], p0);
    CHECK_EQ_STR(r->params[1], p1);
}

/* The params are the matched route's: none left from a route tried before
 * (a path that matches no API route goes to the catch-all, not to a 400
 * about a name in a route it did not match). */
TEST(no_params_left_from_other_routes)
{
    const char *reference = "/api/v1/models/{model}/versions/{version}/reference";
    struct http_req r;
    memset(&r, 0, sizeof r);
    CHECK_EQ_INT(match(reference, "/api/v1/models/a/versions/b/nothing", &r), 0);
    check_match_params(&r, "/*", "/api/v1/models/a/versions/b/nothing", "", "");
    CHECK_EQ_INT(match(reference, "/api/v1/models/a/versions/b/reference", &r), 1);
    check_match_params(&r, "/api/v1/models/{model}/settings", "/api/v1/models/c/settings", "c", "");
    auth_grants(AUTH_OK, DD_ROLE_ADMIN);
    CHECK_EQ_INT(prepare("GET", "/api/v1/models/a~b/nothing", &r), 0);
    CHECK(r.handler == h_static);
    CHECK_EQ_INT(answer.answers, 0);
    CHECK_EQ_STR(r.params[0], "");
}

/* The Grafana datasource: its preflight needs no key and answers for any
 * path under /grafana/; another method there is a 405 on a known path and
 * not a 405 on an unknown one (the wildcard makes no path known). */
TEST(grafana_routes)
{
    struct http_req r;
    auth_grants(AUTH_UNAUTHORIZED, 0);
    CHECK_EQ_INT(prepare("OPTIONS", "/grafana/query", &r), 0);
    CHECK(r.handler == h_grafana_preflight);
    CHECK_EQ_INT(auth_stub.calls, 0);
    CHECK_EQ_INT(prepare("OPTIONS", "/grafana/anything/else", &r), 0);
    CHECK(r.handler == h_grafana_preflight);
    auth_grants(AUTH_OK, DD_ROLE_READ);
    CHECK_EQ_INT(prepare("GET", "/grafana/query", &r), -1);
    CHECK_EQ_INT(answer.status, 405);
    CHECK_EQ_INT(prepare("GET", "/grafana/nothing", &r), 0);
    CHECK(r.handler == h_static);
    CHECK_EQ_INT(prepare("POST", "/grafana/nothing", &r), -1);
    CHECK_EQ_INT(answer.status, 404);
    CHECK_EQ_INT(prepare("GET", "/grafana", &r), 0);
    CHECK(r.handler == h_grafana_test);
    CHECK_EQ_INT(auth_stub.need, DD_ROLE_READ);
    /* no origin configured: no CORS lines */
    CHECK(r.headers == NULL);
}

TEST(auth_answers)
{
    struct http_req r;
    auth_grants(AUTH_UNAUTHORIZED, 0);
    CHECK_EQ_INT(prepare("GET", "/api/v1/models", &r), -1);
    CHECK_EQ_INT(answer.status, 401);
    CHECK(r.handler == NULL);
    auth_grants(AUTH_FORBIDDEN, DD_ROLE_INGEST);
    CHECK_EQ_INT(prepare("PUT", "/api/v1/models/m/settings", &r), -1);
    CHECK_EQ_INT(answer.status, 403);
    CHECK_EQ_STR(answer.code, "forbidden");
    CHECK_EQ_STR(answer.message, "this endpoint needs the admin role");
    auth_grants(AUTH_FORBIDDEN, DD_ROLE_READ);
    CHECK_EQ_INT(prepare("POST", "/api/v1/models/m/events", &r), -1);
    CHECK_EQ_STR(answer.message, "this endpoint needs the ingest role");
    /* open routes never ask */
    auth_grants(AUTH_UNAUTHORIZED, 0);
    CHECK_EQ_INT(prepare("GET", "/readyz", &r), 0);
    CHECK(r.handler == h_readyz);
    CHECK_EQ_INT(auth_stub.calls, 0);
    CHECK_EQ_INT(r.role, 0);
    /* the granted role is the request's */
    auth_grants(AUTH_OK, DD_ROLE_INGEST);
    CHECK_EQ_INT(prepare("POST", "/api/v1/models/m/labels", &r), 0);
    CHECK(r.handler == h_labels_post);
    CHECK_EQ_INT(r.role, DD_ROLE_INGEST);
    CHECK_EQ_STR(r.params[0], "m");
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(table_invariants);
    RUN(own_pattern_only);
    RUN(params_in_order);
    RUN(segment_length);
    RUN(not_found_and_method_not_allowed);
    RUN(every_route_prepares);
    RUN(head_is_get);
    RUN(bad_names);
    RUN(no_params_left_from_other_routes);
    RUN(auth_answers);
    RUN(grafana_routes);
    CHECK_DONE();
}
