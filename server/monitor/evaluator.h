/* evaluator.h — drift evaluation of model versions: on demand and on a
 * schedule.
 *
 * evaluate_version() is the one function behind `GET .../drift` and the
 * scheduled rounds: read the version's reference (the one set with PUT,
 * else its first reference_size events) and its current window (capped
 * at the max_sample setting, the most recent events), run drift_evaluate(), render
 * the drift endpoint's JSON.
 *
 * The evaluator thread runs a round every eval_interval: every version with
 * events in the last EVAL_ACTIVE_MS (and an idle one until its window is
 * empty: should_evaluate()) is evaluated over its model's window and
 * its results are stored (through the writer) for `.../drift/history`; the
 * latest per signal and method are kept in memory for /metrics, and so is
 * each version's distributions body (the same data, read once per round),
 * which `GET .../distributions` serves while it is younger than one
 * interval.
 *
 * Threading: evaluate_version() may run on any thread at once (readers
 * only).  The evaluator's latest-results table is guarded by its mutex.
 */
#ifndef DD_EVALUATOR_H
#define DD_EVALUATOR_H
#include <stdint.h>

#include "analysis/eval.h"
#include "base/buf.h"
#include "server/monitor/monitor.h"
#include "server/monitor/window.h"

#define EVAL_ACTIVE_MS (24 * 3600 * 1000LL)

struct evaluator;

/* Evaluates one version over `window` (NULL: the model's setting) at now_ms
 * with the model's settings.  json gets the drift endpoint's body; rep (may
 * be NULL) the report; dist (may be NULL) the distributions endpoint's body
 * for the same data (left empty if it cannot be built).  0, DD_EINVAL (window), DD_ENOTFOUND (model or
 * version), DD_EDIM (reference and current embeddings differ), DD_EIO; err
 * says what. */
int evaluate_version(const struct monitor_env *env, const char *model, const char *version,
                     const char *window, int64_t now_ms, struct dd_buf *json, struct dd_report *rep,
                     struct dd_buf *dist, char *err, size_t errlen);

/* The same over an arbitrary past period, from_ms <= ts < to_ms (GET
 * .../drift?from&to): on demand, never stored.  Errors as above. */
int evaluate_period(const struct monitor_env *env, const char *model, const char *version,
                    int64_t from_ms, int64_t to_ms, int64_t now_ms, struct dd_buf *json, char *err,
                    size_t errlen);

/* Starts the evaluator thread; env must outlive it. */
int evaluator_start(const struct monitor_env *env, struct evaluator **out);
void evaluator_stop(struct evaluator *e);
/* Appends the last round's distributions body for (model, version, window)
 * to out if it was computed at or after min_computed_ms: 0, else
 * DD_ENOTFOUND.  NULL-safe (no evaluator: DD_ENOTFOUND). */
int evaluator_distributions(struct evaluator *e, const char *model, const char *version,
                            const char *window, int64_t min_computed_ms, struct dd_buf *out);
/* Appends the drift gauges (labelled kind="test" or "effect_size"), the
 * per-version gauges driftd_version_status{status} (one-hot) and
 * driftd_last_event_timestamp_seconds, and the evaluation-duration
 * metrics; all as of the last round. */
void evaluator_render_metrics(struct evaluator *e, struct dd_buf *out);
/* A version's per-version series (drift gauges, driftd_version_status,
 * driftd_last_event_timestamp_seconds) are rendered while this says 1: the
 * version has had an event at or after now_ms - inactive_ms, or has never
 * had one (a reference waiting for traffic).  Pure. */
int evaluator_series_listed(int64_t last_ms, int64_t now_ms, int64_t inactive_ms);
/* model (version NULL: every version of it) was deleted: its series leave
 * /metrics now, and a round that read it before the delete does not bring
 * them back.  NULL-safe. */
void evaluator_forget(struct evaluator *e, const char *model, const char *version);

#endif
