/* eval.c — one drift evaluation: dispatch per signal kind, the Holm verdict,
 * and the JSON / text renderings (see eval.h). */
#include "analysis/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/chi2.h"
#include "analysis/distance.h"
#include "analysis/embed.h"
#include "analysis/ks.h"
#include "analysis/mmd.h"
#include "analysis/multitest.h"
#include "analysis/sort.h"
#include "base/alloc.h"
#include "base/err.h"

#define EVAL_DEFAULT_ALPHA 0.05
#define EVAL_DEFAULT_MIN_SAMPLES 20
#define EVAL_DEFAULT_PCA_VARIANCE 0.9
#define EVAL_DEFAULT_PCA_MAX 32
#define EVAL_DEFAULT_MMD_PERMS 100
#define EVAL_DEFAULT_MMD_MAX 1000

static const char *const method_names[DD_M_COUNT] = {
    "ks",
    "chi2",
    "psi",
    "wasserstein",
    "jensen_shannon",
    "cosine_centroid",
    "pca_ks",
    "pca_reconstruction",
    "mmd",
};

/* Default effect-size thresholds by bit index (0 for tests: alpha is used). */
static const double default_threshold[DD_M_COUNT] = {
    0, 0, DD_DEFAULT_PSI, DD_DEFAULT_WASSERSTEIN, DD_DEFAULT_JS, 0.1, 0, 0, 0,
};

static const unsigned default_methods[3] = {
    DD_M_KS | DD_M_WASSERSTEIN,
    DD_M_CHI2 | DD_M_PSI,
    DD_M_COSINE | DD_M_PCA_KS,
};

static const unsigned allowed_methods[3] = {
    DD_M_KS | DD_M_WASSERSTEIN | DD_M_PSI | DD_M_JS,
    DD_M_CHI2 | DD_M_PSI | DD_M_JS,
    DD_M_COSINE | DD_M_PCA_KS | DD_M_PCA_RECON | DD_M_MMD,
};

static const unsigned pvalue_methods = DD_M_KS | DD_M_CHI2 | DD_M_PCA_KS | DD_M_MMD;

static int bit_index(unsigned bit)
{
    for (int i = 0; i < DD_M_COUNT; i++)
        if (bit == (1u << i))
            return i;
    return -1;
}

unsigned dd_method_parse(const char *name)
{
    if (!name)
        return 0;
    for (int i = 0; i < DD_M_COUNT; i++)
        if (strcmp(name, method_names[i]) == 0)
            return 1u << i;
    return 0;
}

const char *dd_method_name(unsigned method_bit)
{
    int i = bit_index(method_bit);
    return i < 0 ? "unknown" : method_names[i];
}

void dd_eval_options_default(struct dd_eval_options *o)
{
    memset(o, 0, sizeof *o);
    o->alpha = EVAL_DEFAULT_ALPHA;
    for (int k = 0; k < 3; k++)
        o->methods[k] = default_methods[k];
    for (int i = 0; i < DD_M_COUNT; i++)
        o->threshold[i] = default_threshold[i];
    o->min_samples = EVAL_DEFAULT_MIN_SAMPLES;
    o->pca_variance = EVAL_DEFAULT_PCA_VARIANCE;
    o->pca_max_components = EVAL_DEFAULT_PCA_MAX;
    o->mmd_permutations = EVAL_DEFAULT_MMD_PERMS;
    o->mmd_max_samples = EVAL_DEFAULT_MMD_MAX;
    o->seed = 0x5eedd41f7ull;
}

