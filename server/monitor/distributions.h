/* distributions.h — the body of GET .../distributions (docs/api.md): what the
 * dashboard plots for one version's reference and current window.
 *
 * Numeric signals: counts on DIST_BINS equal bins spanning both sides;
 * categorical: shares of the most frequent categories, the rest folded into
 * "(other)"; embeddings: a 2-D PCA (fitted on a sample of the reference) of
 * up to DIST_MAX_POINTS rows per side.  Built on demand by the handler, and
 * by each scheduled evaluation round for the model's own window (the
 * evaluator keeps that snapshot; see evaluator_distributions()).
 */
#ifndef DD_DISTRIBUTIONS_H
#define DD_DISTRIBUTIONS_H
#include <stdint.h>

#include "base/buf.h"
#include "server/monitor/window.h"

/* Appends the body for d's reference and window to out; `only` (may be
 * NULL) keeps one signal.  0, DD_ENOTFOUND (no signal `only`), or DD_EDIM
 * (reference and current embeddings differ; err says how). */
int distributions_json(const struct window_data *d, const char *model, const char *version,
                       const char *only, int64_t computed_ms, struct dd_buf *out, char *err,
                       size_t errlen);
/* The same for a prepared reference and events in memory (`driftd check
 * --format html`, server/report_html.c); ms may be NULL (no declared types).
 * "reference.events" is ref's n_events, "window.events" cur's n. */
struct ref_prepared;
struct model_settings;
int distributions_json_events(const struct ref_prepared *ref, const struct dd_batch *cur,
                              const struct model_settings *ms, const char *model,
                              const char *version, const char *only, int64_t computed_ms,
                              struct dd_buf *out, char *err, size_t errlen);

#endif
