/* performance.h — the "performance" block of a drift report: how well the
 * predictions of a set of events match their labels.
 *
 * Used for both sides: the reference's block is rendered once when the
 * reference is prepared (reference.h) and stored with it; the current
 * window's at every report (drift.h).  Pure function, any thread.
 */
#ifndef DD_PERFORMANCE_H
#define DD_PERFORMANCE_H
#include <stddef.h>

#include "base/buf.h"
#include "ingest/event.h"

#define PERFORMANCE_MAX_CLASSES 200 /* classes listed; the rest are counted only */

/* Appends {"labeled", "accuracy", "classes": {name: {precision, recall,
 * support}}} for the events of b that have both a prediction and a label;
 * returns how many have.  When an event of b has a regression's numeric
 * prediction (DD_HAS_PREDICTION_NUM) the block is {"labeled",
 * "regression": true, "used", "mae", "rmse", "labels_not_numeric"}
 * instead: mean absolute and root mean squared error over the `used`
 * events whose label reads as a number (the others are counted). */
size_t performance_json(const struct dd_batch *b, struct dd_buf *out);

#endif