/* Options with every 0 replaced by its default. */
static void resolve_options(const struct dd_eval_options *in, struct dd_eval_options *o)
{
    struct dd_eval_options d;
    dd_eval_options_default(&d);
    if (!in) {
        *o = d;
        return;
    }
    *o = *in;
    if (!(o->alpha > 0 && o->alpha < 1))
        o->alpha = d.alpha;
    for (int k = 0; k < 3; k++)
        if (!o->methods[k])
            o->methods[k] = d.methods[k];
    for (int i = 0; i < DD_M_COUNT; i++)
        if (!(o->threshold[i] > 0))
            o->threshold[i] = d.threshold[i];
    if (!o->min_samples)
        o->min_samples = d.min_samples;
    if (!(o->pca_variance > 0 && o->pca_variance <= 1))
        o->pca_variance = d.pca_variance;
    if (!o->pca_max_components)
        o->pca_max_components = d.pca_max_components;
    if (!o->mmd_permutations)
        o->mmd_permutations = d.mmd_permutations;
    if (!o->mmd_max_samples)
        o->mmd_max_samples = d.mmd_max_samples;
}

/* ---- results ------------------------------------------------------------- */

struct results {
    struct dd_result *v;
    size_t n, cap;
};

static struct dd_result *result_add(struct results *rs, const struct dd_signal_input *s,
                                    unsigned bit, const struct dd_eval_options *o)
{
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 16;
        rs->v = dd_realloc(rs->v, dd_mul(rs->cap, sizeof *rs->v));
    }
    struct dd_result *r = &rs->v[rs->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->signal, sizeof r->signal, "%s", s->name ? s->name : "");
    r->method = dd_method_name(bit);
    r->statistic = NAN;
    r->p_value = NAN;
    r->threshold = (bit & pvalue_methods) ? o->alpha : o->threshold[bit_index(bit)];
    r->n_ref = s->n_ref;
    r->n_cur = s->n_cur;
    r->df = -1;
    r->components = -1;
    r->correction = NULL;
    r->lower = r->upper = NAN;
    r->mixed_types = s->kind != DD_SIGNAL_EMBEDDING ? s->mixed_types : 0;
    r->type = s->kind == DD_SIGNAL_NUMERIC       ? "numeric"
              : s->kind == DD_SIGNAL_CATEGORICAL ? "categorical"
                                                 : "embedding";
    r->kind = (bit & pvalue_methods) ? "test" : "effect_size";
    r->level = NAN;
    r->permutations = 0;
    return r;
}

static void set_effect(struct dd_result *r, double stat)
{
    r->statistic = stat;
    r->drift = stat > r->threshold;
}

/* The lowest method bit left in *methods, taken out of it; 0 when none is
 * left.  Methods are evaluated (and their results listed) in bit order. */
static unsigned next_method(unsigned *methods)
{
    unsigned bit = *methods & -*methods;
    *methods &= ~bit;
    return bit;
}

/* PSI or Jensen-Shannon (bit) of two count vectors over the same k bins. */
static int binned_effect(struct dd_result *r, unsigned bit, const uint64_t *cr, const uint64_t *cc,
                         size_t k)
{
    double v;
    int rc = bit == DD_M_PSI ? dd_psi_counts(cr, cc, k, &v) : dd_js_counts(cr, cc, k, &v);
    if (rc == 0)
        set_effect(r, v);
    return rc;
}

/* Every method of the signal answers insufficient_data. */
static void add_insufficient(struct results *rs, const struct dd_signal_input *s, unsigned methods,
                             const struct dd_eval_options *o)
{
    for (unsigned bit; (bit = next_method(&methods));)
        result_add(rs, s, bit, o)->status = DD_EINSUFFICIENT;
}

/* ---- per kind -------------------------------------------------------------- */

