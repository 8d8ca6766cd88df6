/* api.h — the HTTP API's context: what every handler reaches through
 * api_of(r).  (The hooks server/http/ calls are in routes.h.)
 *
 * Filled once by `driftd serve` and read-only afterwards; the objects it
 * points to are thread-safe (store readers, writer queue, evaluator and
 * refcache locks, auth's key cache).
 */
#ifndef DD_API_H
#define DD_API_H
#include <stddef.h>
#include <stdint.h>

#include "server/http/http.h"
#include "server/monitor/monitor.h"

struct auth;
struct evaluator;
struct delivery;

struct api {
    const struct monitor_env *mon; /* settings defaults, intervals, reference_max */
    struct store *store;
    struct writer *writer;
    struct refcache *refcache;
    struct evaluator *evaluator;
    struct auth *auth;
    struct delivery *delivery; /* the alert delivery worker (test sends, metrics) */
    size_t body_limit;
    int64_t started_ms;
    const char *web_root; /* folder with the dashboard's files */
    /* the Origin /grafana/ answers allow (grafana.h); "": none */
    const char *grafana_cors_origin;
};

static inline struct api *api_of(const struct http_req *r)
{
    return (struct api *)r->ctx;
}

#endif
