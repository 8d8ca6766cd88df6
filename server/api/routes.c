/* routes.c — the route table and the dispatcher (routes.h). */
#include "server/api/routes.h"

#include <string.h>

#include "ingest/event.h"
#include "server/api/api.h"
#include "server/api/auth.h"
#include "server/api/grafana.h"
#include "server/api/metrics.h"
#include "server/api/handlers.h"

_Static_assert(DD_NAME_MAX <= HTTP_PARAM_MAX, "a name must fit in a path parameter");

/* Every endpoint driftd serves.  docs/api.md is the contract for each. */
static const struct route routes[] = {
    {"GET", "/healthz", DD_ROLE_NONE, h_healthz},
    {"GET", "/readyz", DD_ROLE_NONE, h_readyz},
    {"POST", "/api/v1/models/{model}/events", DD_ROLE_INGEST, h_events_post},
    {"POST", "/api/v1/models/{model}/labels", DD_ROLE_INGEST, h_labels_post},
    {"GET", "/api/v1/models/{model}/events", DD_ROLE_READ, h_events_export},
    {"GET", "/api/v1/models", DD_ROLE_READ, h_models_list},
    {"GET", "/api/v1/models/{model}", DD_ROLE_READ, h_model_get},
    {"DELETE", "/api/v1/models/{model}", DD_ROLE_ADMIN, h_model_delete},
    {"GET", "/api/v1/models/{model}/versions", DD_ROLE_READ, h_versions_list},
    {"GET", "/api/v1/models/{model}/versions/{version}", DD_ROLE_READ, h_version_get},
    {"DELETE", "/api/v1/models/{model}/versions/{version}", DD_ROLE_ADMIN, h_version_delete},
    {"DELETE", "/api/v1/models/{model}/events", DD_ROLE_ADMIN, h_events_delete},
    {"GET", "/api/v1/models/{model}/drift", DD_ROLE_READ, h_drift_get},
    {"GET", "/api/v1/models/{model}/drift/history", DD_ROLE_READ, h_drift_history},
    {"GET", "/api/v1/models/{model}/distributions", DD_ROLE_READ, h_distributions},
    {"PUT", "/api/v1/models/{model}/versions/{version}/reference", DD_ROLE_ADMIN, h_reference_put},
    {"GET", "/api/v1/models/{model}/versions/{version}/reference", DD_ROLE_READ, h_reference_get},
    {"DELETE", "/api/v1/models/{model}/versions/{version}/reference", DD_ROLE_ADMIN,
     h_reference_delete},
    {"GET", "/api/v1/models/{model}/settings", DD_ROLE_READ, h_settings_get},
    {"PUT", "/api/v1/models/{model}/settings", DD_ROLE_ADMIN, h_settings_put},
    /* alerting (h_alerts.c) */
    {"GET", "/api/v1/receivers", DD_ROLE_ADMIN, h_receivers_list},
    {"POST", "/api/v1/receivers", DD_ROLE_ADMIN, h_receivers_post},
    {"GET", "/api/v1/receivers/{id}", DD_ROLE_ADMIN, h_receiver_get},
    {"DELETE", "/api/v1/receivers/{id}", DD_ROLE_ADMIN, h_receiver_delete},
    {"GET", "/api/v1/rules", DD_ROLE_ADMIN, h_rules_list},
    {"POST", "/api/v1/rules", DD_ROLE_ADMIN, h_rules_post},
    {"GET", "/api/v1/rules/{id}", DD_ROLE_ADMIN, h_rule_get},
    {"PUT", "/api/v1/rules/{id}", DD_ROLE_ADMIN, h_rule_put},
    {"DELETE", "/api/v1/rules/{id}", DD_ROLE_ADMIN, h_rule_delete},
    {"GET", "/api/v1/silences", DD_ROLE_ADMIN, h_silences_list},
    {"POST", "/api/v1/silences", DD_ROLE_ADMIN, h_silences_post},
    {"DELETE", "/api/v1/silences/{id}", DD_ROLE_ADMIN, h_silence_delete},
    {"GET", "/api/v1/alerts", DD_ROLE_READ, h_alerts_list},
    {"POST", "/api/v1/receivers/{id}/test", DD_ROLE_ADMIN, h_receiver_test},
    {"GET", "/metrics", DD_ROLE_READ, h_metrics},
    /* the Grafana JSON datasource (h_grafana.c, docs/grafana.md) */
    {"GET", "/grafana", DD_ROLE_READ, h_grafana_test},
    {"GET", "/grafana/", DD_ROLE_READ, h_grafana_test},
    {"POST", "/grafana/metrics", DD_ROLE_READ, h_grafana_metrics},
    {"POST", "/grafana/metric-payload-options", DD_ROLE_READ, h_grafana_payload_options},
    {"POST", "/grafana/query", DD_ROLE_READ, h_grafana_query},
    {"POST", "/grafana/variable", DD_ROLE_READ, h_grafana_variable},
    {"POST", "/grafana/tag-keys", DD_ROLE_READ, h_grafana_tag_keys},
    {"POST", "/grafana/tag-values", DD_ROLE_READ, h_grafana_tag_values},
    {"POST", "/grafana/search", DD_ROLE_READ, h_grafana_search},
    {"POST", "/grafana/annotations", DD_ROLE_READ, h_grafana_annotations},
    {"OPTIONS", "/grafana/*", DD_ROLE_NONE, h_grafana_preflight},
    /* last: the dashboard's static files (web/) */
    {"GET", "/*", DD_ROLE_NONE, h_static},
};