static int eval_numeric(const struct dd_signal_input *s, unsigned methods,
                        const struct dd_eval_options *o, struct results *rs)
{
    int rc = 0;
    double *ref = NULL, *cur = NULL;
    if (dd_has_nonfinite(s->ref_num, s->n_ref) || dd_has_nonfinite(s->cur_num, s->n_cur))
        return DD_EINVAL;
    const double *sref = s->ref_num;
    if (!s->ref_sorted || !dd_is_sorted(s->ref_num, s->n_ref)) {
        ref = dd_malloc(dd_mul(s->n_ref, sizeof *ref));
        memcpy(ref, s->ref_num, s->n_ref * sizeof *ref);
        dd_sort_doubles(ref, s->n_ref);
        sref = ref;
    }
    cur = dd_malloc(dd_mul(s->n_cur, sizeof *cur));
    memcpy(cur, s->cur_num, s->n_cur * sizeof *cur);
    dd_sort_doubles(cur, s->n_cur);
    size_t n = s->n_ref, m = s->n_cur;

    for (unsigned bit; (bit = next_method(&methods));) {
        struct dd_result *r = result_add(rs, s, bit, o);
        if (bit == DD_M_KS) {
            struct dd_ks_result k;
            if ((rc = dd_ks_2samp_sorted(sref, n, cur, m, &k)))
                goto out;
            r->statistic = k.statistic;
            r->p_value = k.p_value;
        } else if (bit == DD_M_WASSERSTEIN) {
            double w;
            if ((rc = dd_wasserstein_norm_sorted(sref, n, cur, m, &w)))
                goto out;
            set_effect(r, w);
        } else { /* PSI / JS on the reference deciles */
            double edges[DD_NUMERIC_BINS];
            uint64_t cr[DD_NUMERIC_BINS + 1], cc[DD_NUMERIC_BINS + 1];
            size_t ne = dd_numeric_bins(sref, n, DD_NUMERIC_BINS, edges);
            dd_bin_counts_sorted(sref, n, edges, ne, cr);
            dd_bin_counts_sorted(cur, m, edges, ne, cc);
            if ((rc = binned_effect(r, bit, cr, cc, ne + 1)))
                goto out;
        }
    }
out:
    free(ref);
    free(cur);
    return rc;
}

static int eval_categorical(const struct dd_signal_input *s, unsigned methods,
                            const struct dd_eval_options *o, struct results *rs)
{
    size_t k = s->n_categories;
    if (k == 0)
        return DD_EINVAL;
    int rc = 0;
    uint64_t *cr = dd_malloc(dd_mul(k, sizeof *cr)), *cc = dd_malloc(dd_mul(k, sizeof *cc));
    if (s->ref_counts) {
        uint64_t total = 0;
        memset(cr, 0, k * sizeof *cr);
        for (size_t i = 0; i < s->n_ref_counts && s->n_ref_counts <= k; i++)
            total += cr[i] = s->ref_counts[i];
        if (s->n_ref_counts > k || total != s->n_ref) {
            rc = DD_EINVAL;
            goto out;
        }
    } else if ((rc = dd_count_categories(s->ref_cat, s->n_ref, cr, k))) {
        goto out;
    }
    if ((rc = dd_count_categories(s->cur_cat, s->n_cur, cc, k)))
        goto out;
    for (unsigned bit; (bit = next_method(&methods));) {
        struct dd_result *r = result_add(rs, s, bit, o);
        if (bit == DD_M_CHI2) {
            struct dd_chi2_result c;
            if ((rc = dd_chi2_homogeneity(cr, cc, k, &c)))
                goto out;
            r->statistic = c.statistic;
            r->p_value = c.p_value;
            r->df = c.df;
        } else if ((rc = binned_effect(r, bit, cr, cc, k))) {
            goto out;
        }
    }
out:
    free(cr);
    free(cc);
    return rc;
}

