/* refcache.h — prepared references: read and summarised once, then shared.
 *
 * A stored reference (a refs row: set with PUT, or an automatic one once
 * frozen) is identified by its version and set_at.  The first evaluation
 * that needs it reads its events from ref_events and fits the embedding PCA
 * (analysis/embed.h) — or loads the PCA that an earlier run stored in
 * ref_summaries, so a restart does not fit again — and keeps both in memory.
 * Later evaluations borrow the entry instead of reading and fitting again.
 *
 * Threading: the cache's mutex guards the table and the borrow counts;
 * an entry's contents never change while it is in the table, so borrowers
 * read them without the lock.  A replaced reference (new set_at) drops the
 * old entry once its last borrower gives it back.
 */
#ifndef DD_REFCACHE_H
#define DD_REFCACHE_H
#include <stdint.h>

#include "analysis/embed.h"
#include "ingest/event.h"

#define REFCACHE_MAX 64           /* entries kept; least recently used go first */
#define REFCACHE_PCA_VARIANCE 0.9 /* the evaluation's defaults (eval.h) */
#define REFCACHE_PCA_MAX 32

struct store;
struct writer;
struct refcache;

struct refcache_entry {
    char model[DD_NAME_MAX + 1], version[DD_NAME_MAX + 1];
    int64_t set_ms;
    struct dd_batch ref;
    struct dd_pca pca;
    int has_pca;
    /* guarded by the cache's mutex */
    int borrowers;
    int stale;
    uint64_t last_used;
};

struct refcache *refcache_new(struct store *st, struct writer *w);
void refcache_free(struct refcache *c);
/* Borrows the prepared reference of (model, version) as set at set_ms.
 * 0, or the store's error. */
int refcache_get(struct refcache *c, const char *model, const char *version, int64_t set_ms,
                 struct refcache_entry **out);
void refcache_put(struct refcache *c, struct refcache_entry *e);

#endif
