/* sort.c — LSD radix sort of doubles (see sort.h). */
#include "analysis/sort.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/sort_tmpl.h"
#include "base/alloc.h"

/* Below this, insertion sort beats four histogram passes. */
#define SORT_INSERTION_MAX 64

static inline uint64_t key_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
}

static inline double double_of(uint64_t k)
{
    uint64_t u = (k & 0x8000000000000000ull) ? (k & ~0x8000000000000000ull) : ~k;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

DD_SORT__INSERTION(insertion_sort, double)

void dd_sort_doubles(double *a, size_t n)
{
    if (n <= SORT_INSERTION_MAX) {
        insertion_sort(a, n);
        return;
    }
    uint64_t *k = dd_malloc(dd_mul(n, sizeof *k));
    uint64_t *t = dd_malloc(dd_mul(n, sizeof *t));
    size_t(*hist)[65536] = dd_calloc(4, sizeof *hist);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = key_of(a[i]);
        k[i] = x;
        hist[0][x & 0xffff]++;
        hist[1][(x >> 16) & 0xffff]++;
        hist[2][(x >> 32) & 0xffff]++;
        hist[3][x >> 48]++;
    }
    for (int p = 0; p < 4; p++) {
        int shift = 16 * p;
        size_t *h = hist[p];
        if (h[(k[0] >> shift) & 0xffff] == n)
            continue; /* every key has the same digit: the pass is a no-op */
        size_t sum = 0;
        for (size_t d = 0; d < 65536; d++) {
            size_t c = h[d];
            h[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            t[h[(k[i] >> shift) & 0xffff]++] = k[i];
        uint64_t *sw = k;
        k = t;
        t = sw;
    }
    for (size_t i = 0; i < n; i++)
        a[i] = double_of(k[i]);
    free(hist);
    free(t);
    free(k);
}

int dd_is_sorted(const double *a, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (a[i] < a[i - 1])
            return 0;
    return 1;
}

int dd_has_nonfinite(const double *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i]))
            return 1;
    return 0;
}