static int eval_embedding(const struct dd_signal_input *s, unsigned methods,
                          const struct dd_eval_options *o, struct results *rs)
{
    int rc = 0;
    struct dd_pca fitted;
    const struct dd_pca *pca = s->ref_pca;
    int own_pca = 0;
    size_t dim = s->dim, n = s->n_ref, m = s->n_cur;
    if (dd_float_has_nonfinite(s->ref_emb, dd_mul(n, dim)) ||
        dd_float_has_nonfinite(s->cur_emb, dd_mul(m, dim)))
        return DD_EINVAL;
    if ((methods & (DD_M_PCA_KS | DD_M_PCA_RECON)) && !pca) {
        if ((rc = dd_pca_fit(s->ref_emb, n, dim, o->pca_variance, o->pca_max_components, &fitted)))
            return rc;
        pca = &fitted;
        own_pca = 1;
    }
    if (pca && pca->dim != dim) {
        rc = DD_EDIM;
        goto out;
    }
    for (unsigned bit; (bit = next_method(&methods));) {
        struct dd_result *r = result_add(rs, s, bit, o);
        if (bit == DD_M_COSINE) {
            double d;
            if ((rc = dd_cosine_centroid(s->ref_emb, n, s->cur_emb, m, dim, &d)))
                goto out;
            set_effect(r, d);
        } else if (bit == DD_M_PCA_KS) {
            struct dd_pca_ks_result k;
            if ((rc = dd_pca_ks(pca, s->cur_emb, m, &k)))
                goto out;
            r->statistic = k.statistic;
            r->p_value = k.p_value;
            r->components = k.components;
            r->correction = "bonferroni";
        } else if (bit == DD_M_PCA_RECON) {
            struct dd_pca_recon_result k;
            if ((rc = dd_pca_reconstruction(pca, s->cur_emb, m, &k)))
                goto out;
            r->statistic = k.statistic;
            r->lower = k.lower;
            r->upper = k.upper;
            r->threshold = k.upper;
            r->drift = k.drift;
            r->components = k.components;
        } else if (bit == DD_M_MMD) {
            struct dd_mmd_result k;
            if ((rc = dd_mmd_test(s->ref_emb, n, s->cur_emb, m, dim, o->mmd_permutations,
                                  o->mmd_max_samples, o->seed, &k)))
                goto out;
            r->statistic = k.statistic;
            r->p_value = k.p_value;
            r->permutations = o->mmd_permutations;
        }
    }
out:
    if (own_pca)
        dd_pca_release(&fitted);
    return rc;
}

static int eval_signal(const struct dd_signal_input *s, const struct dd_eval_options *o,
                       struct results *rs)
{
    if ((unsigned)s->kind > DD_SIGNAL_EMBEDDING)
        return DD_EINVAL;
    unsigned methods = s->methods ? s->methods : o->methods[s->kind];
    if (methods & ~allowed_methods[s->kind])
        return DD_EINVAL;
    if (s->kind == DD_SIGNAL_EMBEDDING) {
        if (s->dim == 0)
            return DD_EINVAL;
        if (s->cur_dim && s->cur_dim != s->dim)
            return DD_EDIM;
    }
    if (s->n_ref < o->min_samples || s->n_cur < o->min_samples) {
        add_insufficient(rs, s, methods, o);
        return 0;
    }
    size_t first = rs->n;
    int rc;
    switch (s->kind) {
    case DD_SIGNAL_NUMERIC:
        rc = eval_numeric(s, methods, o, rs);
        break;
    case DD_SIGNAL_CATEGORICAL:
        rc = eval_categorical(s, methods, o, rs);
        break;
    default:
        rc = eval_embedding(s, methods, o, rs);
        break;
    }
    if (rc == DD_EINSUFFICIENT) {
        /* too little data for a method despite min_samples (e.g. PCA on one
         * row): the whole signal answers insufficient_data */
        rs->n = first;
        add_insufficient(rs, s, methods, o);
        return 0;
    }
    return rc;
}

size_t dd_mmd_permutations_for(size_t floor, size_t m_tests, double alpha)
{
    if (!(alpha > 0 && alpha < 1))
        alpha = EVAL_DEFAULT_ALPHA;
    double need = ceil(2.0 * (double)(m_tests ? m_tests : 1) / alpha) - 1.0;
    size_t b = floor;
    if (need > (double)b)
        b = need >= DD_MMD_PERMUTATIONS_MAX ? DD_MMD_PERMUTATIONS_MAX : (size_t)need;
    return b > DD_MMD_PERMUTATIONS_MAX ? DD_MMD_PERMUTATIONS_MAX : b;
}

/* The test rows the report will have data for (an upper bound: a method
 * may still answer insufficient_data), which sizes MMD's permutations. */
static size_t planned_tests(const struct dd_signal_input *signals, size_t n,
                            const struct dd_eval_options *o)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const struct dd_signal_input *s = &signals[i];
        if ((unsigned)s->kind > DD_SIGNAL_EMBEDDING || s->n_ref < o->min_samples ||
            s->n_cur < o->min_samples)
            continue;
        unsigned t = (s->methods ? s->methods : o->methods[s->kind]) & pvalue_methods;
        for (; t; t &= t - 1)
            m++;
    }
    return m;
}

