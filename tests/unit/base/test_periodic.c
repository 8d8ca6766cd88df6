/* test_periodic.c — the background-thread loop (server/periodic.h): calls
 * repeat with the wait the job asks for, a stop never waits out an interval,
 * and a long round sees periodic_stopping(). */
#include <stdatomic.h>
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

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(repeats_with_wait);
    RUN(stop_ends_the_wait);
    RUN(long_round_sees_stop);
    CHECK_DONE();
}
