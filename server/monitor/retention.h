/* retention.h — deletes raw events older than the `retention` setting
 * (default 30 days) in small batches, in the background.
 *
 * Every `retention_interval` the thread lists the versions that have such
 * events (from the versions table, no scan) and asks the writer to delete
 * them RETENTION_BATCH at a time, oldest first: each batch is one short
 * transaction in the writer's queue, so ingest is never held up for long.
 * References are kept: a version still on its automatic reference gets it
 * copied aside first (store_w_retention()).  Stored evaluations are kept.
 */
#ifndef DD_RETENTION_H
#define DD_RETENTION_H

#define RETENTION_BATCH 5000

struct monitor_env;
struct retention;

int retention_start(const struct monitor_env *env, struct retention **out);
void retention_stop(struct retention *r);

#endif
