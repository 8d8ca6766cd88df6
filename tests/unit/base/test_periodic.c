/* test_periodic.c — the background-thread loop (base/periodic.h): calls
 * repeat with the wait the job asks for, a stop never waits out an interval,
 * a long round sees periodic_stopping(), and an owned state is released once
 * the thread has ended. */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "base/timefmt.h"
#include "check.h"
#include "base/periodic.h"

struct job {
    struct periodic *p;
    atomic_int calls;
    int64_t wait_ms;
    int long_round; /* spin until stopping */
    atomic_int saw_stopping;
};

static int64_t job_fn(void *arg)
{
    struct job *j = arg;
    atomic_fetch_add(&j->calls, 1);
    if (j->long_round) {
        while (!periodic_stopping(j->p))
            usleep(1000);
        atomic_store(&j->saw_stopping, 1);
    }
    return j->wait_ms;
}

static double ms_since(int64_t t0)
{
    return (double)(dd_mono_ns() - t0) / 1e6;
}

/* every 10 ms: some calls in 300 ms, not one per microsecond */
TEST(repeats_with_wait)
{
    struct job a = {.wait_ms = 10};
    CHECK_EQ_INT(periodic_start(&a.p, job_fn, &a, 0), 0);
    usleep(300000);
    periodic_stop(a.p);
    int n = atomic_load(&a.calls);
    CHECK_CMP_INT(n, >=, 5);
    CHECK_CMP_INT(n, <=, 31);
}

/* called at once, then waits a minute: the stop ends the wait */
TEST(stop_ends_the_wait)
{
    struct job b = {.wait_ms = 60000};
    CHECK_EQ_INT(periodic_start(&b.p, job_fn, &b, 1u << 20), 0);
    while (atomic_load(&b.calls) == 0)
        usleep(1000);
    int64_t t0 = dd_mono_ns();
    periodic_stop(b.p);
    CHECK_CMP_DBL(ms_since(t0), <, 5000);
    CHECK_EQ_INT(atomic_load(&b.calls), 1);
}

/* a round in progress finishes first, and can see the stop coming */
TEST(long_round_sees_stop)
{
    struct job c = {.wait_ms = 0, .long_round = 1};
    CHECK_EQ_INT(periodic_start(&c.p, job_fn, &c, 0), 0);
    while (atomic_load(&c.calls) == 0)
        usleep(1000);
    periodic_stop(c.p);
    CHECK_EQ_INT(atomic_load(&c.saw_stopping), 1);
    CHECK_EQ_INT(atomic_load(&c.calls), 1);
    periodic_stop(NULL);
}

/* periodic_start_owning(): the state is released once, after the thread's
 * last call (a call that ran after the release would find freed == 1) */
static atomic_int freed, calls_after_free;

static int64_t owned_fn(void *arg)
{
    (void)arg;
    if (atomic_load(&freed))
        atomic_fetch_add(&calls_after_free, 1);
    return 1;
}

static void owned_release(void *arg)
{
    atomic_fetch_add(&freed, 1);
    free(arg);
}

TEST(owned_state_released_after_the_thread)
{
    struct periodic *p = NULL;
    CHECK_EQ_INT(periodic_start_owning(&p, owned_fn, malloc(64), 0, owned_release), 0);
    usleep(20000);
    CHECK_EQ_INT(atomic_load(&freed), 0);
    periodic_stop(p);
    CHECK_EQ_INT(atomic_load(&freed), 1);
    CHECK_EQ_INT(atomic_load(&calls_after_free), 0);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(repeats_with_wait);
    RUN(stop_ends_the_wait);
    RUN(long_round_sees_stop);
    RUN(owned_state_released_after_the_thread);
    CHECK_DONE();
}
