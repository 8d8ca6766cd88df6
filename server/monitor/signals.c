/* signals.c — events to struct dd_signal_input arrays (signals.h).
 *
 * Reading order: the category dictionary, the per-side columns, collect()
 * (one pass over events fills every signal's column), signals_ref_build()
 * (the reference side, then frozen: values sorted, categories counted),
 * signals_build_cur() (the current side against it), and the byte form.
 *
 * Categorical values are interned in a per-signal dictionary.  The current
 * side's dictionary starts as a copy of the reference's (names borrowed), so
 * index i means the same category on both sides.
 */
#include "server/monitor/signals.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/sort.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "server/monitor/settings.h"

struct column { /* one side of one signal */
    double *num;
    uint32_t *cat;
    size_t n, cap;
};

struct catdict { /* category name -> index, open addressing */
    char **names;
    size_t n, cap_names;
    uint32_t *slots; /* index + 1; 0 = empty */
    size_t nslots;
    size_t borrowed; /* names [0, borrowed) are another dictionary's */
};

/* The reference side of one signal, frozen. */
struct ref_sig {
    char name[160];
    size_t name_len;
    enum dd_signal_kind kind;
    size_t n;
    double *num;               /* numeric: n values, ascending */
    struct catdict dict;       /* categorical: names in order of first appearance */
    uint64_t *counts;          /* categorical: dict.n counts, summing to n */
    uint64_t numbers, strings; /* features: values given as numbers / strings */
};

struct signals_ref {
    size_t n_events, nclasses;
    uint32_t dim; /* embedding dimension; 0: no embeddings */
    size_t n_emb;
    float *emb; /* n_emb x dim */
    struct ref_sig *sigs;
    size_t n;
};

/* One signal while a side is collected. */
struct sig {
    char name[160];
    size_t name_len;
    enum dd_signal_kind kind;
    int has_text;                    /* features: a string that is no number was seen */
    int has_pred_num;                /* prediction: a numeric (regression) one was seen */
    int declared;                    /* SETTINGS_TYPE_* from the "types" setting, 0: guess */
    uint64_t numbers[2], strings[2]; /* features: values given as numbers / strings */
    struct sig *missing;             /* a feature's missing:<name> signal */
    const struct ref_sig *ref;       /* its reference side, if any */
    struct column side[2];           /* 0: reference (building it, or re-read as categories) */
    struct catdict dict;
    uint64_t *counts; /* a re-read reference side's counts */
};

struct signal_priv {
    struct sig **sigs;
    size_t n, cap;
    float *emb_cur;
};

/* ---- category dictionary ---- */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static void dict_rehash(struct catdict *d, size_t ns)
{
    uint32_t *slots = dd_calloc(ns, sizeof *slots);
    for (size_t i = 0; i < d->n; i++) {
        size_t h = hash_bytes(d->names[i], strlen(d->names[i])) & (ns - 1);
        while (slots[h])
            h = (h + 1) & (ns - 1);
        slots[h] = (uint32_t)i + 1;
    }
    free(d->slots);
    d->slots = slots;
    d->nslots = ns;
}

static uint32_t dict_intern(struct catdict *d, const char *s, size_t n)
{
    if ((d->n + 1) * 2 > d->nslots)
        dict_rehash(d, d->nslots ? d->nslots * 2 : 64);
    size_t h = hash_bytes(s, n) & (d->nslots - 1);
    while (d->slots[h]) {
        const char *name = d->names[d->slots[h] - 1];
        if (strlen(name) == n && memcmp(name, s, n) == 0)
            return d->slots[h] - 1;
        h = (h + 1) & (d->nslots - 1);
    }
    if (d->n == d->cap_names) {
        d->cap_names = d->cap_names ? d->cap_names * 2 : 16;
        d->names = dd_realloc(d->names, d->cap_names * sizeof *d->names);
    }
    d->names[d->n] = dd_strndup(s, n);
    d->slots[h] = (uint32_t)d->n + 1;
    return (uint32_t)d->n++;
}

