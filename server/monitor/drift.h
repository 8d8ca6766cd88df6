/* drift.h — one drift evaluation from events to the drift endpoint's body.
 *
 * The single code path shared by `driftd check` and the server: a prepared
 * reference (reference.h) and a current window's events -> signals
 * (signals.h) -> dd_eval_run()
 * (analysis/eval.h) -> JSON in the shape of docs/api.md's
 * `GET /api/v1/models/{model}/drift`.  Not thread-safe per call; any
 * number of calls may run at once on different threads.
 */
#ifndef DD_DRIFT_H
#define DD_DRIFT_H
#include <stddef.h>
#include <stdint.h>

#include "analysis/eval.h"
#include "base/buf.h"
#include "ingest/event.h"

struct drift_meta {
    const char *model, *version; /* version NULL -> null */
    int64_t from_ms, to_ms;      /* current window; -1 -> null */
    size_t n_cur_total;          /* events in the window before sampling */
    size_t n_excluded;           /* events of the automatic reference taken out of the
                                    window (window.h); 0: the member is left out */
    size_t n_cur, n_ref;         /* events evaluated */
    int sampled;
    int64_t computed_ms;         /* -1: leave "computed_at" out */
    const char *ref_performance; /* "performance" of the reference (reference.h);
                                     NULL: no labeled reference event */
    const struct dd_batch *cur;  /* for "performance" (labels); may be NULL */
};

struct model_settings;
/* Evaluates with options o, then a model's settings on top (NULL: none);
 * 0, or a DD_E* code with a message in err (e.g. DD_EDIM). */
struct ref_prepared;
/* ref: a prepared reference (reference.h); its PCA, when it has one, is
 * used instead of fitting one per evaluation. */
int drift_evaluate(const struct ref_prepared *ref, const struct dd_batch *cur,
                   const struct dd_eval_options *o, const struct model_settings *ms,
                   struct dd_report *rep, char *err, size_t errlen);
/* The report's top-level status (docs/api.md): "ok", "drift",
 * "insufficient_data" (no test had data), "no_reference" (the reference is
 * empty).  Static string. */
const char *drift_status(const struct dd_report *rep);
/* The drift endpoint's body: model, version, window, reference,
 * computed_at, performance, "status", then dd_report_json_members(). */
void drift_report_json(const struct drift_meta *m, const struct dd_report *rep, struct dd_buf *out);

#endif
