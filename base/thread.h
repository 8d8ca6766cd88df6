/* thread.h — the two pthread idioms of every background thread here.
 *
 * A background thread (periodic rounds, the writer, the checkpointer, the
 * HTTP watchdog) sleeps on a condition variable with a timeout on the
 * monotonic clock, so a wall-clock step neither skips nor repeats a wait,
 * and is stopped by setting a flag under its mutex, waking it and joining
 * it.
 */
#ifndef DD_THREAD_H
#define DD_THREAD_H
#include <pthread.h>

/* pthread_cond_init() with CLOCK_MONOTONIC for pthread_cond_timedwait(). */
void dd_cond_init_monotonic(pthread_cond_t *cv);

/* Sets *stop = 1 under mu, signals cv and joins thread. */
void dd_thread_stop(pthread_t thread, pthread_mutex_t *mu, pthread_cond_t *cv, int *stop);

#endif
