/* delivery.h — the delivery worker: sends the outbox's notifications.
 *
 * The rules engine writes one outbox row per receiver and notification in
 * the transaction of the alert's state change (store.h, "alert delivery").
 * This worker sends them, so a notification is neither lost nor sent for a
 * change that was not stored:
 *
 *   a dispatcher thread    reads the due rows (store_r_outbox_due()) every
 *                          poll interval (1 s) and at once after a delivery
 *                          ends; hands each row to
 *                          the pool unless its receiver already has one in
 *                          flight (at most one request per receiver, so a
 *                          slow receiver holds up nobody else)
 *   a pool of threads      per row: load the receiver, notify_render() now
 *                          (fresh webhook-timestamp and signature, the row's
 *                          message id), notify_send() outside every lock and
 *                          transaction, notify_classify() against the row's
 *                          age, and record the attempt and the new state
 *                          through the writer (writer_submit_delivery_attempt())
 *
 * Nothing is kept in memory that a restart would need: a row stays pending
 * until its attempt is recorded, so after a crash it is sent again (with the
 * same webhook-id: receivers drop the duplicate).  The writer is only used
 * for the short record after a send, never held during one, so a dead
 * receiver never slows ingest or evaluation.
 *
 * Threading: delivery_test() and delivery_render_metrics()
 * from any thread; the counters are guarded by the worker's mutex.
 */
#ifndef DD_DELIVERY_H
#define DD_DELIVERY_H
#include <stdint.h>

#include "base/buf.h"

struct store;
struct writer;
struct delivery;

struct delivery_options {
    int threads;                /* sending threads; <= 0: 4 */
    int64_t connect_timeout_ms; /* <= 0: 5 s */
    int64_t timeout_ms;         /* the whole attempt; <= 0: 15 s */
    int64_t max_age_ms;         /* retries stop this long after the row was queued; <= 0: 24 h */
    int64_t poll_ms;            /* how often due rows are looked for; <= 0: 1 s */
};

/* Starts the dispatcher and the pool.  0 or DD_EIO. */
int delivery_start(struct store *st, struct writer *w, const struct delivery_options *o,
                   struct delivery **out);
/* Stops: sends in flight finish (at most the timeout) and are recorded;
 * rows not yet sent stay pending for the next start.  Call before
 * writer_stop().  NULL-safe. */
void delivery_stop(struct delivery *d);

/* POST /api/v1/receivers/{id}/test: sends a test notification (event
 * "test", not stored in the outbox) to the stored receiver now and appends
 * what happened as JSON to out: {"receiver", "type", "sent", "status",
 * "body", "elapsed_ms", "delivered"} or, without an answer, "error" and
 * "timed_out"; with nothing to send, "sent": false and "reason".  0, or
 * DD_ENOTFOUND (no such receiver), DD_EIO; err says what. */
int delivery_test(struct delivery *d, const char *receiver_id, struct dd_buf *out, char *err,
                  size_t errlen);

/* Appends driftd_alerts{state}, driftd_notifications_total{receiver,
 * outcome}, driftd_outbox_pending and driftd_outbox_oldest_pending_seconds.
 * NULL-safe (nothing). */
void delivery_render_metrics(struct delivery *d, struct dd_buf *out);

#endif
