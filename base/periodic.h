/* periodic.h — a background thread that does one job over and over.
 *
 * The evaluator, retention and demo threads: run a function, wait, run it
 * again, until stopped.  The wait is on the monotonic clock (a wall-clock
 * step neither skips nor repeats a round) and ends at once on stop, so
 * shutdown never waits out an interval; a round in progress finishes first
 * (long rounds can poll periodic_stopping() and return early).
 */
#ifndef DD_PERIODIC_H
#define DD_PERIODIC_H
#include <stddef.h>
#include <stdint.h>

struct periodic;

/* Returns how many milliseconds to wait before the next call. */
typedef int64_t (*periodic_fn)(void *arg);

/* Starts a thread (stack_bytes 0: the default size) that calls fn(arg) at
 * once and then after each wait it asks for.  *out is set before the thread
 * starts, so fn may use it.  0 or DD_EIO. */
int periodic_start(struct periodic **out, periodic_fn fn, void *arg, size_t stack_bytes);
/* periodic_start() for a thread that owns arg: the state of a component that
 * is one periodic job (the evaluator, retention, the demo).  From this call
 * on release(arg) frees it: in periodic_stop(), once the thread has ended, or
 * at once if the thread cannot start (DD_EIO).  So the component's start is
 * "make arg, then this" and its stop is periodic_stop(). */
int periodic_start_owning(struct periodic **out, periodic_fn fn, void *arg, size_t stack_bytes,
                          void (*release)(void *arg));
/* 1 once periodic_stop() was called. */
int periodic_stopping(struct periodic *p);
/* Stops the thread and waits for it: a call in progress finishes first;
 * then releases an owned arg.  NULL-safe. */
void periodic_stop(struct periodic *p);

#endif