/* d starts as src's names (borrowed: src must outlive d). */
static void dict_borrow(struct catdict *d, const struct catdict *src)
{
    memset(d, 0, sizeof *d);
    if (!src->n)
        return;
    d->cap_names = src->n;
    d->names = dd_malloc(d->cap_names * sizeof *d->names);
    memcpy(d->names, src->names, src->n * sizeof *d->names);
    d->n = d->borrowed = src->n;
    d->slots = dd_malloc(src->nslots * sizeof *d->slots);
    memcpy(d->slots, src->slots, src->nslots * sizeof *d->slots);
    d->nslots = src->nslots;
}

static void dict_release(struct catdict *d)
{
    for (size_t k = d->borrowed; k < d->n; k++)
        free(d->names[k]);
    free(d->names);
    free(d->slots);
    memset(d, 0, sizeof *d);
}

/* ---- collecting a side ---- */

static void column_grow(struct column *c, int categorical)
{
    if (c->n < c->cap)
        return;
    c->cap = c->cap ? c->cap * 2 : 256;
    if (categorical)
        c->cat = dd_realloc(c->cat, c->cap * sizeof *c->cat);
    else
        c->num = dd_realloc(c->num, c->cap * sizeof *c->num);
}

/* The signal `prefix` + name, created on first use.  Called per event and
 * feature, so it compares in place; only a new signal formats its name. */
static struct sig *sig_get2(struct signal_priv *p, const char *prefix, const char *name,
                            size_t name_len, enum dd_signal_kind kind)
{
    size_t pl = strlen(prefix), total = pl + name_len;
    for (size_t i = 0; i < p->n; i++) {
        const struct sig *s = p->sigs[i];
        if (s->name_len == total && !memcmp(s->name, prefix, pl) &&
            !memcmp(s->name + pl, name, name_len))
            return p->sigs[i];
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->sigs = dd_realloc(p->sigs, p->cap * sizeof *p->sigs);
    }
    struct sig *s = dd_calloc(1, sizeof *s);
    int n = snprintf(s->name, sizeof s->name, "%s%.*s", prefix, (int)name_len, name);
    s->name_len = n < (int)sizeof s->name ? (size_t)n : sizeof s->name - 1;
    s->kind = kind;
    p->sigs[p->n++] = s;
    return s;
}

static struct sig *sig_get(struct signal_priv *p, const char *name, size_t name_len,
                           enum dd_signal_kind kind)
{
    return sig_get2(p, "", name, name_len, kind);
}

static void add_num(struct sig *s, int side, double v)
{
    struct column *c = &s->side[side];
    column_grow(c, 0);
    c->num[c->n++] = v;
}

static void add_cat(struct sig *s, int side, const char *v, size_t n)
{
    struct column *c = &s->side[side];
    column_grow(c, 1);
    c->cat[c->n++] = dict_intern(&s->dict, v, n);
}

/* A number as a category: its shortest text, so that a number sent as 45.3
 * and a string "45.3" are the same category. */
static void add_num_as_cat(struct sig *s, int side, double v)
{
    char t[40];
    int tl = dd_double_text(v, t, sizeof t);
    add_cat(s, side, t, (size_t)tl);
}

/* 1 and *v when s[0..n) is a whole finite number (" 3", "3x", "", "nan" and
 * "inf" are not). */
static int text_number(const char *s, size_t n, double *v)
{
    if (n == 0 || n >= 64 || s[0] == ' ' || s[0] == '\t')
        return 0;
    return dd_text_double(s, n, v);
}

/* A feature value or prediction into a signal of either kind: numbers as
 * their text for categories, strings read as numbers for a numeric signal
 * (one that is not a number is left out: the declared type says numeric). */
static void add_value(struct sig *s, int side, const char *str, size_t len, double num)
{
    double v;
    if (s->kind == DD_SIGNAL_CATEGORICAL) {
        if (str)
            add_cat(s, side, str, len);
        else
            add_num_as_cat(s, side, num);
    } else if (!str) {
        add_num(s, side, num);
    } else if (text_number(str, len, &v)) {
        add_num(s, side, v);
    }
}

