/* eval.h — one drift evaluation: many signals in, one report out.
 *
 * This is the seam between the callers (the server's evaluator and the
 * offline `driftd check`) and the statistics.  The caller turns events into
 * per-signal arrays (struct dd_signal_input); dd_eval_run() runs every method
 * configured for each signal's kind, keeps each result's own p-value, and
 * sets the report's top-level verdict: the reference's min-p calibration
 * (calibrate.h) when the options carry one, Holm–Bonferroni at alpha across
 * all p-value methods otherwise (effect-size methods with thresholds flag
 * drift but do not enter the family).  dd_report_json_members()/dd_report_text() render it in the
 * shape of docs/api.md's drift endpoint.
 *
 * analysis/ never sees HTTP, SQLite or the event struct.  Nothing here is
 * shared between threads: one evaluation, one thread.  Allocation aborts on
 * OOM (base/alloc.h); errors are DD_E* codes (base/err.h).
 */
#ifndef DD_EVAL_H
#define DD_EVAL_H
#include <stddef.h>
#include <stdint.h>

#include "analysis/calibrate.h"
#include "analysis/method.h"
#include "base/buf.h"

struct dd_pca;

enum dd_signal_kind {
    DD_SIGNAL_NUMERIC,     /* confidence, latency, numeric features, class probs */
    DD_SIGNAL_CATEGORICAL, /* prediction, string features */
    DD_SIGNAL_EMBEDDING,   /* float32 vectors of a fixed dimension */
};

/* The methods that apply to a kind (DD_M_* bits). */
unsigned dd_methods_allowed(enum dd_signal_kind kind);
/* "ks" -> DD_M_KS etc.; 0 for an unknown name. */
unsigned dd_method_parse(const char *name);
const char *dd_method_name(unsigned method_bit);

/* One signal's data.  Categorical values are given as category indexes into
 * a shared table `categories` (n_categories names, owned by the caller), so
 * reference and current agree on what index i means. */
struct dd_signal_input {
    const char *name; /* "confidence", "feature:age", "embedding", ... */
    enum dd_signal_kind kind;
    /* numeric */
    const double *ref_num, *cur_num;
    size_t n_ref, n_cur; /* also counts of rows for the other kinds */
    /* categorical */
    const uint32_t *ref_cat, *cur_cat;
    const char *const *categories;
    size_t n_categories;
    /* embedding: row-major n x dim float32 */
    const float *ref_emb, *cur_emb;
    size_t dim;
    /* Added by analysis/ (optional, zero = off): */
    int ref_sorted;               /* ref_num is already ascending: KS and
                                   Wasserstein do not re-sort the reference */
    size_t cur_dim;               /* dimension of cur_emb if it may differ from
                                   dim (0 = same); a mismatch -> DD_EDIM */
    unsigned methods;             /* DD_M_* bits for this signal (per-model settings);
                                   0 = the kind's methods from the options */
    const struct dd_pca *ref_pca; /* a PCA fitted on ref_emb with the same
                                   pca_variance/pca_max_components
                                   (analysis/embed.h), reused instead of refit */
    const uint64_t *ref_counts;   /* categorical: the reference as counts of
                                   categories 0..n_ref_counts-1 (the rest 0,
                                   summing to n_ref) instead of ref_cat */
    size_t n_ref_counts;
    size_t mixed_types; /* values of the rarer JSON type (numbers among strings or
                           strings among numbers) when the kind was guessed; 0: none */
};

struct dd_eval_options {
    double alpha;                 /* family-wise error rate; default 0.05 */
    unsigned methods[3];          /* per kind (index = enum dd_signal_kind); 0 = defaults */
    double threshold[DD_M_COUNT]; /* per method bit index; 0 = default */
    size_t min_samples;           /* fewer rows in either window -> insufficient_data; default 20 */
    double pca_variance;          /* share of variance the PCA keeps; default 0.9 */
    size_t pca_max_components;    /* cap; default 32 */
    size_t mmd_permutations;      /* at least this many; default 100, raised per report
                                   to dd_mmd_permutations_for() so MMD can reject */
    size_t mmd_max_samples;       /* subsample per side; default 1000 */
    uint64_t seed;                /* for permutations and subsamples; fixed => reproducible */
    /* The reference's min-p calibration (calibrate.h; borrowed, NULL: none).
     * With one, the verdict is the calibrated min-p test; without, Holm. */
    const struct dd_calibration *calibration;
    /* No calibration yet, but one is being computed (the server calibrates a
     * new reference in the background): Holm decides meanwhile and the
     * report's fallback says "calibrating" instead of "not_calibrated". */
    int calibration_pending;
};
void dd_eval_options_default(struct dd_eval_options *o);

