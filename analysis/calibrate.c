/* calibrate.c — pseudo-window min-p calibration and the calibrated verdict
 * (calibrate.h, docs/statistics.md "The verdict"). */
#include "analysis/calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/chi2.h"
#include "analysis/ks.h"
#include "analysis/method.h"
#include "analysis/rng.h"
#include "analysis/sort.h"
#include "analysis/sort_tmpl.h"
#include "base/alloc.h"
#include "base/bytes.h"
#include "base/err.h"

static const size_t ladder[DD_CALIB_MAX_SIZES] = {20, 50, 100, 200, 500, 1000};

#define CAL_MAGIC 0x4c434444u /* "DDCL" little-endian (bytes below) */
#define CAL_FORMAT 2u

struct calib_col {
    char *signal;
    unsigned method;
};

struct dd_calibration {
    size_t trials, n_cols, n_sizes;
    size_t sizes[DD_CALIB_MAX_SIZES];
    struct calib_col *cols;
    float *p;        /* n_sizes x trials x n_cols */
    unsigned format; /* of the bytes: 2 (u16 codes, what dd_calibrate() makes) or 1 (f32) */
};

/* The stored form of a p-value: 1024 steps per halving, 2^-64 and below
 * the last code.  The decision reads only the order of min-p values and
 * interpolates between neighbours, so 0.07% steps change nothing that
 * matters and halve the bytes of float32 (a summary holds sizes × trials ×
 * columns of them). */
#define P_CODE_STEPS 1024.0
static uint16_t p_code(double p)
{
    double e = p >= 1 ? 0 : p > 0 ? -log2(p) * P_CODE_STEPS : 65535.0;
    return e >= 65535.0 ? 65535 : (uint16_t)lround(e);
}

static float p_of_code(uint16_t q)
{
    return q ? (float)exp2(-(double)q / P_CODE_STEPS) : 1.0f;
}

/* ---- computing ----------------------------------------------------------- */

/* Ranks stand in for values: a KS statistic depends only on the order and
 * the ties of the pooled values, so rank[i] (equal values, equal ranks) gives
 * the same D as the values, and small unsigned integers sort in two or three
 * byte passes instead of dd_sort_doubles()'s six 11-bit passes over 64-bit keys. */
struct vi {
    double v;
    uint32_t i;
};

static int vi_cmp(const void *x, const void *y)
{
    double a = ((const struct vi *)x)->v, b = ((const struct vi *)y)->v;
    return (a > b) - (a < b);
}

/* rank[i] for component c of k of the n rows of v (dense ranks from 0). */
static void rank_column(const double *v, size_t n, size_t k, size_t c, uint32_t *rank)
{
    struct vi *o = dd_malloc(dd_mul(n, sizeof *o));
    for (size_t i = 0; i < n; i++)
        o[i] = (struct vi){v[i * k + c], (uint32_t)i};
    qsort(o, n, sizeof *o, vi_cmp);
    uint32_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && o[i].v != o[i - 1].v)
            r++;
        rank[o[i].i] = r;
    }
    free(o);
}

DD_SORT__INSERTION(insertion_sort_u32, uint32_t)
DD_SORT__MERGE_STEP(merge_step_u32, uint32_t)

