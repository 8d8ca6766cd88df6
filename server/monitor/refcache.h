/* refcache.h — prepared references: summarised once, stored, then shared.
 *
 * A stored reference (a refs row: set with PUT, or an automatic one once
 * frozen) is identified by its version and set_at.  The first use of it
 * (the PUT that sets it, or the first evaluation) reads its events from
 * ref_events, prepares it (reference.h: per-signal summaries, embedding PCA,
 * performance) and stores the prepared bytes in ref_summaries; after a
 * restart the bytes are decoded instead.  The entry stays in memory, and
 * every later evaluation borrows it: no evaluation reads a stored
 * reference's events again.
 *
 * Threading: the cache's mutex guards the table and the borrow counts;
 * an entry's contents never change while it is in the table, so borrowers
 * read them without the lock.  A replaced reference (new set_at) drops the
 * old entry once its last borrower gives it back.
 */
#ifndef DD_REFCACHE_H
#define DD_REFCACHE_H
#include <stdint.h>

#include "ingest/event.h"
#include "server/monitor/reference.h"

#define REFCACHE_MAX 64 /* entries kept; least recently used go first */

struct store;
struct writer;
struct refcache;

struct refcache_entry {
    char model[DD_NAME_MAX + 1], version[DD_NAME_MAX + 1];
    int64_t set_ms;
    struct ref_prepared ref;
    /* guarded by the cache's mutex */
    int borrowers;
    int stale;
    int recalibrating; /* a job to calibrate it again is queued or running */
    uint64_t last_used;
};

struct refcache *refcache_new(struct store *st, struct writer *w);
void refcache_free(struct refcache *c);
/* Borrows the prepared reference of (model, version) as set at set_ms.
 * 0, or the store's error. */
int refcache_get(struct refcache *c, const char *model, const char *version, int64_t set_ms,
                 struct refcache_entry **out);
void refcache_put(struct refcache *c, struct refcache_entry *e);
/* Prepares (and stores) the version's current explicit reference now, so
 * that no evaluation has to: what a PUT of a reference does once it is set.
 * Nothing when the version has none or the store fails. */
void refcache_prepare_current(struct refcache *c, const char *model, const char *version);

/* Calibrates new references in the background from now on (the server):
 * a reference is prepared without its verdict calibration (which costs
 * seconds), marked calibrating (Holm decides, the report's fallback says
 * "calibrating"), and queued; a thread calibrates it, stores the summary
 * again through the writer and replaces the cache's entry with the
 * calibrated one.  A summary stored while pending says so, and the next
 * start queues it again.  delay_ms holds each job back that long (tests).
 * Without this, a reference is calibrated while it is prepared (check, unit
 * tests).  The calibrator reads each model's declared types through its
 * settings (defaults: the server's; NULL: no types).  refcache_free() stops
 * the thread.  0 or DD_EIO. */
struct monitor_defaults;
int refcache_start_calibrator(struct refcache *c, int64_t delay_ms,
                              const struct monitor_defaults *defaults);
/* Queues the calibration of e's reference again (the calibrator's, with the
 * model's declared types as they are then), unless it is queued or running
 * or e is still waiting for its first: what an evaluation asks for when its
 * report has rows the calibration has under another method (a "types"
 * setting changed since; calibrate.h's n_stale).  The entry calibrated
 * again replaces e; until then e decides, those rows by Bonferroni. */
void refcache_recalibrate(struct refcache *c, struct refcache_entry *e);

#endif