/* The calibrated verdict (calibrate.h) over the family's fam rows (idx
 * into rs, p their p-values): each row's level and drift; returns the rows
 * flagged.  Sets out->has_calibration and out->decision; with no
 * calibration, or a fallback, it flags nothing and Holm decides. */
static size_t decide_calibrated(struct results *rs, const size_t *idx, const double *p, size_t fam,
                                const struct dd_eval_options *o, struct dd_report *out)
{
    out->has_calibration = o->calibration != NULL;
    memset(&out->decision, 0, sizeof out->decision);
    out->decision.fallback = o->calibration_pending ? "calibrating" : "not_calibrated";
    if (!o->calibration || !fam)
        return 0;
    struct dd_calib_row *rows = dd_malloc(fam * sizeof *rows);
    int *cal = dd_malloc(fam * sizeof *cal);
    double en = 0;
    for (size_t f = 0; f < fam; f++) {
        const struct dd_result *r = &rs->v[idx[f]];
        rows[f] = (struct dd_calib_row){r->signal, dd_method_parse(r->method), p[f]};
        double e = (double)r->n_ref * (double)r->n_cur / (double)(r->n_ref + r->n_cur);
        if (e > en)
            en = e;
    }
    dd_calibration_decide(o->calibration, rows, fam, o->alpha, 2.0 * en, cal, &out->decision);
    size_t flagged = 0;
    for (size_t f = 0; !out->decision.fallback && f < fam; f++) {
        struct dd_result *r = &rs->v[idx[f]];
        r->level = cal[f] ? out->decision.level : out->decision.bonferroni_level;
        r->drift = p[f] <= r->level;
        flagged += (size_t)r->drift;
    }
    free(rows);
    free(cal);
    return flagged;
}

int dd_eval_run(const struct dd_signal_input *signals, size_t n_signals,
                const struct dd_eval_options *opt, struct dd_report *out)
{
    struct dd_eval_options o;
    resolve_options(opt, &o);
    o.mmd_permutations =
        dd_mmd_permutations_for(o.mmd_permutations, planned_tests(signals, n_signals, &o), o.alpha);
    struct results rs = {0};
    int rc = 0;
    double *p = NULL, *level = NULL;
    int *rej = NULL;
    size_t *idx = NULL;
    for (size_t i = 0; i < n_signals; i++)
        if ((rc = eval_signal(&signals[i], &o, &rs)))
            goto out;

    /* Holm over every p-value result with data */
    p = dd_malloc((rs.n ? rs.n : 1) * sizeof *p);
    rej = dd_malloc((rs.n ? rs.n : 1) * sizeof *rej);
    idx = dd_malloc((rs.n ? rs.n : 1) * sizeof *idx);
    level = dd_malloc((rs.n ? rs.n : 1) * sizeof *level);
    size_t fam = 0;
    for (size_t i = 0; i < rs.n; i++)
        if (rs.v[i].status == 0 && !isnan(rs.v[i].p_value)) {
            idx[fam] = i;
            p[fam++] = rs.v[i].p_value;
        }
    size_t nrej = decide_calibrated(&rs, idx, p, fam, &o, out);
    if (!out->has_calibration || out->decision.fallback) {
        nrej = dd_holm(p, fam, o.alpha, rej);
        dd_holm_levels(p, fam, o.alpha, level);
        for (size_t f = 0; f < fam; f++) {
            rs.v[idx[f]].drift = rej[f];
            rs.v[idx[f]].level = level[f];
        }
        out->correction = "holm";
    } else {
        out->correction = "minp_calibrated";
    }
    out->acat_p = fam ? dd_acat(p, fam) : NAN;
    out->results = rs.v;
    out->n_results = rs.n;
    out->drift = nrej > 0;
    out->alpha = o.alpha;
    out->n_tests = fam;
    out->status = nrej ? "drift" : fam ? "ok" : "insufficient_data";
    rs.v = NULL;
out:
    free(rs.v);
    free(p);
    free(rej);
    free(idx);
    free(level);
    return rc;
}

