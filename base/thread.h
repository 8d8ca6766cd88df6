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

/* Sizes the kernel's futex hash for a process of many threads: Linux 6.16+
 * gives a process a private hash of a few slots per CPU (16 here), and
 * CivetWeb's thousands of idle connection threads all wait on one futex, so
 * every wake of another lock that shares their slot walks thousands of
 * waiters under a spinlock (tests/bench/README.md: 35% of a 4,096-thread
 * server's time in futex_wake; 8,192 slots bring it to the 64-thread level).
 * Call before starting threads.  The slots granted, or 0 where the kernel
 * has no such control (before 6.16: nothing to do). */
int dd_futex_hash_reserve(int slots);

#endif
