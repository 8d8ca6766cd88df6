/* demo.h — demo traffic (`driftd serve --demo`, README command one).
 *
 * A thread that feeds synthetic telemetry through the same parser and writer
 * as POST .../events, so that a fresh server has models, references, drift
 * results and metrics to show:
 *
 *   demo-classifier v1   5 classes, confidence, latency, probabilities,
 *                        features age (numeric) and country (categorical);
 *                        traffic like its reference: no drift
 *   demo-classifier v2   the same reference ("training set"), but traffic
 *                        that drifted: older users, another country mix, lower
 *                        confidence and accuracy
 *   demo-embedder   v1   16-d embeddings whose centroid moves away for
 *                        DEMO_PHASE_S seconds and back for as long, over and
 *                        over; its window is set to half that (2m) so that its
 *                        drift history shows the changes
 *
 * At start, each version without an explicit reference gets one of
 * DEMO_REFERENCE labelled events drawn from the undrifted distributions (a
 * PUT of events would do the same); demo-embedder gets settings {"window":
 * half the phase} unless it has stored settings; the alert rule
 * DEMO_RULE_ID (demo-embedder's verdict is drift, no receiver: alerts are
 * recorded, sent nowhere) is stored unless a rule of that id exists.  When
 * this start set the references (a fresh database), the demo also writes
 * DEMO_HISTORY_H hours of history first: DEMO_HISTORY_EVENTS events per
 * version every DEMO_HISTORY_STEP_S (with ts in the past; DEMO_HISTORY_RECENT
 * in the minutes just before the start, stored first) and their
 * evaluations at those times: the start's at once, so every version has a
 * status, the older ones in slices of each second after the live traffic
 * (DEMO_HISTORY_SLICE_MS, demo.c), so the drift history fills in seconds.  Then every second DEMO_RATE events per version,
 * timestamped on receipt, each with an id; the classifier's events carry no
 * label, and DEMO_LABEL_SHARE of them get theirs DEMO_LABEL_DELAY_S later
 * through the labels path (as POST .../labels), so performance is drawn from
 * late labels.  Only models named demo-* are touched.
 *
 * DRIFTD_DEMO_PHASE (seconds, 2 to 86400) replaces DEMO_PHASE_S, for tests
 * and for demos that must show an alert fire and resolve quickly.
 *
 * Threading: one demo thread (base/periodic.h) owns struct demo.
 */
#ifndef DD_DEMO_H
#define DD_DEMO_H
#include <stddef.h>

#include "analysis/rng.h"
#include "base/buf.h"

#define DEMO_RATE 50 /* events per second and version */
#define DEMO_REFERENCE 1000
#define DEMO_PHASE_S 240     /* demo-embedder: this long undrifted, then drifted */
#define DEMO_LABEL_SHARE 0.6 /* share of classifier events that get a label */
#define DEMO_LABEL_DELAY_S 5 /* how late a live event's label arrives */
#define DEMO_HISTORY_H 24
#define DEMO_HISTORY_STEP_S 1800 /* 49 points: a 24 h sparkline, an evaluation each */
#define DEMO_HISTORY_EVENTS 100  /* per version and point */
#define DEMO_HISTORY_RECENT 500  /* per version at the last point: a full window at start */
#define DEMO_RULE_ID "demo-embedder-drift"

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