/* The declared type of a signal, 0 when none. */
static int declared_type(const struct model_settings *ms, const char *name)
{
    for (int i = 0; ms && i < ms->n_types; i++)
        if (!strcmp(ms->types[i].signal, name))
            return (int)ms->types[i].type;
    return 0;
}

/* Signals are collected in two passes: the first decides each feature's
 * and the prediction's kind, the second fills the columns. */
static void scan_kinds(struct signal_priv *p, const struct dd_event *ev, size_t n, int side)
{
    struct sig *pred = sig_get(p, "prediction", 10, DD_SIGNAL_CATEGORICAL);
    for (size_t i = 0; i < n; i++) {
        if (ev[i].has & DD_HAS_PREDICTION_NUM)
            pred->has_pred_num = 1;
        size_t pos = 0;
        struct dd_feature f;
        while (dd_features_next(ev[i].features, ev[i].features_len, &pos, &f) == 1) {
            struct sig *s = sig_get2(p, "feature:", f.name, f.name_len, DD_SIGNAL_NUMERIC);
            if (!s->missing)
                s->missing = sig_get2(p, "missing:", f.name, f.name_len, DD_SIGNAL_CATEGORICAL);
            double v;
            if (f.is_missing)
                continue;
            if (!f.is_string) {
                s->numbers[side]++;
                continue;
            }
            s->strings[side]++;
            if (!s->has_text && !text_number(f.str, f.str_len, &v))
                s->has_text = 1;
        }
    }
}

/* The reference side of s again in s's kind when the stored side has the
 * other one: numbers as categories, or categories read as numbers (those
 * that are no number are left out), sorted. */
static void reread_ref(struct sig *s)
{
    const struct ref_sig *rs = s->ref;
    if (rs->kind == DD_SIGNAL_NUMERIC) {
        for (size_t k = 0; k < rs->n; k++)
            add_num_as_cat(s, 0, rs->num[k]);
        return;
    }
    for (size_t k = 0; k < rs->dict.n; k++) {
        double v;
        const char *name = rs->dict.names[k];
        if (!text_number(name, strlen(name), &v))
            continue;
        for (uint64_t c = 0; c < rs->counts[k]; c++)
            add_num(s, 0, v);
    }
    if (s->side[0].n)
        dd_sort_doubles(s->side[0].num, s->side[0].n);
}

/* Each feature's and the prediction's kind: the declared type (ms), else
 * the reference's kind unless this side cannot be read in it, else the
 * guess (a feature: numeric unless a string is no number; the prediction:
 * numeric when one was a regression's). */
static void settle_kinds(struct signal_priv *p, const struct model_settings *ms)
{
    for (size_t i = 0; i < p->n; i++) {
        struct sig *s = p->sigs[i];
        int feature = !strncmp(s->name, "feature:", 8);
        if (!feature && strcmp(s->name, "prediction") != 0)
            continue;
        int numeric = feature ? !s->has_text : s->has_pred_num;
        if (s->ref && s->ref->kind == DD_SIGNAL_NUMERIC)
            numeric = feature ? numeric : 1;
        else if (s->ref && feature)
            numeric = 0; /* categories in the reference stay categories */
        s->declared = declared_type(ms, s->name);
        if (s->declared)
            numeric = s->declared == SETTINGS_TYPE_NUMERIC;
        s->kind = numeric ? DD_SIGNAL_NUMERIC : DD_SIGNAL_CATEGORICAL;
        if (s->ref && s->ref->kind != s->kind)
            reread_ref(s);
    }
}

