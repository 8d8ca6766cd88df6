/* sort.c — LSD radix sort of doubles (see sort.h). */
#include "analysis/sort.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/sort_tmpl.h"
#include "base/alloc.h"

/* Below this, insertion sort beats the histogram passes. */
#define SORT_INSERTION_MAX 64
/* Digit widths, by n (tests/bench/README.md, "Sorting").  Up to SORT_WIDE_MIN
 * elements, 11-bit digits: six passes, whose histograms (48 KiB, on the stack)
 * cost little to clear; 16-bit digits spent ~100 us a call on their 1 MiB of
 * histograms whatever n, 8-20x slower at n = 100..3000, the usual window.
 * Beyond it, 16-bit digits: four passes instead of six over the keys. */
#define SORT_WIDE_MIN 65536
#define SORT_NARROW_BITS 11
#define SORT_WIDE_BITS 16
#define SORT_PASSES(bits) ((64 + (bits)-1) / (bits))

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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* LSD radix sort of the keys of a[0..n) on digits of `bits` bits, in k[] with
 * t[] as scratch (n each) and hist as SORT_PASSES(bits) zeroed histograms of
 * 2^bits counts; returns k or t, whichever holds the sorted keys. */
static inline uint64_t *radix_keys(const double *a, uint64_t *k, uint64_t *t, size_t n, int bits,
                                   uint32_t *hist)
{
    int passes = SORT_PASSES(bits);
    size_t buckets = (size_t)1 << bits, mask = buckets - 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = key_of(a[i]);
        k[i] = x;
        for (int p = 0; p < passes; p++)
            hist[(size_t)p * buckets + ((x >> (bits * p)) & mask)]++;
    }
    for (int p = 0; p < passes; p++) {
        int shift = bits * p;
        uint32_t *h = hist + (size_t)p * buckets;
        if (h[(k[0] >> shift) & mask] == n)
            continue; /* every key has the same digit: the pass is a no-op */
        uint32_t sum = 0;
        for (size_t d = 0; d < buckets; d++) {
            uint32_t c = h[d];
            h[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            t[h[(k[i] >> shift) & mask]++] = k[i];
        uint64_t *sw = k;
        k = t;
        t = sw;
    }
    return k;
}

void dd_sort_doubles(double *a, size_t n)
{
    if (n <= SORT_INSERTION_MAX) {
        insertion_sort(a, n);
        return;
    }
    if (n > UINT32_MAX) { /* 32 GiB of doubles: the counts are 32-bit */
        qsort(a, n, sizeof *a, cmp_double);
        return;
    }
    /* keys and their copy in one block: glibc then serves repeated calls of
     * one size from the heap, where two blocks were returned to the system
     * and faulted in again on every call */
    uint64_t *block = dd_malloc(dd_mul(2 * n, sizeof *block)), *sorted;
    if (n < SORT_WIDE_MIN) {
        uint32_t hist[SORT_PASSES(SORT_NARROW_BITS) << SORT_NARROW_BITS];
        memset(hist, 0, sizeof hist);
        sorted = radix_keys(a, block, block + n, n, SORT_NARROW_BITS, hist);
    } else {
        uint32_t *hist =
            dd_calloc((size_t)SORT_PASSES(SORT_WIDE_BITS) << SORT_WIDE_BITS, sizeof *hist);
        sorted = radix_keys(a, block, block + n, n, SORT_WIDE_BITS, hist);
        free(hist);
    }
    for (size_t i = 0; i < n; i++)
        a[i] = double_of(sorted[i]);
    free(block);
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
