/* sort_tmpl.h — the sorted-array routines that analysis/ needs for two element
 * types, written once as macro templates (internal to analysis/).
 *
 * The report sorts and merges doubles (sort.c, ks.c); the calibration's Monte
 * Carlo does the same on uint32 ranks (calibrate.c), which stay their own type
 * because small integers radix-sort in two or three byte passes.  Each macro
 * defines a static function for one type in the file that invokes it.
 */
#ifndef DD_SORT_TMPL_H
#define DD_SORT_TMPL_H
#include <stddef.h>

/* static void NAME(T *a, size_t n): insertion sort of a[0..n), ascending and
 * stable; the short-array case of a radix sort. */
#define DD_SORT__INSERTION(NAME, T)                                                                \
    static void NAME(T *a, size_t n)                                                               \
    {                                                                                              \
        for (size_t i = 1; i < n; i++) {                                                           \
            T v = a[i];                                                                            \
            size_t j = i;                                                                          \
            while (j > 0 && a[j - 1] > v) {                                                        \
                a[j] = a[j - 1];                                                                   \
                j--;                                                                               \
            }                                                                                      \
            a[j] = v;                                                                              \
        }                                                                                          \
    }

/* static void NAME(const T *a, size_t n, size_t *i, const T *b, size_t m,
 * size_t *j): one step of the merge scan of two ascending arrays, with
 * *i < n and *j < m: moves *i and *j past every copy of the smaller of a[*i]
 * and b[*j], so that *i and *j count the values <= it (the two empirical CDFs
 * after each distinct value of the pooled sample). */
#define DD_SORT__MERGE_STEP(NAME, T)                                                               \
    static inline void NAME(const T *a, size_t n, size_t *i, const T *b, size_t m, size_t *j)      \
    {                                                                                              \
        T v = a[*i] < b[*j] ? a[*i] : b[*j];                                                       \
        while (*i < n && a[*i] == v)                                                               \
            ++*i;                                                                                  \
        while (*j < m && b[*j] == v)                                                               \
            ++*j;                                                                                  \
    }

#endif