static void collect(struct signal_priv *p, const struct dd_event *ev, size_t n, int side,
                    size_t nclasses)
{
    struct sig *conf = sig_get(p, "confidence", 10, DD_SIGNAL_NUMERIC);
    struct sig *pred = sig_get(p, "prediction", 10, DD_SIGNAL_CATEGORICAL);
    struct sig *lat = sig_get(p, "latency", 7, DD_SIGNAL_NUMERIC);
    struct sig *perf = sig_get(p, "performance", 11, DD_SIGNAL_CATEGORICAL);
    struct sig *err = sig_get(p, "error", 5, DD_SIGNAL_NUMERIC);
    struct sig *cls[SIGNALS_MAX_CLASSES];
    for (size_t k = 0; k < nclasses; k++) {
        char name[32];
        int len = snprintf(name, sizeof name, "probability:%zu", k);
        cls[k] = sig_get(p, name, (size_t)len, DD_SIGNAL_NUMERIC);
    }
    for (size_t i = 0; i < n; i++) {
        const struct dd_event *e = &ev[i];
        if (e->has & DD_HAS_CONFIDENCE)
            add_num(conf, side, e->confidence);
        /* a regression's prediction as a number; a class as its text */
        double yhat = 0, y;
        int has_yhat = (e->has & DD_HAS_PREDICTION_NUM) != 0;
        if (has_yhat)
            yhat = e->prediction_num;
        else if (e->prediction)
            has_yhat = text_number(e->prediction, strlen(e->prediction), &yhat);
        if (e->prediction) {
            if (has_yhat && pred->kind == DD_SIGNAL_NUMERIC)
                add_num(pred, side, yhat);
            else
                add_value(pred, side, e->prediction, strlen(e->prediction), 0);
        }
        if (e->has & DD_HAS_LATENCY)
            add_num(lat, side, e->latency_ms);
        if (e->prediction && e->label && pred->kind == DD_SIGNAL_CATEGORICAL) {
            const char *v = strcmp(e->prediction, e->label) == 0 ? "correct" : "incorrect";
            add_cat(perf, side, v, strlen(v));
        } else if (e->prediction && e->label && has_yhat &&
                   text_number(e->label, strlen(e->label), &y)) {
            add_num(err, side, yhat - y); /* a label that is no number is left out */
        }
        for (size_t k = 0; k < nclasses && k < e->n_probabilities; k++)
            add_num(cls[k], side, e->probabilities[k]);
        size_t pos = 0;
        struct dd_feature f;
        while (dd_features_next(e->features, e->features_len, &pos, &f) == 1) {
            struct sig *s = sig_get2(p, "feature:", f.name, f.name_len, DD_SIGNAL_NUMERIC);
            const char *m = f.is_missing ? "missing" : "present";
            add_cat(s->missing, side, m, strlen(m));
            if (!f.is_missing)
                add_value(s, side, f.is_string ? f.str : NULL, f.str_len, f.num);
        }
    }
}

/* One side: the fixed signals first (report order), features' kinds
 * settled, then every column filled. */
static void collect_side(struct signal_priv *p, const struct dd_event *ev, size_t n, int side,
                         size_t nclasses, const struct model_settings *ms)
{
    sig_get(p, "confidence", 10, DD_SIGNAL_NUMERIC);
    sig_get(p, "prediction", 10, DD_SIGNAL_CATEGORICAL);
    sig_get(p, "latency", 7, DD_SIGNAL_NUMERIC);
    scan_kinds(p, ev, n, side);
    settle_kinds(p, ms);
    collect(p, ev, n, side, nclasses);
}

static float *collect_embeddings(const struct dd_event *ev, size_t n, uint32_t dim, size_t *rows)
{
    size_t r = 0;
    for (size_t i = 0; i < n; i++)
        r += ev[i].dim == dim;
    float *m = dd_malloc(r ? dd_mul(dd_mul(r, dim), sizeof *m) : sizeof *m);
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (ev[i].dim == dim)
            memcpy(m + dd_mul(j++, dim), ev[i].embedding, (size_t)dim * sizeof *m);
    *rows = r;
    return m;
}

static uint32_t first_dim(const struct dd_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ev[i].dim)
            return ev[i].dim;
    return 0;
}

static void priv_free(struct signal_priv *p)
{
    for (size_t i = 0; i < p->n; i++) {
        struct sig *g = p->sigs[i];
        for (int side = 0; side < 2; side++) {
            free(g->side[side].num);
            free(g->side[side].cat);
        }
        dict_release(&g->dict);
        free(g->counts);
        free(g);
    }
    free(p->sigs);
    free(p->emb_cur);
    free(p);
}

/* ---- the reference side ---- */

