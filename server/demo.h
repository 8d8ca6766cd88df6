/* demo.h — demo traffic (`driftd serve --demo`, README command one).
 *
 * A thread that feeds synthetic telemetry through the same parser and writer
 * as POST .../events, so that a fresh server has models, references, drift
 * results and metrics to show:
 *
 *   demo-classifier v1   5 classes, confidence, latency, probabilities, labels,
 *                        features age (numeric) and country (categorical);
 *                        traffic like its reference: no drift
 *   demo-classifier v2   the same reference ("training set"), but traffic
 *                        that drifted: older users, another country mix, lower
 *                        confidence and accuracy
 *   demo-embedder   v1   16-d embeddings whose centroid moves away for
 *                        DEMO_PHASE_S seconds and back for as long, over and
 *                        over; its window is set to 2m so that its drift
 *                        history shows the changes
 *
 * At start, each version without an explicit reference gets one of
 * DEMO_REFERENCE events drawn from the undrifted distributions (a PUT of
 * events would do the same), and demo-embedder gets settings {"window":
 * "2m"} unless it has stored settings.  Then every second DEMO_RATE events
 * per version, timestamped on receipt.  Only models named demo-* are touched.
 */
#ifndef DD_DEMO_H
#define DD_DEMO_H
#include <stddef.h>

#include "analysis/rng.h"
#include "base/buf.h"

#define DEMO_RATE 50 /* events per second and version */
#define DEMO_REFERENCE 1000
#define DEMO_PHASE_S 240 /* demo-embedder: this long undrifted, then drifted */

struct app;
struct demo;

int demo_start(struct app *app, struct demo **out);
/* Stops the thread (NULL-safe). */
void demo_stop(struct demo *d);

/* The JSON body ({"events": [...]}) of n demo events of one model ("demo-
 * classifier" or "demo-embedder") and version, drifted or not; no ts. */
void demo_body(struct dd_buf *out, const char *model, const char *version, int drifted, size_t n,
               struct dd_rng *rng);

#endif
