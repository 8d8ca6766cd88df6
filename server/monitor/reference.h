/* reference.h — a reference prepared for evaluation, and its stored form.
 *
 * Everything an evaluation needs from a reference, computed once from its
 * events: the reference side of every signal (signals.h: sorted values,
 * category counts, embedding rows), the embedding PCA (analysis/embed.h:
 * mean, basis, the reference's sorted projections, its reconstruction
 * errors) and the reference side of the drift body's "performance" block.
 * refcache.c keeps prepared references in memory and their bytes in the
 * ref_summaries table, so later evaluations never rescan a reference and a
 * restart decodes it instead of reading its events and fitting again.
 *
 * A prepared reference is read-only after reference_prepare() or
 * reference_decode(): any number of evaluations may share it.
 */
#ifndef DD_REFERENCE_H
#define DD_REFERENCE_H
#include <stddef.h>

#include "analysis/calibrate.h"
#include "analysis/embed.h"
#include "base/buf.h"
#include "ingest/event.h"

/* The PCA a prepared reference carries: the evaluation's defaults (eval.h).
 * A model whose settings ask for other PCA options gets its own fit. */
#define REFERENCE_PCA_VARIANCE 0.9
#define REFERENCE_PCA_MAX 32

struct signals_ref;

struct ref_prepared {
    size_t n_events;
    struct signals_ref *sig;
    struct dd_pca pca;
    int has_pca;
    char *performance;                  /* JSON of "performance.reference"; NULL when no
                            reference event has both a prediction and a label */
    struct dd_calibration *calibration; /* the verdict's min-p calibration
                            (analysis/calibrate.h); NULL: none, Holm decides */
    /* no calibration yet, one is due: the server computes it in the
     * background (refcache.h); Holm decides until then */
    int calibrating;
};

/* Prepares the n events of b; with fit_pca, fits the embedding PCA too
 * (else the evaluation fits it when it needs it).  release with
 * reference_release(). */
void reference_prepare(const struct dd_batch *b, int fit_pca, struct ref_prepared *out);
void reference_release(struct ref_prepared *r);

/* Calibrates the verdict (analysis/calibrate.h) from the joint rows of the
 * n events of b, the events r was prepared from: a KS column per numeric
 * signal, chi2 per categorical, pca_ks for the embedding (r's PCA, or one
 * fitted here), for every signal that every event has.  Seeded: the same
 * events give the same calibration.  A signal with a declared type (ms, the
 * model's settings; NULL: none) is calibrated as the report will test it,
 * e.g. a numeric feature declared categorical by chi2.  Leaves
 * r->calibration NULL when the reference is too small (fewer than 40
 * events). */
struct model_settings;
void reference_calibrate(struct ref_prepared *r, const struct dd_batch *b,
                         const struct model_settings *ms);
/* The same for one report against the events of cur (driftd check): only
 * the pair sizes its effective sizes are judged at, so a small window pays
 * for small pairs alone.  Nothing when no signal of cur is in r. */
void reference_calibrate_for(struct ref_prepared *r, const struct dd_batch *b,
                             const struct dd_batch *cur);

/* Bytes of a prepared reference (host byte order: the database stays on the
 * machine that wrote it), and back: 0, or DD_EINVAL for bytes that are not
 * such an encoding (e.g. an older format: prepare again). */
void reference_encode(const struct ref_prepared *r, struct dd_buf *out);
int reference_decode(const void *bytes, size_t len, struct ref_prepared *out);

#endif
