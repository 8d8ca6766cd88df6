/* bench_sort.c — dd_sort_doubles() (analysis/sort.c) against the C library's
 * qsort() on the same arrays, in one run (tests/bench/sort/run.sh).
 *
 * The rank statistics sort every window and reference column: a window of a
 * few hundred to a few thousand events is the common case, 10^6 the large one.
 * For each size: uniform doubles from a fixed seed, sorted by both, the
 * results compared element by element (a mismatch exits 1), then the mean
 * time per call after one warm-up call, over enough repetitions to fill
 * ~0.2 s per side (3 from 10^6 on).
 *
 * usage: bench_sort [--sizes 100,1000,...]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/sort.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Mean seconds per call of sort (a copy of src each time; the copy is timed
 * on both sides alike). */
static double time_sort(void (*sort)(double *, size_t), const double *src, double *a, size_t n,
                        int reps)
{
    memcpy(a, src, n * sizeof *a); /* warm-up: the allocator's first-call costs land here */
    sort(a, n);
    double t0 = now();
    for (int r = 0; r < reps; r++) {
        memcpy(a, src, n * sizeof *a);
        sort(a, n);
    }
    return (now() - t0) / reps;
}

static void libc_qsort(double *a, size_t n)
{
    qsort(a, n, sizeof *a, cmp_double);
}

int main(int argc, char **argv)
{
    const char *sizes = "100,300,1000,3000,10000,100000,1000000,4000000";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
            sizes = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_sort [--sizes 100,1000,...]\n");
            return 2;
        }
    }
    printf("%10s %16s %16s %14s\n", "n", "dd_sort us", "qsort us", "qsort/dd_sort");
    uint64_t x = 0x9e3779b97f4a7c15ull; /* xorshift64: the same arrays every run */
    for (const char *p = sizes; *p;) {
        char *end;
        size_t n = strtoull(p, &end, 10);
        if (end == p || !n) {
            fprintf(stderr, "bench_sort: bad size list '%s'\n", sizes);
            return 2;
        }
        p = *end == ',' ? end + 1 : end;
        double *src = malloc(n * sizeof *src), *a = malloc(n * sizeof *a),
               *b = malloc(n * sizeof *b);
        if (!src || !a || !b)
            return 1;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            src[i] = (double)(x >> 11) / 9007199254740992.0 * 100.0 - 50.0;
        }
        int reps = n >= 1000000 ? 3 : (int)(2e7 / (double)n);
        double dd = time_sort(dd_sort_doubles, src, a, n, reps);
        double qs = time_sort(libc_qsort, src, b, n, reps);
        if (memcmp(a, b, n * sizeof *a) != 0) {
            fprintf(stderr, "bench_sort: dd_sort_doubles and qsort disagree at n=%zu\n", n);
            return 1;
        }
        printf("%10zu %16.2f %16.2f %14.2f\n", n, dd * 1e6, qs * 1e6, qs / dd);
        free(src);
        free(a);
        free(b);
    }
    return 0;
}