_Static_assert(sizeof routes / sizeof routes[0] <= METRICS_MAX_ROUTES,
               "every route needs its own request-metrics row (metrics.h)");

void routes_metrics_init(void)
{
    static const char *patterns[sizeof routes / sizeof routes[0]];
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        patterns[i] = routes[i].pattern;
    metrics_init(patterns, (int)(sizeof routes / sizeof routes[0]));
}

const struct route *routes_table(int *n)
{
    *n = (int)(sizeof routes / sizeof routes[0]);
    return routes;
}

/* Matches path against pattern; fills params.  1 on match. */
static int match(const char *pattern, const char *path, struct http_req *r)
{
    int np = 0;
    const char *p = pattern, *s = path;
    memset(r->params, 0, sizeof r->params); /* none left from a route tried before */
    while (*p) {
        if (p[0] == '*' && p[1] == '\0')
            return 1;
        if (*p == '{') {
            const char *close = strchr(p, '}');
            size_t n = strcspn(s, "/");
            /* any segment matches; its validity is checked after the match so
             * that a bad name is a 400 that says so, not a 404 */
            if (!close || np >= HTTP_MAX_PARAMS || n == 0 || n > DD_NAME_MAX)
                return 0;
            memcpy(r->params[np], s, n);
            r->params[np][n] = '\0';
            np++;
            p = close + 1;
            s += n;
            continue;
        }
        if (*p != *s)
            return 0;
        p++;
        s++;
    }
    return *s == '\0';
}

/* The path routes match: r->path, or under /grafana/ the path with each run
 * of slashes folded to one into buf (a datasource URL saved with a trailing
 * slash makes the plugin ask for /grafana//query). */
static const char *route_path(const char *path, char *buf, size_t size)
{
    size_t n = strlen(path);
    if (strncmp(path, "/grafana/", 9) != 0 || !strstr(path, "//") || n >= size)
        return path;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (path[i] != '/' || k == 0 || buf[k - 1] != '/')
            buf[k++] = path[i];
    buf[k] = '\0';
    return buf;
}

int routes_prepare(struct http_req *r)
{
    const struct route *found = NULL;
    int path_known = 0;
    int is_head = strcmp(r->method, "HEAD") == 0;
    char folded[256];
    const char *path = route_path(r->path, folded, sizeof folded);
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (!match(routes[i].pattern, path, r))
            continue;
        int is_static = strcmp(routes[i].pattern, "/*") == 0;
        size_t plen = strlen(routes[i].pattern);
        /* a wildcard route of one method (OPTIONS under /grafana/) does not make
         * every path under it known: another method there is a 404, not a 405 */
        int is_wildcard = plen > 0 && routes[i].pattern[plen - 1] == '*';
        if (is_static && path_known)
            break; /* an API path with the wrong method is not a file */
        if (strcmp(routes[i].method, r->method) == 0 ||
            (is_head && strcmp(routes[i].method, "GET") == 0)) {
            found = &routes[i];
            break;
        }
        if (!is_wildcard)
            path_known = 1;
    }
    if (!strncmp(r->path, "/grafana", 8) && (r->path[8] == '/' || !r->path[8]))
        r->headers = grafana_cors_headers(api_of(r)->grafana_cors_origin,
                                          http_header(r, "Origin")); /* on errors too */
    if (!found) {
        if (path_known)
            http_reply_error(r, 405, "method_not_allowed", -1, "%s is not allowed on '%s'",
                             r->method, r->path);
        else
            http_reply_error(r, 404, "not_found", -1, "no such path '%s'", r->path);
        return -1;
    }
    r->route = (int)(found - routes);
    r->route_role = (int)found->role;
    for (int i = 0; i < HTTP_MAX_PARAMS && r->params[i][0]; i++)
        if (!dd_name_valid(r->params[i], strlen(r->params[i])) || !strcmp(r->params[i], ".") ||
            !strcmp(r->params[i], "..")) {
            http_reply_error(r, 400, "invalid_query", -1,
                             "'%s' in the path must match [A-Za-z0-9._-]{1,128} and not be "
                             "'.' or '..'",
                             r->params[i]);
            return -1;
        }
    if (found->role != DD_ROLE_NONE) {
        int granted = 0;
        switch (auth_check(api_of(r)->auth, http_header(r, "Authorization"), (int)found->role,
                           &granted)) {
        case AUTH_OK:
            break;
        case AUTH_UNAUTHORIZED:
            http_reply_unauthorized(r);
            return -1;
        case AUTH_FORBIDDEN:
            http_reply_error(r, 403, "forbidden", -1, "this endpoint needs the %s role",
                             store_role_name((int)found->role));
            return -1;
        }
        r->role = granted;
    }
    r->handler = found->fn;
    return 0;
}

static void observe(const struct http_req *r, int status, double seconds)
{
    metrics_observe_request(r->route, status, seconds);
    if (r->route_role == DD_ROLE_INGEST && r->error_code)
        metrics_count_rejected(r->error_code);
}

const struct http_hooks routes_http_hooks = {routes_prepare, observe};