/* Counts per category (k of them) of a categorical column. */
static uint64_t *count_categories(const uint32_t *cat, size_t n, size_t k)
{
    uint64_t *counts = dd_calloc(k ? k : 1, sizeof *counts);
    for (size_t i = 0; i < n; i++)
        counts[cat[i]]++;
    return counts;
}

struct signals_ref *signals_ref_build(const struct dd_event *ref, size_t n_ref)
{
    struct signals_ref *r = dd_calloc(1, sizeof *r);
    r->n_events = n_ref;
    for (size_t i = 0; i < n_ref; i++)
        if (ref[i].n_probabilities > r->nclasses)
            r->nclasses = ref[i].n_probabilities;
    if (r->nclasses > SIGNALS_MAX_CLASSES)
        r->nclasses = SIGNALS_MAX_CLASSES;

    struct signal_priv *p = dd_calloc(1, sizeof *p);
    collect_side(p, ref, n_ref, 0, r->nclasses, NULL);

    r->sigs = dd_calloc(p->n ? p->n : 1, sizeof *r->sigs);
    r->n = p->n;
    for (size_t i = 0; i < p->n; i++) {
        struct sig *s = p->sigs[i];
        struct ref_sig *rs = &r->sigs[i];
        memcpy(rs->name, s->name, sizeof rs->name);
        rs->name_len = s->name_len;
        rs->kind = s->kind;
        rs->n = s->side[0].n;
        rs->numbers = s->numbers[0];
        rs->strings = s->strings[0];
        if (s->kind == DD_SIGNAL_NUMERIC) {
            rs->num = s->side[0].num; /* moved */
            s->side[0].num = NULL;
            dd_sort_doubles(rs->num, rs->n);
        } else {
            rs->dict = s->dict; /* moved */
            memset(&s->dict, 0, sizeof s->dict);
            rs->counts = count_categories(s->side[0].cat, rs->n, rs->dict.n);
        }
    }
    priv_free(p);

    r->dim = first_dim(ref, n_ref);
    if (r->dim)
        r->emb = collect_embeddings(ref, n_ref, r->dim, &r->n_emb);
    return r;
}

void signals_ref_free(struct signals_ref *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->sigs[i].num);
        dict_release(&r->sigs[i].dict);
        free(r->sigs[i].counts);
    }
    free(r->sigs);
    free(r->emb);
    free(r);
}

size_t signals_ref_events(const struct signals_ref *r)
{
    return r->n_events;
}

int signals_ref_kind(const struct signals_ref *r, const char *name)
{
    if (!strcmp(name, "embedding"))
        return r->dim && r->n_emb ? (int)DD_SIGNAL_EMBEDDING : -1;
    for (size_t i = 0; i < r->n; i++)
        if (r->sigs[i].n && !strcmp(r->sigs[i].name, name))
            return (int)r->sigs[i].kind;
    return -1;
}

void signals_ref_names(const struct signals_ref *r, struct dd_buf *out)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->sigs[i].n && strncmp(r->sigs[i].name, "missing:", 8) != 0) {
            dd_buf_puts(out, out->len ? ", " : "");
            dd_buf_puts(out, r->sigs[i].name);
        }
    if (r->dim && r->n_emb)
        dd_buf_puts(out, out->len ? ", embedding" : "embedding");
}

const float *signals_ref_embeddings(const struct signals_ref *r, size_t *n, uint32_t *dim)
{
    *n = r->n_emb;
    *dim = r->dim;
    return r->emb;
}

/* ---- the current side ---- */

/* Report order: the fixed signals, the embedding, features, performance,
 * per-class probabilities; within a group, in order of creation. */
static int group_of(const char *name)
{
    if (!strncmp(name, "feature:", 8) || !strncmp(name, "missing:", 8))
        return 2;
    if (!strcmp(name, "performance") || !strcmp(name, "error"))
        return 3;
    if (!strncmp(name, "probability:", 12))
        return 4;
    return 0;
}

/* The index of category name in d, -1 if none. */
static long dict_find(const struct catdict *d, const char *name)
{
    for (size_t k = 0; k < d->n; k++)
        if (!strcmp(d->names[k], name))
            return (long)k;
    return -1;
}

