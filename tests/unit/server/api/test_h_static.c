/* Tests server/api/h_static.c: which request paths name which files under
 * web_root (static_rel_path()), their Content-Types, the resolved-path check
 * that keeps symlinks inside the root, and h_static() end to end on a
 * temporary web_root with a secret beside it.  h_static.c is included with
 * its calls into server/http/ replaced by the stubs below, so no server is
 * needed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define http_reply_error stub_reply_error
#define http_reply_file stub_reply_file
#include "server/api/h_static.c"
#undef http_reply_error
#undef http_reply_file

static struct {
    int status; /* 0: no answer; 200: a file */
    char file[PATH_MAX];
    char ctype[64];
} answer;

void stub_reply_error(struct http_req *r, int status, const char *code, long index, const char *fmt,
                      ...)
{
    (void)r;
    (void)code;
    (void)index;
    (void)fmt;
    answer.status = status;
}

void stub_reply_file(struct http_req *r, const char *path, const char *content_type,
                     const char *cache_control)
{
    (void)r;
    answer.status = 200;
    snprintf(answer.file, sizeof answer.file, "%s", path);
    snprintf(answer.ctype, sizeof answer.ctype, "%s", content_type);
    CHECK_EQ_STR(cache_control, "no-cache");
}

TEST(rel_path)
{
    static const struct {
        const char *path;
        enum static_path want;
        const char *rel;
    } cases[] = {
        {"/", STATIC_OK, "index.html"},
        {"/app.js", STATIC_OK, "app.js"},
        {"/js/charts.js", STATIC_OK, "js/charts.js"},
        {"//js//charts.js", STATIC_OK, "js//charts.js"},
        {"/vendor/chart.umd.min.js", STATIC_OK, "node_modules/chart.js/dist/chart.umd.min.js"},
        {"/vendor/chart.umd.min.js.map", STATIC_OK,
         "node_modules/chart.js/dist/chart.umd.min.js.map"},
        {"/vendor/other.js", STATIC_OK, "vendor/other.js"}, /* an ordinary path under web/ */
        {"/%2e%2e/x", STATIC_OK, "%2e%2e/x"},               /* decoded once, by CivetWeb */
        {"/..", STATIC_BAD, NULL},
        {"/../x", STATIC_BAD, NULL},
        {"/a/../../x", STATIC_BAD, NULL},
        {"/a/..", STATIC_BAD, NULL},
        {"/./x", STATIC_BAD, NULL},
        {"/vendor/../node_modules/x", STATIC_BAD, NULL},
        {"/a\\..\\x", STATIC_BAD, NULL},
        {"/a\tb", STATIC_BAD, NULL},
        {"/a\x7f", STATIC_BAD, NULL},
        {"x", STATIC_BAD, NULL},
        {"/.env", STATIC_HIDDEN, NULL},
        {"/a/.git/config", STATIC_HIDDEN, NULL},
        {"/...", STATIC_HIDDEN, NULL},
        {"/node_modules/chart.js/dist/chart.umd.min.js", STATIC_HIDDEN, NULL},
        {"/a/node_modules/x.js", STATIC_HIDDEN, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[STATIC_PATH_MAX + 64] = "";
        enum static_path got = static_rel_path(cases[i].path, out, sizeof out);
        CHECK_EQ_INT(got, cases[i].want);
        if (cases[i].rel && got == STATIC_OK)
            CHECK_EQ_STR(out, cases[i].rel);
    }
    char longp[STATIC_PATH_MAX + 8];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    char out[STATIC_PATH_MAX + 64];
    CHECK_EQ_INT(static_rel_path(longp, out, sizeof out), STATIC_HIDDEN);
}

TEST(content_types)
{
    static const struct {
        const char *file, *type;
    } cases[] = {
        {"index.html", "text/html; charset=utf-8"},
        {"js/app.js", "text/javascript; charset=utf-8"},
        {"m.mjs", "text/javascript; charset=utf-8"},
        {"STYLE.CSS", "text/css; charset=utf-8"},
        {"a.svg", "image/svg+xml; charset=utf-8"},
        {"a.png", "image/png"},
        {"favicon.ico", "image/x-icon"},
        {"d.json", "application/json; charset=utf-8"},
        {"a.js.map", "application/json; charset=utf-8"},
        {"f.woff2", "font/woff2"},
        {"README", "application/octet-stream"},
        {"v1.2/README", "application/octet-stream"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* "file: type", so that a failure names the file */
        char got[128], want[128];
        const char *type = static_content_type(cases[i].file);
        snprintf(got, sizeof got, "%s: %s", cases[i].file, type ? type : "(null)");
        snprintf(want, sizeof want, "%s: %s", cases[i].file, cases[i].type);
        CHECK_EQ_STR(got, want);
    }
}

TEST(under_root)
{
    CHECK(static_under_root("/srv/web", "/srv/web/index.html"));
    CHECK(static_under_root("/srv/web", "/srv/web/js/a.js"));
    CHECK(!static_under_root("/srv/web", "/srv/web"));
    CHECK(!static_under_root("/srv/web", "/srv/web2/x"));
    CHECK(!static_under_root("/srv/web", "/srv/secret"));
    CHECK(static_under_root("/", "/etc/x"));
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* h_static() over a real folder: a file, index.html, a link inside the
 * root, a link out of it, a directory, the vendor alias. */
TEST(handler)
{
    char top[32] = "/tmp/dd-static-XXXXXX";
    CHECK(mkdtemp(top) != NULL);
    char root[256], p[PATH_MAX], q[PATH_MAX];
    snprintf(root, sizeof root, "%s/web", top);
    CHECK_EQ_INT(mkdir(root, 0700), 0);
    snprintf(p, sizeof p, "%s/index.html", root);
    put(p, "<p>hi</p>");
    snprintf(p, sizeof p, "%s/secret.txt", top);
    put(p, "secret");
    snprintf(q, sizeof q, "%s/out.js", root);
    CHECK_EQ_INT(symlink(p, q), 0);
    snprintf(q, sizeof q, "%s/in.html", root);
    CHECK_EQ_INT(symlink("index.html", q), 0);
    char dist[PATH_MAX / 2];
    snprintf(dist, sizeof dist, "%s/node_modules/chart.js/dist", root);
    snprintf(p, sizeof p, "%s", dist);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", p);
    CHECK_EQ_INT(system(cmd), 0);
    snprintf(q, sizeof q, "%s/chart.umd.min.js", dist);
    put(q, "chart");

    struct api api = {.web_root = root};
    struct http_req r = {.ctx = &api, .method = "GET"};
    char real_root[PATH_MAX];
    CHECK(realpath(root, real_root) != NULL);
    static const struct {
        const char *path;
        int status;
        const char *file; /* under the root, for a 200 */
    } cases[] = {
        {"/", 200, "index.html"},
        {"/in.html", 200, "index.html"},
        {"/vendor/chart.umd.min.js", 200, "node_modules/chart.js/dist/chart.umd.min.js"},
        {"/out.js", 404, NULL},
        {"/missing.js", 404, NULL},
        {"/../secret.txt", 400, NULL},
        {"/node_modules/chart.js/dist/chart.umd.min.js", 404, NULL},
        {"/api/v1/nope", 404, NULL},
        {"/grafana", 404, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&answer, 0, sizeof answer);
        r.path = cases[i].path;
        h_static(&r);
        CHECK_EQ_INT(answer.status, cases[i].status);
        if (cases[i].file) {
            char want[PATH_MAX * 2];
            snprintf(want, sizeof want, "%s/%s", real_root, cases[i].file);
            CHECK_EQ_STR(answer.file, want);
        }
    }
    /* a directory resolves under the root: http_reply_file() answers 404 for it */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    CHECK_EQ_INT(system(cmd), 0);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(rel_path);
    RUN(content_types);
    RUN(under_root);
    RUN(handler);
    CHECK_DONE();
}