void dd_report_release(struct dd_report *r)
{
    if (!r)
        return;
    free(r->results);
    r->results = NULL;
    r->n_results = 0;
}

/* ---- rendering -------------------------------------------------------------- */

static void result_json(const struct dd_result *r, struct dd_buf *b)
{
    int first = 1;
    dd_buf_putc(b, '{');
    dd_json_kstr(b, &first, "signal", r->signal);
    dd_json_kstr(b, &first, "method", r->method);
    if (r->mixed_types) { /* a guessed kind over numbers and strings: say which */
        dd_json_kstr(b, &first, "type", r->type);
        dd_json_kint(b, &first, "mixed_types", (int64_t)r->mixed_types);
    }
    if (r->status == DD_EINSUFFICIENT) {
        dd_json_kstr(b, &first, "status", "insufficient_data");
    } else {
        dd_json_knum(b, &first, "statistic", r->statistic);
        if (!isnan(r->p_value)) {
            dd_json_knum(b, &first, "p_value", r->p_value);
        }
        if (r->df >= 0) {
            dd_json_kint(b, &first, "df", r->df);
        }
        if (r->components >= 0) {
            dd_json_kint(b, &first, "components", r->components);
        }
        if (r->correction) {
            dd_json_kstr(b, &first, "correction", r->correction);
        }
        if (r->permutations) {
            dd_json_kint(b, &first, "permutations", (int64_t)r->permutations);
        }
        if (!isnan(r->lower)) {
            dd_json_knum(b, &first, "lower", r->lower);
            dd_json_knum(b, &first, "upper", r->upper);
        }
        dd_json_kstr(b, &first, "kind", r->kind ? r->kind : "effect_size");
        dd_json_knum(b, &first, "threshold", r->threshold);
        if (!isnan(r->level)) {
            dd_json_knum(b, &first, "level", r->level);
        }
        dd_json_kbool(b, &first, "drift", r->drift);
    }
    dd_json_kint(b, &first, "n_ref", (int64_t)r->n_ref);
    dd_json_kint(b, &first, "n_cur", (int64_t)r->n_cur);
    dd_buf_putc(b, '}');
}

/* "calibration": what decided the verdict (docs/api.md). */
static void calibration_json(const struct dd_report *r, struct dd_buf *b)
{
    const struct dd_calib_decision *d = &r->decision;
    int first = 1;
    dd_buf_putc(b, '{');
    if (!r->has_calibration || d->fallback) {
        dd_json_kstr(b, &first, "fallback", d->fallback ? d->fallback : "not_calibrated");
    } else {
        dd_json_kint(b, &first, "trials", (int64_t)d->trials);
        dd_json_key(b, "sizes", &first);
        dd_buf_printf(b, "[%zu", d->size_lo);
        if (d->size_hi != d->size_lo)
            dd_buf_printf(b, ",%zu", d->size_hi);
        dd_buf_putc(b, ']');
        dd_json_knum(b, &first, "level", d->level);
        dd_json_knum(b, &first, "m_eff", d->m_eff);
        dd_json_kint(b, &first, "calibrated_tests", (int64_t)d->n_calibrated);
        dd_json_kint(b, &first, "bonferroni_tests", (int64_t)d->n_bonferroni);
        dd_json_knum(b, &first, "p_value", d->p_value);
    }
    if (d->effective_size > 0) {
        dd_json_knum(b, &first, "effective_size", d->effective_size);
    }
    if (!isnan(r->acat_p)) {
        dd_json_knum(b, &first, "acat_p_value", r->acat_p);
    }
    dd_buf_putc(b, '}');
}