static void add_input(struct signal_set *out, struct sig *s)
{
    size_t n_ref = s->side[0].n;
    const struct ref_sig *rs = s->ref;
    int reread = rs && rs->kind != s->kind; /* the reference read in the other kind */
    if (rs && !reread)
        n_ref = rs->n;
    if (!n_ref && !s->side[1].n)
        return;
    /* missing:<feature> only where some value was missing, on either side
     * (categories in the dictionary were seen on one of them) */
    if (!strncmp(s->name, "missing:", 8) && dict_find(&s->dict, "missing") < 0)
        return;
    struct dd_signal_input *in = &out->inputs[out->n++];
    in->name = s->name;
    in->kind = s->kind;
    in->n_ref = n_ref;
    in->n_cur = s->side[1].n;
    if (!strcmp(s->name, "performance") || !strncmp(s->name, "missing:", 8))
        in->methods = DD_M_CHI2; /* did the share of correct / missing values change? */
    if (!strcmp(s->name, "error"))
        in->methods = DD_M_KS; /* did the distribution of prediction - label change? */
    if (!s->declared && !strncmp(s->name, "feature:", 8)) {
        uint64_t nums = s->numbers[1] + (rs ? rs->numbers : s->numbers[0]);
        uint64_t strs = s->strings[1] + (rs ? rs->strings : s->strings[0]);
        in->mixed_types = (size_t)(nums < strs ? nums : strs);
    }
    if (s->kind == DD_SIGNAL_NUMERIC) {
        in->ref_num = reread ? s->side[0].num : rs ? rs->num : NULL;
        in->ref_sorted = rs != NULL;
        in->cur_num = s->side[1].num;
    } else {
        /* the reference side as counts: the stored ones, or a re-read side's */
        if (reread)
            s->counts = count_categories(s->side[0].cat, n_ref, s->dict.n);
        in->ref_counts = reread ? s->counts : rs ? rs->counts : NULL;
        in->n_ref_counts = reread ? s->dict.n : rs ? rs->dict.n : 0;
        in->cur_cat = s->side[1].cat;
        in->categories = (const char *const *)s->dict.names;
        in->n_categories = s->dict.n;
    }
}

int signals_build_cur(const struct signals_ref *r, const struct dd_event *cur, size_t n_cur,
                      struct signal_set *out, char *err, size_t errlen)
{
    return signals_build_cur_typed(r, cur, n_cur, NULL, out, err, errlen);
}

int signals_build_cur_typed(const struct signals_ref *r, const struct dd_event *cur, size_t n_cur,
                            const struct model_settings *ms, struct signal_set *out, char *err,
                            size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct signal_priv *p = dd_calloc(1, sizeof *p);
    out->priv = p;
    uint32_t dc = first_dim(cur, n_cur);
    if (r->dim && dc && r->dim != dc) {
        snprintf(err, errlen,
                 "embedding dimension %u of the current data differs from %u of "
                 "the reference",
                 dc, r->dim);
        return DD_EDIM;
    }
    for (size_t i = 0; i < r->n; i++) {
        const struct ref_sig *rs = &r->sigs[i];
        struct sig *s = sig_get(p, rs->name, rs->name_len, rs->kind);
        s->ref = rs;
        if (rs->kind == DD_SIGNAL_CATEGORICAL)
            dict_borrow(&s->dict, &rs->dict);
    }
    collect_side(p, cur, n_cur, 1, r->nclasses, ms);

    out->inputs = dd_calloc(p->n + 1, sizeof *out->inputs);
    for (int g = 0; g <= 4; g++) {
        if (g == 1) {
            uint32_t dim = r->dim ? r->dim : dc;
            if (!dim)
                continue;
            static const float none[1];
            size_t nc;
            p->emb_cur = collect_embeddings(cur, n_cur, dim, &nc);
            struct dd_signal_input *in = &out->inputs[out->n++];
            in->name = "embedding";
            in->kind = DD_SIGNAL_EMBEDDING;
            in->ref_emb = r->emb ? r->emb : none;
            in->cur_emb = p->emb_cur;
            in->n_ref = r->n_emb;
            in->n_cur = nc;
            in->dim = dim;
            continue;
        }
        for (size_t i = 0; i < p->n; i++)
            if (group_of(p->sigs[i]->name) == g)
                add_input(out, p->sigs[i]);
    }
    return 0;
}

