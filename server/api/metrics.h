/* metrics.h — the process's counters and the Prometheus text exposition.
 *
 * Request durations are recorded per (route pattern, status) in fixed
 * histogram buckets with relaxed atomics, so the hot path takes no lock.
 * metrics_render() writes the text format 0.0.4: HELP and
 * TYPE before each family, counters ending in _total, cumulative buckets
 * ending with le="+Inf".  Thread-safe.
 *
 * Per-model ingest counters (driftd_events_ingested_total{model},
 * driftd_events_duplicate_total{model}) are kept for at most
 * METRICS_MAX_MODELS models at once: a model met when the table is full is
 * counted under model="(other)" (a value no model name can take), so the
 * label's cardinality is bounded and sum() over it stays exact.  Deleting
 * a model frees its slot (metrics_forget_model()).  The table is guarded by
 * a mutex of its own; the request histograms stay lock-free.
 */
#ifndef DD_METRICS_H
#define DD_METRICS_H
#define METRICS_MAX_ROUTES 64         /* routes with their own histograms (routes.c checks) */
#define METRICS_MAX_MODELS 1000       /* models with their own ingest counters at once */
#define METRICS_OTHER_MODEL "(other)" /* the model label of the models over the cap */

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct writer_stats;

/* Call once before the server starts, with the route patterns in table order. */
void metrics_init(const char *const *route_patterns, int n_routes);
/* route: index in the table, -1 for unmatched paths. */
void metrics_observe_request(int route, int status, double seconds);
/* An ingest request refused with this error code ("invalid_event", ...). */
void metrics_count_rejected(const char *code);
/* A committed ingest batch of model: events stored and duplicates skipped. */
void metrics_count_model_events(const char *model, uint64_t accepted, uint64_t duplicates);
/* Drops model's counters (the model was deleted): its series leave /metrics
 * and its slot is free for another model.  The (other) series stays. */
void metrics_forget_model(const char *model);
void metrics_render(struct dd_buf *out, const struct writer_stats *ws);

#endif