struct dd_result {
    char signal[160];
    const char *method; /* static string, dd_method_name() */
    int status;         /* 0 = ok, DD_EINSUFFICIENT = insufficient_data */
    double statistic;
    double p_value;   /* NaN when the method has none */
    double threshold; /* alpha for tests, the effect-size threshold otherwise */
    int drift;
    size_t n_ref, n_cur;
    int df;                 /* chi2 degrees of freedom, -1 otherwise */
    int components;         /* pca_*: components used, -1 otherwise */
    const char *correction; /* "bonferroni" for pca_ks, NULL otherwise */
    size_t mixed_types;     /* the input's; when > 0 the row shows it and `type` */
    const char *type;       /* "numeric" or "categorical": the kind the row used */
    /* Added by analysis/: */
    double lower, upper; /* pca_reconstruction's band (NaN otherwise);
                                   threshold = upper */
    /* Added for the verdict (docs/statistics.md, "The verdict"): */
    const char *kind;    /* "test" (a p-value, enters Holm's family) or "effect_size" */
    double level;        /* tests with data: the Holm level the row was judged at
                            (dd_holm_levels(): drift is p_value <= level); NaN otherwise */
    size_t permutations; /* mmd: the permutations used; 0 otherwise */
};

struct dd_report {
    struct dd_result *results;
    size_t n_results;
    int drift; /* Holm–Bonferroni verdict at alpha */
    double alpha;
    const char *correction; /* "holm" */
    /* What the report says at the top (docs/api.md): "drift" when Holm
     * rejects a test, "ok" when at least one test row had data and none is
     * rejected, "insufficient_data" when no test row had data (empty
     * windows, too few rows, only effect sizes configured).  A caller that
     * knows the reference is empty sets "no_reference".  Static string. */
    const char *status;
    size_t n_tests; /* test rows with data: the size of Holm's family */
    /* The verdict's calibration (docs/statistics.md "The verdict"):
     * has_calibration 0 = none was given (Holm, "not_calibrated");
     * else decision.fallback NULL = "minp_calibrated" decided. */
    int has_calibration;
    struct dd_calib_decision decision;
    double acat_p; /* Cauchy combination of the test rows (NaN: none) */
};

/* The smallest attainable MMD p-value is 1/(B+1); Holm's strictest level
 * over m tests is alpha/m.  The permutations a report uses: at least
 * `floor` and at least ceil(2m/alpha) - 1, so that 1/(B+1) <= alpha/(2m)
 * (MMD can pass the correction with room to spare), capped at
 * DD_MMD_PERMUTATIONS_MAX (cost: O(B·N²), docs/statistics.md).  m counts
 * the test rows planned for the report (signals with enough rows). */
#define DD_MMD_PERMUTATIONS_MAX 100000
size_t dd_mmd_permutations_for(size_t floor, size_t m_tests, double alpha);

/* Runs every configured method on every signal.  Signals with fewer than
 * min_samples rows on either side give insufficient_data results.  Returns 0,
 * or DD_EINVAL for inputs that cannot be evaluated at all (an embedding
 * signal with dim 0, NaN/Inf values, a category index >= n_categories, a
 * method bit that does not apply to the signal's kind), DD_EDIM when cur_dim
 * differs from dim, DD_ENUMERIC if LAPACK fails.  *out is written only on
 * success.  The report is the caller's: dd_report_release().
 *
 * Per-result `drift`: for p-value methods (ks, chi2, pca_ks, mmd), whether
 * Holm–Bonferroni at alpha over the whole report rejects that result's null
 * (so it agrees with the top-level verdict); for effect sizes (psi,
 * wasserstein, jensen_shannon, cosine_centroid, pca_reconstruction),
 * statistic > threshold, which does not enter the top-level verdict. */
int dd_eval_run(const struct dd_signal_input *signals, size_t n_signals,
                const struct dd_eval_options *opt, struct dd_report *out);
void dd_report_release(struct dd_report *r);

/* Appends the "drift" and "signals" members of the drift endpoint's body
 * (no braces: the caller writes model, version, window, reference around
 * them): `"drift":true,"correction":"holm","alpha":0.05,"signals":[...]`. */
void dd_report_json_members(const struct dd_report *r, struct dd_buf *b);
/* A human-readable table, one line per result: its kind, and the level it
 * was judged at (tests: Holm's level, dd_result.level; effect sizes: the
 * threshold), so p_value <= level reads DRIFT; then the verdict line. */
void dd_report_text(const struct dd_report *r, struct dd_buf *b);

#endif