void signals_release(struct signal_set *s)
{
    if (!s || !s->priv)
        return;
    priv_free(s->priv);
    free(s->inputs);
    memset(s, 0, sizeof *s);
}

/* ---- byte form ----
 *
 *   "DDSG" u32 format (1)  u64 events  u64 classes  u32 dim  u64 rows
 *   rows x dim f32         u64 signals
 *   per signal: u16 name length, name, u8 kind, u64 n, u64 numbers,
 *     u64 strings (format 2: how many feature values were sent as numbers
 *     and as strings, for mixed_types), then
 *     numeric: n f64 (ascending)
 *     categorical: u64 categories, per category u32 length, name, u64 count
 */

#define SIG_MAGIC 0x47534444u /* "DDSG" little-endian */
#define SIG_FORMAT 2u         /* 1 is refused, and prepared again from the events */

static void put(struct dd_buf *b, const void *p, size_t n)
{
    dd_buf_append(b, p, n);
}
static void put_u64(struct dd_buf *b, uint64_t v)
{
    put(b, &v, sizeof v);
}
static void put_u32(struct dd_buf *b, uint32_t v)
{
    put(b, &v, sizeof v);
}

void signals_ref_encode(const struct signals_ref *r, struct dd_buf *b)
{
    put_u32(b, SIG_MAGIC);
    put_u32(b, SIG_FORMAT);
    put_u64(b, r->n_events);
    put_u64(b, r->nclasses);
    put_u32(b, r->dim);
    put_u64(b, r->n_emb);
    if (r->dim && r->n_emb)
        put(b, r->emb, dd_mul(dd_mul(r->n_emb, r->dim), sizeof *r->emb));
    put_u64(b, r->n);
    for (size_t i = 0; i < r->n; i++) {
        const struct ref_sig *s = &r->sigs[i];
        uint16_t nl = (uint16_t)s->name_len;
        put(b, &nl, sizeof nl);
        put(b, s->name, s->name_len);
        uint8_t kind = (uint8_t)s->kind;
        put(b, &kind, 1);
        put_u64(b, s->n);
        put_u64(b, s->numbers);
        put_u64(b, s->strings);
        if (s->kind == DD_SIGNAL_NUMERIC) {
            put(b, s->num, s->n * sizeof *s->num);
            continue;
        }
        put_u64(b, s->dict.n);
        for (size_t k = 0; k < s->dict.n; k++) {
            uint32_t len = (uint32_t)strlen(s->dict.names[k]);
            put_u32(b, len);
            put(b, s->dict.names[k], len);
            put_u64(b, s->counts[k]);
        }
    }
}

/* The signals whose kind is fixed by their name (the sig_get() calls above
 * make them so); a stored summary that says otherwise is damaged, and the
 * current side, built by name, would not match it.  Features may be either. */
static int kind_fits_name(const char *name, enum dd_signal_kind kind)
{
    if (!strcmp(name, "confidence") || !strcmp(name, "latency") || !strcmp(name, "error") ||
        !strncmp(name, "probability:", 12))
        return kind == DD_SIGNAL_NUMERIC;
    if (!strcmp(name, "performance") || !strncmp(name, "missing:", 8))
        return kind == DD_SIGNAL_CATEGORICAL;
    return !strncmp(name, "feature:", 8) || !strcmp(name, "prediction");
}

