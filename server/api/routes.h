/* routes.h — the route table: every endpoint of driftd in one place.
 *
 * routes.c lists (method, path pattern, role, handler).  Patterns are
 * literal segments and {name} parameters ([A-Za-z0-9._-]{1,128}), copied to
 * req->params in order.  routes_prepare() matches, checks the names and the
 * API key's role (auth.h), and sets req->handler, which http.c calls once
 * the body is read; unknown paths answer 404, a known path with another
 * method 405, a missing key 401 (with WWW-Authenticate), a weak one 403.
 */
#ifndef DD_ROUTES_H
#define DD_ROUTES_H

#include "server/http/http.h"
#include "server/store/store.h" /* enum dd_role */

typedef void (*route_fn)(struct http_req *r);

struct route {
    const char *method;
    const char *pattern;
    enum dd_role role;
    route_fn fn;
};

/* 0 with r->handler set, or -1 when the error answer has been sent. */
int routes_prepare(struct http_req *r);
/* The hooks for http_start(): routes_prepare(), and request metrics
 * (metrics.h) for every answer. */
extern const struct http_hooks routes_http_hooks;
/* Gives metrics.h the route patterns (one histogram row each); once, before
 * http_start(). */
void routes_metrics_init(void);
/* The table, for tests and docs; *n gets its length. */
const struct route *routes_table(int *n);

#endif
