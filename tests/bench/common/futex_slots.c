/* futex_slots.c — an LD_PRELOAD shim for diagnosis: sets the size of the
 * process's private futex hash (Linux >= 6.16, prctl PR_FUTEX_HASH) before
 * main() and before any thread exists.
 *
 *   cc -shared -fPIC -O2 -o futex_slots.so tests/bench/common/futex_slots.c
 *   BENCH_FUTEX_SLOTS=8192 LD_PRELOAD=$PWD/futex_slots.so driftd serve ...
 *
 * BENCH_FUTEX_SLOTS=N asks for N buckets (a power of two >= 2; 0: the global
 * hash, as before 6.16).  Unset, it does nothing.  On stderr it says what the
 * kernel answered.  Why it exists: see tests/bench/README.md, "embedding_b64
 * and 4,096 connection threads". */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>

#ifndef PR_FUTEX_HASH
#define PR_FUTEX_HASH 78
#define PR_FUTEX_HASH_SET_SLOTS 1
#define PR_FUTEX_HASH_GET_SLOTS 2
#endif

__attribute__((constructor)) static void futex_slots(void)
{
    const char *s = getenv("BENCH_FUTEX_SLOTS");
    if (!s || !*s)
        return;
    int before = prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0, 0, 0);
    int rc = prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, atoi(s), 0, 0);
    int after = prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0, 0, 0);
    fprintf(stderr, "futex_slots: asked %s, slots %d -> %d (set: %s)\n", s, before, after,
            rc == 0 ? "ok" : "refused");
}