static int decode_sig(struct dd_reader *rd, struct ref_sig *s)
{
    uint16_t nl = 0;
    dd_read_copy(rd, &nl, sizeof nl);
    const char *name = nl < sizeof s->name ? dd_read(rd, nl) : NULL;
    const unsigned char *kind = dd_read(rd, 1);
    uint64_t n = dd_read_u64(rd);
    s->numbers = dd_read_u64(rd);
    s->strings = dd_read_u64(rd);
    if (!name || !kind || rd->bad || (*kind != DD_SIGNAL_NUMERIC && *kind != DD_SIGNAL_CATEGORICAL))
        return DD_EINVAL;
    memcpy(s->name, name, nl);
    s->name[nl] = 0;
    s->name_len = nl;
    s->kind = (enum dd_signal_kind) * kind;
    if (!kind_fits_name(s->name, s->kind))
        return DD_EINVAL;
    /* a feature's values came as numbers or strings; other signals count none */
    if (strncmp(s->name, "feature:", 8) ? s->numbers || s->strings
                                        : s->numbers > n || s->strings != n - s->numbers)
        return DD_EINVAL;
    if (s->kind == DD_SIGNAL_NUMERIC) {
        const void *v =
            dd_reader_fits(rd, n, sizeof(double)) ? dd_read(rd, n * sizeof(double)) : NULL;
        if (!v)
            return DD_EINVAL;
        s->n = n;
        s->num = dd_malloc((n ? n : 1) * sizeof *s->num);
        memcpy(s->num, v, n * sizeof *s->num);
        return dd_has_nonfinite(s->num, n) || !dd_is_sorted(s->num, n) ? DD_EINVAL : 0;
    }
    uint64_t ncat = dd_read_u64(rd);
    if (!dd_reader_fits(rd, ncat, 12) || ncat > UINT32_MAX) /* >= 12 bytes per category */
        return DD_EINVAL;
    uint64_t total = 0;
    uint64_t *counts = dd_calloc(ncat ? ncat : 1, sizeof *counts);
    for (uint64_t k = 0; k < ncat; k++) {
        uint32_t len = 0;
        dd_read_copy(rd, &len, sizeof len);
        const char *cn = dd_read(rd, len);
        counts[k] = dd_read_u64(rd);
        if (rd->bad || memchr(cn, 0, len) || counts[k] > n - total) {
            free(counts);
            return DD_EINVAL;
        }
        total += counts[k];
        if (dict_intern(&s->dict, cn, len) != k) { /* a name twice */
            free(counts);
            return DD_EINVAL;
        }
    }
    if (total != n) {
        free(counts);
        return DD_EINVAL;
    }
    s->n = n;
    s->counts = counts;
    return 0;
}

int signals_ref_decode(const void *bytes, size_t len, struct signals_ref **out)
{
    struct dd_reader rd;
    dd_reader_init(&rd, bytes, len);
    uint32_t head[2] = {0, 0};
    dd_read_copy(&rd, head, sizeof head);
    if (head[0] != SIG_MAGIC || head[1] != SIG_FORMAT)
        return DD_EINVAL;
    struct signals_ref *r = dd_calloc(1, sizeof *r);
    r->n_events = dd_read_u64(&rd);
    r->nclasses = dd_read_u64(&rd);
    dd_read_copy(&rd, &r->dim, sizeof r->dim);
    r->n_emb = dd_read_u64(&rd);
    int rc = DD_EINVAL;
    if (rd.bad || r->nclasses > SIGNALS_MAX_CLASSES || (!r->dim && r->n_emb) ||
        r->dim > DD_EMBED_DIM_MAX)
        goto fail;
    if (r->dim) {
        size_t row = (size_t)r->dim * sizeof(float);
        const void *e = dd_reader_fits(&rd, r->n_emb, row) ? dd_read(&rd, r->n_emb * row) : NULL;
        if (!e)
            goto fail;
        r->emb = dd_malloc(r->n_emb ? r->n_emb * row : 1);
        memcpy(r->emb, e, r->n_emb * row);
    }
    uint64_t nsig = dd_read_u64(&rd);
    if (!dd_reader_fits(&rd, nsig, 27)) /* >= 27 bytes per signal */
        goto fail;
    r->sigs = dd_calloc(nsig ? nsig : 1, sizeof *r->sigs);
    for (uint64_t i = 0; i < nsig; i++) {
        r->n = i + 1;
        if (decode_sig(&rd, &r->sigs[i]) != 0)
            goto fail;
    }
    if (rd.left)
        goto fail;
    *out = r;
    return 0;
fail:
    signals_ref_free(r);
    return rc;
}
