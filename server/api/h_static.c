/* h_static.c — the catch-all GET route: the dashboard's files from web_root (handlers.h).
 *
 * The policy lives here, the HTTP mechanics in server/http/http.c
 * (http_reply_file(): ETag, If-None-Match -> 304, HEAD, the body streamed).
 * A request path reaches a file only through these steps, in order:
 *
 *   1. /api/... and /grafana/... are never files: a route that matched no
 *      method of the API answers its JSON 404 here, not a page.
 *   2. static_rel_path() on the path as CivetWeb hands it over, already
 *      percent-decoded (it decodes "%2e%2e" to "..", "%2f" to "/" and stops
 *      at "%00"; the raw target is not kept): a '.' or '..' segment, a
 *      control character or a backslash is 400; a dotfile or a node_modules
 *      segment is 404.  "/" is index.html, and /vendor/chart.umd.min.js
 *      (and its .map) is the one way into node_modules:
 *      web_root/node_modules/chart.js/dist/.
 *   3. realpath() of web_root and of the file: the file must lie under the
 *      root once every symlink is resolved, so a link pointing out of
 *      web_root is 404; the resolved path is opened with O_NOFOLLOW.
 *
 * Caching: every file answers Cache-Control: no-cache with an ETag, so a
 * browser revalidates each file on use and gets 304 without a body while it
 * is unchanged, and a new version of the pages shows on the next load (the
 * file names carry no hash, so a max-age would mix old and new modules).
 *
 * Threading: pure functions and a handler; any handler thread.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/log.h"
#include "server/api/api.h"
#include "server/api/handlers.h"

/* Longest decoded path served: the dashboard's paths are short; anything
 * longer is not one of its files. */
#define STATIC_PATH_MAX 512
#define STATIC_CACHE_CONTROL "no-cache"
#define STATIC_VENDOR_URL "/vendor/"
#define STATIC_VENDOR_DIR "node_modules/chart.js/dist/"

/* What static_rel_path() makes of a request path. */
enum static_path { STATIC_OK = 0, STATIC_BAD = 400, STATIC_HIDDEN = 404 };

/* The files of the vendor alias (URL under /vendor/ -> STATIC_VENDOR_DIR). */
static const char *const vendor_files[] = {"chart.umd.min.js", "chart.umd.min.js.map"};

/* The file a request path names, relative to web_root ("index.html",
 * "js/app.js", "node_modules/chart.js/dist/chart.umd.min.js"): STATIC_OK
 * and out, STATIC_BAD (a path no browser sends for a file: a '.' or '..'
 * segment, a control character, a backslash) or STATIC_HIDDEN (a dotfile,
 * node_modules, too long).  The path comes percent-decoded from CivetWeb
 * (http.h): it is not decoded again, so "%252e%252e" stays the name
 * "%2e%2e" and never becomes "..". */
static enum static_path static_rel_path(const char *path, char *out, size_t outsz)
{
    if (path[0] != '/')
        return STATIC_BAD;
    size_t n = strlen(path);
    if (n > STATIC_PATH_MAX)
        return STATIC_HIDDEN;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c < 0x20 || c == 0x7f || c == '\\')
            return STATIC_BAD;
    }
    if (!strcmp(path, "/")) {
        snprintf(out, outsz, "index.html");
        return STATIC_OK;
    }
    if (!strncmp(path, STATIC_VENDOR_URL, strlen(STATIC_VENDOR_URL))) {
        const char *name = path + strlen(STATIC_VENDOR_URL);
        for (size_t i = 0; i < sizeof vendor_files / sizeof vendor_files[0]; i++)
            if (!strcmp(name, vendor_files[i])) {
                snprintf(out, outsz, "%s%s", STATIC_VENDOR_DIR, name);
                return STATIC_OK;
            }
    }
    /* segment by segment: no '.', '..', dotfile or node_modules */
    for (const char *s = path + 1; *s;) {
        size_t len = strcspn(s, "/");
        if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
            return STATIC_BAD;
        if (s[0] == '.' || (len == 12 && !strncmp(s, "node_modules", 12)))
            return STATIC_HIDDEN;
        s += len;
        while (*s == '/')
            s++;
    }
    const char *rel = path + 1;
    while (*rel == '/')
        rel++;
    if ((size_t)snprintf(out, outsz, "%s", rel) >= outsz)
        return STATIC_HIDDEN;
    return STATIC_OK;
}

/* The Content-Type of a file by its extension (text ones in UTF-8). */
static const char *static_content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, /* RFC 9239 */
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".map", "application/json; charset=utf-8"}, /* source maps are JSON */
        {".svg", "image/svg+xml; charset=utf-8"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".webmanifest", "application/manifest+json; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    const char *slash = strrchr(name, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcasecmp(dot, types[i].ext))
                return types[i].type;
    return "application/octet-stream";
}

/* 1 when the resolved path lies strictly under the resolved root. */
static int static_under_root(const char *root, const char *path)
{
    size_t n = strlen(root);
    if (n && root[n - 1] == '/') /* root is "/" */
        n--;
    return !strncmp(path, root, n) && path[n] == '/' && path[n + 1] != '\0';
}

void h_static(struct http_req *r)
{
    const char *p = r->path;
    if (!strncmp(p, "/api/", 5) || !strcmp(p, "/api") || !strncmp(p, "/grafana/", 9) ||
        !strcmp(p, "/grafana")) {
        http_reply_error(r, 404, "not_found", -1, "no such path '%s'", p);
        return;
    }
    char rel[STATIC_PATH_MAX + 64];
    enum static_path v = static_rel_path(p, rel, sizeof rel);
    if (v == STATIC_BAD) {
        http_reply_error(r, 400, "invalid_query", -1,
                         "'%s' is not a file path: no '.' or '..' segments, encoded '/', NUL, "
                         "control characters or backslashes",
                         p);
        return;
    }
    char root[PATH_MAX], want[PATH_MAX + sizeof rel + 1], real[PATH_MAX];
    if (v == STATIC_HIDDEN || !realpath(api_of(r)->web_root, root) ||
        (size_t)snprintf(want, sizeof want, "%s/%s", root, rel) >= sizeof want ||
        !realpath(want, real) || !static_under_root(root, real)) {
        http_reply_error(r, 404, "not_found", -1, "no such file '%s'", p);
        return;
    }
    http_reply_file(r, real, static_content_type(rel), STATIC_CACHE_CONTROL);
}

void h_static_check_root(const char *web_root)
{
    struct stat st;
    if (stat(web_root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        dd_warn("no dashboard: web_root is not a folder", "web_root=\"%s\"", web_root);
        return;
    }
    char chart[PATH_MAX];
    snprintf(chart, sizeof chart, "%s/%s%s", web_root, STATIC_VENDOR_DIR, vendor_files[0]);
    if (stat(chart, &st) != 0)
        dd_warn("Chart.js is missing: the dashboard draws no charts and "
                "/vendor/chart.umd.min.js answers 404",
                "file=\"%s\" fix=\"bash scripts/deps.sh\"", chart);
}
