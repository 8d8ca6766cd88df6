/* signals.h — from events to the per-signal arrays analysis/ computes on.
 *
 * The one code path between telemetry and statistics: `driftd check` and the
 * server's evaluator both prepare the reference side once
 * (signals_ref_build()) and pair it with a current window
 * (signals_build_cur()), then run dd_eval_run() (analysis/eval.h) on the
 * result.
 *
 * The reference side is the reference's summary: per signal its values
 * sorted ascending (numeric) or its category counts (categorical), and the
 * embedding rows (for MMD, and for the PCA that reference.h fits once).  It is
 * read-only once built or decoded, so evaluations on any number of threads
 * share it, and it has a byte form (signals_ref_encode()) that the server
 * stores, so a restart neither re-reads the reference's events nor re-sorts.
 *
 * Signals, in report order: confidence, prediction, latency, embedding,
 * feature:<name> and missing:<name> per feature (the reference's features
 * first), performance or error, probability:<k> (per class, for the first
 * SIGNALS_MAX_CLASSES classes of the reference's probability vectors).
 * A signal is built when either side has data for it; analysis/ answers
 * insufficient_data when a side has too little.
 *
 * Kinds.  A declared type (the "types" setting, signals_build_cur_typed())
 * comes first.  Else a feature is numeric when every value is a number or a
 * string that reads as one ("45.3"), categorical otherwise; when its values
 * mixed numbers and strings, the input's mixed_types is the count of the
 * rarer of the two (reference and window together).  The prediction is
 * numeric when an event had a regression's value (DD_HAS_PREDICTION_NUM;
 * integer predictions are then numbers too), categorical otherwise.  On the
 * current side the reference's kind is kept unless the window cannot be
 * read in it (a text value in a numeric feature, a regression's
 * prediction); the reference side is then re-read in the other kind
 * (numbers as their shortest text, or categories that read as numbers).
 * Values that cannot be read in a declared numeric kind are left out.
 *
 * missing:<name>: each event's value of the feature as "present" or
 * "missing" (JSON null, an empty CSV cell), tested with chi2 for a change
 * in the share of missing values; built only when some value was missing on
 * either side.  performance: events with a categorical prediction and a
 * label, "correct" or "incorrect", chi2 for a change in accuracy.  error:
 * with a numeric prediction, prediction - label for labels that read as
 * numbers, KS for a change in the error distribution.
 *
 * Categorical signals give their reference side as counts (ref_counts,
 * analysis/eval.h), never per-row indexes (ref_cat is NULL).
 *
 * A signal_set owns its current-side arrays and borrows the reference side:
 * keep the signals_ref alive while the set is used.  One set, one thread.
 */
#ifndef DD_SIGNALS_H
#define DD_SIGNALS_H
#include <stddef.h>
#include <stdint.h>

#include "analysis/eval.h"
#include "base/buf.h"
#include "ingest/event.h"

#define SIGNALS_MAX_CLASSES 20

struct signals_ref;

struct signal_set {
    struct dd_signal_input *inputs;
    size_t n;
    struct signal_priv *priv;
};

/* The reference side of every signal of n_ref events.  signals_ref_free(). */
struct signals_ref *signals_ref_build(const struct dd_event *ref, size_t n_ref);
void signals_ref_free(struct signals_ref *r);
/* Events the reference was built from. */
size_t signals_ref_events(const struct signals_ref *r);
/* The reference's embedding rows (row-major *n x *dim; *dim 0: none). */
const float *signals_ref_embeddings(const struct signals_ref *r, size_t *n, uint32_t *dim);
/* The kind of the signal `name` when the events had values for it, -1
 * otherwise. */
int signals_ref_kind(const struct signals_ref *r, const char *name);
/* Appends the names of the signals the events had, ", "-separated
 * (missing:<name> left out: every feature has one). */
void signals_ref_names(const struct signals_ref *r, struct dd_buf *out);
/* Bytes of a built reference side (host byte order, like dd_pca_encode()),
 * and back: 0, or DD_EINVAL for bytes that are not such an encoding. */
void signals_ref_encode(const struct signals_ref *r, struct dd_buf *out);
int signals_ref_decode(const void *bytes, size_t len, struct signals_ref **out);

/* Pairs the reference side with n_cur current events.  0, or DD_EDIM when
 * the current embeddings differ in dimension from the reference's (message
 * in err).  signals_release() in both cases. */
int signals_build_cur(const struct signals_ref *ref, const struct dd_event *cur, size_t n_cur,
                      struct signal_set *out, char *err, size_t errlen);
/* The same with the model's declared types (ms->types; NULL: none). */
struct model_settings;
int signals_build_cur_typed(const struct signals_ref *ref, const struct dd_event *cur, size_t n_cur,
                            const struct model_settings *ms, struct signal_set *out, char *err,
                            size_t errlen);
void signals_release(struct signal_set *s);

#endif
