/* periodic.c — a thread that runs a job over and over (periodic.h). */
#include "base/periodic.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/thread.h"

struct periodic {
    pthread_t thread;
    periodic_fn fn;
    void *arg;
    void (*release)(void *arg); /* of an owned arg, NULL: not owned */
    pthread_mutex_t mu;         /* guards stopping */
    pthread_cond_t cv;          /* on CLOCK_MONOTONIC */
    int stopping;
};

static void *periodic_main(void *arg)
{
    struct periodic *p = arg;
    for (;;) {
        int64_t ms = p->fn(p->arg);
        if (ms < 0)
            ms = 0;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        int64_t ns = until.tv_nsec + (ms % 1000) * 1000000;
        until.tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
        until.tv_nsec = (long)(ns % 1000000000);
        pthread_mutex_lock(&p->mu);
        while (!p->stopping && pthread_cond_timedwait(&p->cv, &p->mu, &until) == 0)
            ;
        int stop = p->stopping;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            return NULL;
    }
}

/* Releases p once no thread runs it (it never started, or was joined). */
static void periodic_free(struct periodic *p)
{
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

int periodic_start(struct periodic **out, periodic_fn fn, void *arg, size_t stack_bytes)
{
    return periodic_start_owning(out, fn, arg, stack_bytes, NULL);
}

int periodic_start_owning(struct periodic **out, periodic_fn fn, void *arg, size_t stack_bytes,
                          void (*release)(void *arg))
{
    struct periodic *p = dd_calloc(1, sizeof *p);
    p->fn = fn;
    p->arg = arg;
    p->release = release;
    pthread_mutex_init(&p->mu, NULL);
    dd_cond_init_monotonic(&p->cv);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stack_bytes)
        pthread_attr_setstacksize(&attr, stack_bytes);
    *out = p;
    int rc = pthread_create(&p->thread, &attr, periodic_main, p);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        *out = NULL; /* before release: out may lie in arg */
        periodic_free(p);
        if (release)
            release(arg);
        return DD_EIO;
    }
    return 0;
}

int periodic_stopping(struct periodic *p)
{
    pthread_mutex_lock(&p->mu);
    int s = p->stopping;
    pthread_mutex_unlock(&p->mu);
    return s;
}

void periodic_stop(struct periodic *p)
{
    if (!p)
        return;
    dd_thread_stop(p->thread, &p->mu, &p->cv, &p->stopping);
    if (p->release)
        p->release(p->arg);
    periodic_free(p);
}
