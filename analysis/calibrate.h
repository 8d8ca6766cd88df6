/* calibrate.h — the null distribution of a report's smallest p-value,
 * computed once from a reference's joint rows (docs/statistics.md, "The
 * verdict").
 *
 * The signals of one model move together (class probabilities, confidence,
 * prediction, embedding), so Holm over their p-values spends a fraction of
 * alpha.  dd_calibrate() draws, for each pair size s of a ladder (20, 50,
 * 100, 200, 500, 1000; 2s <= the reference's events), `trials` disjoint
 * pairs of pseudo-windows (W, W') of s events each from the reference
 * without replacement, and computes every column's p-value between W and W'
 * with the report's own code (dd_ks_pvalue(), dd_chi2_homogeneity(), the
 * Bonferroni of pca_ks).  It keeps every (trial, column) p-value, so that
 * an evaluation can take the smallest p-value over whichever subset of the
 * columns its report tests (settings may drop rows).
 *
 * dd_calibration_decide() turns that into the verdict: Westfall–Young's
 * single-step min-p test on the calibrated rows, with a Bonferroni share of
 * alpha for the report's test rows the calibration does not know (mmd, a
 * signal that was not in every reference event, a declared type that
 * changed a method).
 *
 * A calibration is read-only once built or decoded; any number of threads
 * may decide with it at once.
 */
#ifndef DD_CALIBRATE_H
#define DD_CALIBRATE_H
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define DD_CALIB_TRIALS 1000   /* pseudo-window pairs per size */
#define DD_CALIB_MAX_SIZES 6   /* the ladder: 20, 50, 100, 200, 500, 1000 */
#define DD_CALIB_MIN_EVENTS 40 /* 2 × the smallest size: fewer get no calibration */
/* Beyond the largest calibrated size a report's effective size may go this
 * many times over it (the copula of the p-values settles as n grows); past
 * that, or below the smallest size, the verdict falls back to Holm. */
#define DD_CALIB_EXTRAPOLATE 4.0

/* One test row of the reference, aligned by event (value i is event i). */
struct dd_calib_column {
    const char *signal;    /* the report's signal name (copied) */
    unsigned method;       /* DD_M_KS, DD_M_CHI2 or DD_M_PCA_KS (eval.h) */
    const double *values;  /* ks: n_events values; pca_ks: n_events x k row-major */
    size_t k;              /* pca_ks: components (k_eff); 1 otherwise */
    const uint32_t *codes; /* chi2: n_events category indexes < n_categories */
    size_t n_categories;
};

struct dd_calibration;

/* Calibrates n_cols columns over n_events events.  0 with *out set (NULL
 * when the reference is too small for the smallest size, or there are no
 * columns), or DD_EINVAL for a bad column.  dd_calibration_free(). */
int dd_calibrate(const struct dd_calib_column *cols, size_t n_cols, size_t n_events, size_t trials,
                 uint64_t seed, struct dd_calibration **out);
/* The same for only the ladder sizes that dd_calibration_decide() reads at
 * an effective size in [eff_lo, eff_hi] (one or two for one size; a check
 * that knows its window pays for those alone).  A size's p-values are the
 * same whichever others are calibrated (each size draws its own stream of
 * the seed), so a decision is the same as with the whole ladder.
 * dd_calibrate() is the range [0, infinity). */
int dd_calibrate_range(const struct dd_calib_column *cols, size_t n_cols, size_t n_events,
                       size_t trials, uint64_t seed, double eff_lo, double eff_hi,
                       struct dd_calibration **out);
void dd_calibration_free(struct dd_calibration *c);

/* Bytes (host byte order, like the rest of a reference's summary) and back:
 * 0 or DD_EINVAL (nothing allocated then). */
void dd_calibration_encode(const struct dd_calibration *c, struct dd_buf *out);
int dd_calibration_decode(const void *bytes, size_t len, struct dd_calibration **out);

size_t dd_calibration_trials(const struct dd_calibration *c);
size_t dd_calibration_columns(const struct dd_calibration *c);
/* The calibrated pair sizes, ascending; returns how many. */
size_t dd_calibration_sizes(const struct dd_calibration *c, size_t sizes[DD_CALIB_MAX_SIZES]);

/* A report's test row with data. */
struct dd_calib_row {
    const char *signal;
    unsigned method;
    double p;
};

struct dd_calib_decision {
    /* why there is no calibrated verdict (Holm decides): NULL when there is
     * one, else "no_calibrated_rows", "size_outside", "alpha_too_small" */
    const char *fallback;
    double p_value;          /* global p: min(1, p_C·m/m_C, m·min p) */
    double level;            /* calibrated rows drift iff p <= level (>= alpha/m) */
    double bonferroni_level; /* the other rows: alpha/m */
    size_t n_calibrated, n_bonferroni;
    /* of the Bonferroni rows: those whose signal the calibration has under
     * another method (a declared type changed it since): calibrating the
     * reference again with the model's types would take them in */
    size_t n_stale;
    size_t size_lo, size_hi; /* the sizes judged at (the stricter of the two) */
    double effective_size;   /* 2·n_ref·n_cur/(n_ref + n_cur) */
    double m_eff;            /* log(1 - alpha_C)/log(1 - level) */
    size_t trials;
};

/* Decides for m rows at alpha with effective size s (the pair size whose
 * n·n/(n+n) equals the report's n_ref·n_cur/(n_ref+n_cur)).  calibrated[i]
 * (out) says whether row i was matched to a column.  Always fills *out. */
void dd_calibration_decide(const struct dd_calibration *c, const struct dd_calib_row *rows,
                           size_t m, double alpha, double effective_size, int *calibrated,
                           struct dd_calib_decision *out);

/* ACAT, the Cauchy combination (Liu & Xie 2020) with equal weights:
 * T = mean tan((0.5 - p_i)π), p = 1/2 - atan(T)/π.  p_i of exactly 0 give
 * 0, of 1 are moved to 1 - 1e-15.  NaN for m = 0. */
double dd_acat(const double *p, size_t m);

#endif
