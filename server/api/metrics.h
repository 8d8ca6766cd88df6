/* metrics.h — the process's counters and the Prometheus text exposition.
 *
 * Request durations are recorded per (route pattern, status) in fixed
 * histogram buckets with relaxed atomics, so the hot path takes no lock.
 * metrics_render() writes the text format 0.0.4: HELP and
 * TYPE before each family, counters ending in _total, cumulative buckets
 * ending with le="+Inf".  Thread-safe.
 */
#ifndef DD_METRICS_H
#define DD_METRICS_H
#define METRICS_MAX_ROUTES 48 /* routes with their own histograms (routes.c checks) */

#include <stddef.h>

#include "base/buf.h"

struct writer_stats;

/* Call once before the server starts, with the route patterns in table order. */
void metrics_init(const char *const *route_patterns, int n_routes);
/* route: index in the table, -1 for unmatched paths. */
void metrics_observe_request(int route, int status, double seconds);
/* An ingest request refused with this error code ("invalid_event", ...). */
void metrics_count_rejected(const char *code);
void metrics_render(struct dd_buf *out, const struct writer_stats *ws);

#endif