/* Sorts n small unsigned integers (< 2^24) in place; tmp holds n. */
static void sort_u32(uint32_t *a, size_t n, uint32_t *tmp)
{
    if (n <= 64) {
        insertion_sort_u32(a, n);
        return;
    }
    uint32_t mx = 0;
    for (size_t i = 0; i < n; i++)
        mx = a[i] > mx ? a[i] : mx;
    for (int shift = 0; shift < 32 && (mx >> shift); shift += 8) {
        size_t h[257] = {0};
        for (size_t i = 0; i < n; i++)
            h[((a[i] >> shift) & 0xff) + 1]++;
        for (int d = 0; d < 256; d++)
            h[d + 1] += h[d];
        for (size_t i = 0; i < n; i++)
            tmp[h[(a[i] >> shift) & 0xff]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
}

struct scratch {
    uint32_t *ra, *rb, *tmp;
    uint64_t *c1, *c2;
    double *ptab; /* KS p-value of s vs s by h (D = h/s), NaN until needed */
};

/* s·D of two ascending rank arrays of s each: the largest |i - j| after
 * each distinct value, which is dd_ks_statistic_sorted()'s D times s (past
 * the end of one array the difference only shrinks). */
static size_t ks_h(const uint32_t *a, const uint32_t *b, size_t s)
{
    size_t i = 0, j = 0, h = 0;
    while (i < s && j < s) {
        merge_step_u32(a, s, &i, b, s, &j);
        size_t d = i > j ? i - j : j - i;
        h = d > h ? d : h;
    }
    return h;
}

/* KS p-value between the rows w1 and w2 (s each) of one ranked column: the
 * report's dd_ks_pvalue(h/s, s, s), looked up once per h. */
static double ks_p(const uint32_t *rank, const size_t *w1, const size_t *w2, size_t s,
                   struct scratch *x)
{
    for (size_t i = 0; i < s; i++) {
        x->ra[i] = rank[w1[i]];
        x->rb[i] = rank[w2[i]];
    }
    sort_u32(x->ra, s, x->tmp);
    sort_u32(x->rb, s, x->tmp);
    size_t h = ks_h(x->ra, x->rb, s);
    if (isnan(x->ptab[h])) {
        double d = (double)h / (double)s;
        x->ptab[h] = dd_ks_pvalue(&d, s, s, NULL);
    }
    return x->ptab[h];
}

/* rank: the column's ranks, component c at rank + c·n */
static double column_p(const struct dd_calib_column *col, const uint32_t *rank, size_t n,
                       const size_t *w1, const size_t *w2, size_t s, struct scratch *x)
{
    if (col->method == DD_M_CHI2) {
        size_t k = col->n_categories;
        memset(x->c1, 0, k * sizeof *x->c1);
        memset(x->c2, 0, k * sizeof *x->c2);
        for (size_t i = 0; i < s; i++) {
            x->c1[col->codes[w1[i]]]++;
            x->c2[col->codes[w2[i]]]++;
        }
        struct dd_chi2_result r;
        return dd_chi2_homogeneity(x->c1, x->c2, k, &r) == 0 ? r.p_value : NAN;
    }
    double pmin = 1.0; /* pca_ks: Bonferroni over the components, as dd_pca_ks() */
    for (size_t c = 0; c < col->k; c++)
        pmin = fmin(pmin, ks_p(rank + c * n, w1, w2, s, x));
    return col->method == DD_M_KS ? pmin : fmin(1.0, (double)col->k * pmin);
}

/* The ladder's indexes [*first, *last] that dd_calibration_decide() reads
 * for an effective size in [eff_lo, eff_hi], among its first n_sizes: the
 * size at or above eff_hi (or the largest) down to the size below eff_lo. */
static void sizes_needed(size_t n_sizes, double eff_lo, double eff_hi, size_t *first, size_t *last)
{
    size_t hi = 0;
    while (hi + 1 < n_sizes && (double)ladder[hi] < eff_hi)
        hi++;
    size_t lo = 0;
    while (lo + 1 < n_sizes && (double)ladder[lo + 1] <= eff_lo)
        lo++;
    *first = lo < hi ? lo : hi;
    *last = hi;
}

int dd_calibrate(const struct dd_calib_column *cols, size_t n_cols, size_t n_events, size_t trials,
                 uint64_t seed, struct dd_calibration **out)
{
    return dd_calibrate_range(cols, n_cols, n_events, trials, seed, 0.0, INFINITY, out);
}

int dd_calibrate_range(const struct dd_calib_column *cols, size_t n_cols, size_t n_events,
                       size_t trials, uint64_t seed, double eff_lo, double eff_hi,
                       struct dd_calibration **out)
{
    size_t max_cat = 1;
    for (size_t j = 0; j < n_cols; j++) {
        const struct dd_calib_column *c = &cols[j];
        if (c->method == DD_M_CHI2) {
            if (!c->codes || !c->n_categories)
                return DD_EINVAL;
            for (size_t i = 0; i < n_events; i++)
                if (c->codes[i] >= c->n_categories)
                    return DD_EINVAL;
            if (c->n_categories > max_cat)
                max_cat = c->n_categories;
        } else if (c->method == DD_M_KS || c->method == DD_M_PCA_KS) {
            size_t k = c->method == DD_M_KS ? 1 : c->k;
            if (!c->values || !k || dd_has_nonfinite(c->values, dd_mul(n_events, k)))
                return DD_EINVAL;
        } else {
            return DD_EINVAL;
        }
    }
    size_t n_sizes = 0;
    while (n_sizes < DD_CALIB_MAX_SIZES && 2 * ladder[n_sizes] <= n_events)
        n_sizes++;
    if (!n_sizes || !n_cols || !trials || n_events > UINT32_MAX || !(eff_lo <= eff_hi)) {
        *out = NULL;
        return 0;
    }
    size_t first, last;
    sizes_needed(n_sizes, eff_lo, eff_hi, &first, &last);
    const size_t *sizes = ladder + first;
    n_sizes = last - first + 1;
    struct dd_calibration *cal = dd_calloc(1, sizeof *cal);
    cal->trials = trials;
    cal->n_cols = n_cols;
    cal->n_sizes = n_sizes;
    cal->format = CAL_FORMAT;
    memcpy(cal->sizes, sizes, n_sizes * sizeof sizes[0]);
    cal->cols = dd_calloc(n_cols, sizeof *cal->cols);
    for (size_t j = 0; j < n_cols; j++) {
        cal->cols[j].signal = dd_strndup(cols[j].signal, strlen(cols[j].signal));
        cal->cols[j].method = cols[j].method;
    }
    cal->p = dd_malloc(dd_mul(dd_mul(n_sizes, trials), dd_mul(n_cols, sizeof *cal->p)));

    /* ranks of every KS column and PCA component, once */
    uint32_t **rank = dd_calloc(n_cols, sizeof *rank);
    for (size_t j = 0; j < n_cols; j++) {
        if (cols[j].method == DD_M_CHI2)
            continue;
        size_t k = cols[j].method == DD_M_KS ? 1 : cols[j].k;
        rank[j] = dd_malloc(dd_mul(dd_mul(n_events, k), sizeof **rank));
        for (size_t c = 0; c < k; c++)
            rank_column(cols[j].values, n_events, k, c, rank[j] + c * n_events);
    }
    size_t smax = sizes[n_sizes - 1];
    size_t *perm = dd_malloc(dd_mul(n_events, sizeof *perm));
    struct scratch x = {
        .ra = dd_malloc(smax * sizeof *x.ra),
        .rb = dd_malloc(smax * sizeof *x.rb),
        .tmp = dd_malloc(smax * sizeof *x.tmp),
        .ptab = dd_malloc((smax + 1) * sizeof *x.ptab),
        .c1 = dd_malloc(max_cat * sizeof *x.c1),
        .c2 = dd_malloc(max_cat * sizeof *x.c2),
    };
    struct dd_rng rng;
    float *p = cal->p;
    for (size_t z = 0; z < n_sizes; z++) {
        size_t s = sizes[z];
        /* each size its own stream from the identity: its p-values do not
         * depend on which other sizes are calibrated */
        dd_rng_seed(&rng, seed ^ (uint64_t)s);
        dd_rng_seed(&rng, dd_rng_next(&rng)); /* hashed: streams far apart */
        for (size_t i = 0; i < n_events; i++)
            perm[i] = i;
        for (size_t h = 0; h <= s; h++)
            x.ptab[h] = NAN;
        for (size_t t = 0; t < trials; t++) {
            /* partial Fisher–Yates: perm[0..2s) is a uniform draw without
             * replacement (continuing from any permutation keeps it so) */
            for (size_t i = 0; i < 2 * s; i++) {
                size_t j = i + (size_t)(dd_rng_next(&rng) % (n_events - i));
                size_t tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            for (size_t j = 0; j < n_cols; j++) {
                double pv = column_p(&cols[j], rank[j], n_events, perm, perm + s, s, &x);
                /* exactly what is stored: a decoded calibration decides alike */
                *p++ = p_of_code(p_code(isnan(pv) ? 1.0 : pv));
            }
        }
    }
    for (size_t j = 0; j < n_cols; j++)
        free(rank[j]);
    free(rank);
    free(perm);
    free(x.ra);
    free(x.rb);
    free(x.tmp);
    free(x.ptab);
    free(x.c1);
    free(x.c2);
    *out = cal;
    return 0;
}

void dd_calibration_free(struct dd_calibration *c)
{
    if (!c)
        return;
    for (size_t j = 0; j < c->n_cols; j++)
        free(c->cols[j].signal);
    free(c->cols);
    free(c->p);
    free(c);
}

size_t dd_calibration_trials(const struct dd_calibration *c)
{
    return c ? c->trials : 0;
}

size_t dd_calibration_columns(const struct dd_calibration *c)
{
    return c ? c->n_cols : 0;
}

size_t dd_calibration_sizes(const struct dd_calibration *c, size_t sizes[DD_CALIB_MAX_SIZES])
{
    if (!c)
        return 0;
    memcpy(sizes, c->sizes, c->n_sizes * sizeof *sizes);
    return c->n_sizes;
}

/* ---- bytes ----------------------------------------------------------------- */

/*   "DDCL" u32 format (2)  u64 trials  u64 n_cols  u64 n_sizes  u64 sizes[n_sizes]
 *   per column: u32 method, u32 name length, name bytes
 *   format 2: u16 p_code(p)[n_sizes][trials][n_cols]
 *   format 1 (the first days of #14; still read, and written back as read):
 *   f32 p[n_sizes][trials][n_cols] */

void dd_calibration_encode(const struct dd_calibration *c, struct dd_buf *out)
{
    uint32_t head[2] = {CAL_MAGIC, c->format};
    uint64_t v[3] = {c->trials, c->n_cols, c->n_sizes};
    dd_buf_append(out, head, sizeof head);
    dd_buf_append(out, v, sizeof v);
    for (size_t z = 0; z < c->n_sizes; z++) {
        uint64_t s = c->sizes[z];
        dd_buf_append(out, &s, sizeof s);
    }
    for (size_t j = 0; j < c->n_cols; j++) {
        uint32_t m[2] = {c->cols[j].method, (uint32_t)strlen(c->cols[j].signal)};
        dd_buf_append(out, m, sizeof m);
        dd_buf_append(out, c->cols[j].signal, m[1]);
    }
    size_t n = c->n_sizes * c->trials * c->n_cols;
    if (c->format == 1) {
        dd_buf_append(out, c->p, n * sizeof *c->p);
        return;
    }
    uint16_t q[512];
    for (size_t i = 0; i < n; i += 512) {
        size_t k = n - i < 512 ? n - i : 512;
        for (size_t j = 0; j < k; j++)
            q[j] = p_code(c->p[i + j]);
        dd_buf_append(out, q, k * sizeof *q);
    }
}

int dd_calibration_decode(const void *bytes, size_t len, struct dd_calibration **out)
{
    struct dd_reader rd;
    dd_reader_init(&rd, bytes, len);
    uint32_t head[2] = {0, 0};
    dd_read_copy(&rd, head, sizeof head);
    uint64_t trials = dd_read_u64(&rd), n_cols = dd_read_u64(&rd), n_sizes = dd_read_u64(&rd);
    if (rd.bad || head[0] != CAL_MAGIC || (head[1] != 1 && head[1] != CAL_FORMAT) || !trials ||
        !n_cols || !n_sizes || n_sizes > DD_CALIB_MAX_SIZES || !dd_reader_fits(&rd, n_cols, 8))
        return DD_EINVAL;
    uint64_t sizes[DD_CALIB_MAX_SIZES];
    for (size_t z = 0; z < n_sizes; z++) {
        sizes[z] = dd_read_u64(&rd);
        if (rd.bad || sizes[z] < 2 || (z && sizes[z] <= sizes[z - 1]))
            return DD_EINVAL;
    }
    struct dd_calibration *c = dd_calloc(1, sizeof *c);
    c->trials = (size_t)trials;
    c->n_sizes = (size_t)n_sizes;
    for (size_t z = 0; z < n_sizes; z++)
        c->sizes[z] = (size_t)sizes[z];
    c->cols = dd_calloc((size_t)n_cols, sizeof *c->cols);
    for (size_t j = 0; j < n_cols; j++) {
        uint32_t m[2] = {0, 0};
        dd_read_copy(&rd, m, sizeof m);
        const char *name = rd.bad || !dd_reader_fits(&rd, m[1], 1) ? NULL : dd_read(&rd, m[1]);
        if (!name || !m[1] || memchr(name, 0, m[1]) ||
            (m[0] != DD_M_KS && m[0] != DD_M_CHI2 && m[0] != DD_M_PCA_KS))
            goto fail;
        c->cols[j].signal = dd_strndup(name, m[1]);
        c->cols[j].method = m[0];
        c->n_cols = j + 1;
    }
    uint64_t np = (uint64_t)n_sizes * n_cols;
    size_t w = head[1] == 1 ? sizeof(float) : sizeof(uint16_t);
    if (trials > UINT64_MAX / np || !dd_reader_fits(&rd, np * trials, w) ||
        rd.left != np * trials * w)
        goto fail;
    c->format = head[1];
    size_t n = (size_t)(np * trials);
    c->p = dd_malloc(n * sizeof *c->p);
    if (head[1] == 1) {
        dd_read_copy(&rd, c->p, n * sizeof *c->p);
    } else {
        const unsigned char *q = dd_read(&rd, n * w);
        for (size_t i = 0; i < n; i++) {
            uint16_t v;
            memcpy(&v, q + i * w, w);
            c->p[i] = p_of_code(v);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!(c->p[i] >= 0.0f && c->p[i] <= 1.0f))
            goto fail;
    *out = c;
    return 0;
fail:
    dd_calibration_free(c);
    return DD_EINVAL;
}

/* ---- deciding -------------------------------------------------------------- */

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* At size index z: the sorted null min-p over the columns col[0..nc). */
static void null_minp(const struct dd_calibration *c, size_t z, const size_t *col, size_t nc,
                      double *mn)
{
    const float *p = c->p + z * c->trials * c->n_cols;
    for (size_t t = 0; t < c->trials; t++, p += c->n_cols) {
        double v = 1.0;
        for (size_t j = 0; j < nc; j++)
            if (p[col[j]] < v)
                v = p[col[j]];
        mn[t] = v;
    }
    qsort(mn, c->trials, sizeof *mn, cmp_double);
}

/* The null min-p's distribution function at x, times T: the empirical one
 * made continuous by joining its distinct values (and (0, 0)) with straight
 * lines.  The calibration's pairs are s vs s, whose KS p-values sit on the
 * coarse lattice D = h/s, while a report's (n_cur vs n_ref) are nearly
 * continuous: a step function would judge a p-value just above an atom as
 * if it were the atom (too liberal); the line is exact where a single
 * row's p-values are exact (P(p <= p_h) = p_h at every atom). */
static double cdf_t(const double *mn, size_t T, double x)
{
    size_t lo = 0, hi = T; /* first index with mn > x */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (mn[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == T)
        return (double)T;
    double x0 = 0.0, c0 = 0.0; /* the distinct value below x: (x0, #{mn <= x0}) */
    if (lo > 0) {
        x0 = mn[lo - 1];
        c0 = (double)lo;
    }
    double x1 = mn[lo];
    size_t c1 = lo;
    while (c1 < T && mn[c1] == x1)
        c1++;
    if (x1 <= x0)
        return c0;
    return c0 + ((double)c1 - c0) * (x - x0) / (x1 - x0);
}

/* The largest x with cdf_t(x) <= K (0 <= K < T). */
static double cdf_t_inverse(const double *mn, size_t T, double K)
{
    double x0 = 0.0, c0 = 0.0;
    for (size_t i = 0; i < T;) {
        double x1 = mn[i];
        size_t j = i;
        while (j < T && mn[j] == x1)
            j++;
        if ((double)j > K) /* K is reached on the segment (x0, x1] */
            return x1 > x0 ? x0 + (K - c0) / ((double)j - c0) * (x1 - x0) : x0;
        x0 = x1;
        c0 = (double)j;
        i = j;
    }
    return 1.0;
}

void dd_calibration_decide(const struct dd_calibration *c, const struct dd_calib_row *rows,
                           size_t m, double alpha, double effective_size, int *calibrated,
                           struct dd_calib_decision *out)
{
    memset(out, 0, sizeof *out);
    out->p_value = 1.0;
    out->level = NAN;
    out->m_eff = NAN;
    out->effective_size = effective_size;
    out->trials = c ? c->trials : 0;
    out->bonferroni_level = m ? alpha / (double)m : alpha;
    size_t *col = dd_malloc((m ? m : 1) * sizeof *col);
    size_t nc = 0;
    double min_c = 1.0, min_u = 1.0;
    for (size_t i = 0; i < m; i++) {
        calibrated[i] = 0;
        int other_method = 0;
        for (size_t j = 0; c && j < c->n_cols; j++)
            if (!strcmp(c->cols[j].signal, rows[i].signal)) {
                if (c->cols[j].method != rows[i].method) {
                    other_method = 1;
                    continue;
                }
                calibrated[i] = 1;
                col[nc++] = j;
                break;
            }
        int calibratable = rows[i].method == DD_M_KS || rows[i].method == DD_M_CHI2 ||
                           rows[i].method == DD_M_PCA_KS;
        out->n_stale += (size_t)(!calibrated[i] && other_method && calibratable);
        if (calibrated[i])
            min_c = fmin(min_c, rows[i].p);
        else
            min_u = fmin(min_u, rows[i].p);
    }
    out->n_calibrated = nc;
    out->n_bonferroni = m - nc;
    double alpha_c = alpha * (double)nc / (double)(m ? m : 1);
    /* the two calibrated sizes around the effective size */
    size_t lo = 0, hi = 0;
    if (!nc) {
        out->fallback = "no_calibrated_rows";
    } else if (effective_size < (double)c->sizes[0] ||
               effective_size > DD_CALIB_EXTRAPOLATE * (double)c->sizes[c->n_sizes - 1]) {
        out->fallback = "size_outside";
    } else if (alpha_c * (double)(c->trials + 1) < 1.0) {
        out->fallback = "alpha_too_small";
    } else {
        hi = 0;
        while (hi + 1 < c->n_sizes && (double)c->sizes[hi] < effective_size)
            hi++;
        lo = hi > 0 && (double)c->sizes[hi] > effective_size ? hi - 1 : hi;
        if ((double)c->sizes[hi] < effective_size)
            lo = hi; /* beyond the largest size: that size alone */
    }
    if (out->fallback) {
        for (size_t i = 0; i < m; i++)
            calibrated[i] = 0;
        free(col);
        return;
    }
    out->size_lo = c->sizes[lo];
    out->size_hi = c->sizes[hi];
    /* global p of the calibrated rows: (1 + cdf_t(min p))/(T + 1), at most
     * alpha_c when cdf_t(min p) <= K */
    double K = alpha_c * (double)(c->trials + 1) - 1.0;
    double *mn = dd_malloc(c->trials * sizeof *mn);
    double level = INFINITY, p_c = 0.0;
    for (size_t z = lo;; z = hi) {
        null_minp(c, z, col, nc, mn);
        level = fmin(level, cdf_t_inverse(mn, c->trials, K));
        p_c = fmax(p_c, (1.0 + cdf_t(mn, c->trials, min_c)) / (double)(c->trials + 1));
        if (z == hi)
            break;
    }
    free(mn);
    free(col);
    /* never stricter than Bonferroni (the true alpha-quantile of the min-p is
     * at least alpha/m under any dependence; an estimate under it is noise) */
    out->level = fmax(level < 0 ? 0 : level, out->bonferroni_level);
    double gp = fmin(p_c * (double)m / (double)nc, min_c * (double)m);
    if (m > nc)
        gp = fmin(gp, min_u * (double)m);
    out->p_value = fmin(1.0, gp);
    out->m_eff = out->level > 0 && out->level < 1 ? log1p(-alpha_c) / log1p(-out->level) : NAN;
}

double dd_acat(const double *p, size_t m)
{
    if (!m)
        return NAN;
    double t = 0.0;
    for (size_t i = 0; i < m; i++) {
        double q = p[i];
        if (q <= 0)
            return 0.0;
        if (q >= 1)
            q = 1 - 1e-15;
        /* tan((0.5 - q)π) = 1/tan(qπ); for tiny q, 1/(qπ) without cancellation */
        t += q < 1e-15 ? 1.0 / (q * M_PI) : tan((0.5 - q) * M_PI);
    }
    t /= (double)m;
    double r = 0.5 - atan(t) / M_PI;
    /* for large t, 1/2 - atan(t)/π = atan(1/t)/π without cancellation */
    if (t > 1e6)
        r = atan(1.0 / t) / M_PI;
    return r;
}
