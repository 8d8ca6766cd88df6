/* test_thread.c — base/thread.h: a monotonic condition variable times out
 * after the wait asked for, and dd_thread_stop() wakes a sleeping thread at
 * once (it never waits out the sleeper's timeout). */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "base/thread.h"
#include "base/timefmt.h"
#include "check.h"

struct sleeper {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int woken_by_stop;
};

static void deadline_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void *sleeper_main(void *arg)
{
    struct sleeper *s = arg;
    struct timespec until;
    deadline_in(&until, 60000); /* a minute: the stop must not wait for it */
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    while (!s->stop && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->cv, &s->mu, &until);
    s->woken_by_stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* a timed wait on the monotonic clock ends after about the time asked */
TEST(monotonic_timeout)
{
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv;
    dd_cond_init_monotonic(&cv);
    struct timespec until;
    int64_t t0 = (dd_mono_ns() / 1000000);
    deadline_in(&until, 50);
    pthread_mutex_lock(&mu);
    int rc = 0;
    while (rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&cv, &mu, &until);
    pthread_mutex_unlock(&mu);
    int64_t took = (dd_mono_ns() / 1000000) - t0;
    CHECK_CMP_INT(took, >=, 45);
    CHECK_CMP_INT(took, <, 5000);
    pthread_cond_destroy(&cv);
}

/* dd_thread_stop(): sets the flag, wakes the sleeper, joins it */
TEST(stop_wakes_and_joins)
{
    struct sleeper s = {.stop = 0};
    pthread_mutex_init(&s.mu, NULL);
    dd_cond_init_monotonic(&s.cv);
    CHECK_EQ_INT(pthread_create(&s.thread, NULL, sleeper_main, &s), 0);
    int64_t t0 = (dd_mono_ns() / 1000000);
    dd_thread_stop(s.thread, &s.mu, &s.cv, &s.stop);
    CHECK_CMP_INT((dd_mono_ns() / 1000000) - t0, <, 5000);
    CHECK_EQ_INT(s.stop, 1);
    CHECK_EQ_INT(s.woken_by_stop, 1);
    pthread_mutex_destroy(&s.mu);
    pthread_cond_destroy(&s.cv);
}

/* dd_futex_hash_reserve(): the slots asked for where the kernel has the
 * control (Linux 6.16+), 0 where it has not; never fewer than asked */
TEST(futex_hash_reserve)
{
    int got = dd_futex_hash_reserve(8192);
    if (got != 0)
        CHECK_CMP_INT(got, >=, 8192);
    CHECK_EQ_INT(dd_futex_hash_reserve(8192), got); /* asking again changes nothing */
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(monotonic_timeout);
    RUN(stop_wakes_and_joins);
    RUN(futex_hash_reserve);
    CHECK_DONE();
}
