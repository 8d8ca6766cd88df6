/* signals.h — from events to the per-signal arrays analysis/ computes on.
 *
 * The one code path between telemetry and statistics: `driftd check` and the
 * server's evaluator both call signals_build() on a reference and a current
 * set of events, then dd_eval_run() (analysis/eval.h) on the result.
 *
 * Signals, in report order: confidence, prediction, latency, embedding,
 * feature:<name> (numeric when every value of that feature is a number,
 * categorical otherwise), performance (events with both prediction and
 * label: "correct" or "incorrect", tested with chi2 for a change in
 * accuracy), probability:<k> (per class, for the first SIGNALS_MAX_CLASSES
 * classes of the reference's probability vectors).  A signal is
 * built when either side has data for it; analysis/ answers
 * insufficient_data when a side has too little.
 *
 * The set owns every array it points to.  Not thread-safe; one set, one
 * thread.
 */
#ifndef DD_SIGNALS_H
#define DD_SIGNALS_H
#include <stddef.h>

#include "analysis/eval.h"
#include "ingest/event.h"

#define SIGNALS_MAX_CLASSES 20

struct signal_set {
    struct dd_signal_input *inputs;
    size_t n;
    struct signal_priv *priv;
};

/* 0, or DD_EDIM when the reference and current embeddings differ in
 * dimension (message in err). */
int signals_build(const struct dd_event *ref, size_t n_ref, const struct dd_event *cur,
                  size_t n_cur, struct signal_set *out, char *err, size_t errlen);
void signals_release(struct signal_set *s);

#endif