void dd_report_json_members(const struct dd_report *r, struct dd_buf *b)
{
    int first = 1;
    dd_json_kbool(b, &first, "drift", r->drift);
    dd_json_kstr(b, &first, "correction", r->correction ? r->correction : "holm");
    dd_json_knum(b, &first, "alpha", r->alpha);
    dd_json_key(b, "signals", &first);
    dd_buf_putc(b, '[');
    for (size_t i = 0; i < r->n_results; i++) {
        if (i)
            dd_buf_putc(b, ',');
        result_json(&r->results[i], b);
    }
    dd_buf_putc(b, ']');
    if (r->n_tests) {
        dd_json_key(b, "calibration", &first);
        calibration_json(r, b);
    }
}

static void fmt_num(char *dst, size_t n, double v)
{
    if (isnan(v))
        snprintf(dst, n, "-");
    else if (v != 0 && (fabs(v) < 1e-3 || fabs(v) >= 1e6))
        snprintf(dst, n, "%.3e", v);
    else
        snprintf(dst, n, "%.4f", v);
}

/* p-values and levels: five decimals, so that p and its level differ on
 * screen where they differ in the decision (0.00712 vs 0.00714). */
static void fmt_p(char *dst, size_t n, double v)
{
    if (!isnan(v) && v != 0 && fabs(v) < 1e-3)
        snprintf(dst, n, "%.3e", v);
    else if (!isnan(v))
        snprintf(dst, n, "%.5f", v);
    else
        snprintf(dst, n, "-");
}

void dd_report_text(const struct dd_report *r, struct dd_buf *b)
{
    size_t w = strlen("signal");
    for (size_t i = 0; i < r->n_results; i++) {
        size_t l = strlen(r->results[i].signal);
        if (l > w)
            w = l;
    }
    int wi = (int)(w > 60 ? 60 : w);
    dd_buf_printf(b, "%-*s  %-18s  %-11s  %11s  %11s  %11s  %-17s  %8s  %8s\n", wi, "signal",
                  "method", "kind", "statistic", "p_value", "level", "drift", "n_ref", "n_cur");
    for (size_t i = 0; i < r->n_results; i++) {
        const struct dd_result *x = &r->results[i];
        char st[32], pv[32], th[32];
        const char *verdict;
        if (x->status == DD_EINSUFFICIENT) {
            snprintf(st, sizeof st, "-");
            snprintf(pv, sizeof pv, "-");
            snprintf(th, sizeof th, "-");
            verdict = "insufficient_data";
        } else {
            fmt_num(st, sizeof st, x->statistic);
            fmt_p(pv, sizeof pv, x->p_value);
            /* a test is judged at its Holm level, an effect size at its threshold */
            if (isnan(x->level))
                fmt_num(th, sizeof th, x->threshold);
            else
                fmt_p(th, sizeof th, x->level);
            verdict = x->drift ? "DRIFT" : "ok";
        }
        dd_buf_printf(b, "%-*.*s  %-18s  %-11s  %11s  %11s  %11s  %-17s  %8zu  %8zu\n", wi, wi,
                      x->signal, x->method, x->kind ? x->kind : "effect_size", st, pv, th, verdict,
                      x->n_ref, x->n_cur);
    }
    const char *status = r->status ? r->status : r->drift ? "drift" : "ok";
    const char *corr = r->correction ? r->correction : "holm";
    if (!strcmp(status, "drift") || !strcmp(status, "ok"))
        dd_buf_printf(b,
                      "verdict: %s (%s at alpha %g over %zu test%s: a test row drifts when its "
                      "p_value <= its level; effect sizes flag only their own rows)\n",
                      r->drift ? "DRIFT" : "no drift", corr, r->alpha, r->n_tests,
                      r->n_tests == 1 ? "" : "s");
    else if (!strcmp(status, "no_reference"))
        dd_buf_puts(b, "verdict: no_reference (the reference has no events: nothing was tested)\n");
    else
        dd_buf_puts(b, "verdict: insufficient_data (no test had enough rows on both sides: "
                       "nothing was tested)\n");
}

unsigned dd_methods_allowed(enum dd_signal_kind kind)
{
    return (unsigned)kind <= DD_SIGNAL_EMBEDDING ? allowed_methods[kind] : 0;
}
