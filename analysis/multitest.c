/* multitest.c — Holm–Bonferroni step-down. */
#include "analysis/multitest.h"

#include <stdlib.h>

#include "base/alloc.h"

/* Indexes of p in ascending order (stable enough: ties in p are harmless). */
static size_t *order_of(const double *p, size_t m)
{
    size_t *o = dd_malloc((m ? m : 1) * sizeof *o);
    for (size_t i = 0; i < m; i++)
        o[i] = i;
    /* insertion sort: m is the number of signals × methods, small, and this
     * avoids qsort's global comparator state across threads */
    for (size_t i = 1; i < m; i++) {
        size_t v = o[i], j = i;
        while (j > 0 && p[o[j - 1]] > p[v]) {
            o[j] = o[j - 1];
            j--;
        }
        o[j] = v;
    }
    return o;
}

size_t dd_holm(const double *p, size_t m, double alpha, int *reject)
{
    size_t *o = order_of(p, m), n = 0;
    for (size_t i = 0; i < m; i++)
        reject[i] = 0;
    for (size_t i = 0; i < m; i++) {
        if (!(p[o[i]] <= alpha / (double)(m - i)))
            break;
        reject[o[i]] = 1;
        n++;
    }
    free(o);
    return n;
}

void dd_holm_levels(const double *p, size_t m, double alpha, double *level)
{
    size_t *o = order_of(p, m);
    double stop = -1.0; /* the level of the first hypothesis not rejected */
    for (size_t i = 0; i < m; i++) {
        double l = alpha / (double)(m - i);
        if (stop >= 0) {
            level[o[i]] = stop;
            continue;
        }
        level[o[i]] = l;
        if (!(p[o[i]] <= l))
            stop = l;
    }
    free(o);
}

void dd_holm_adjust(const double *p, size_t m, double *adjusted)
{
    size_t *o = order_of(p, m);
    double run = 0.0;
    for (size_t i = 0; i < m; i++) {
        double a = (double)(m - i) * p[o[i]];
        if (a > run)
            run = a;
        adjusted[o[i]] = run < 1.0 ? run : 1.0;
    }
    free(o);
}
