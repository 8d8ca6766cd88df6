/* signals.c — events to struct dd_signal_input arrays (signals.h).
 *
 * Each signal collects a numeric or categorical column per side in one pass
 * over the events; categorical values are interned in a per-signal table so
 * reference and current share category indexes.
 */
#include "server/signals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

struct column {          /* one side of one signal */
    double *num;
    uint32_t *cat;
    size_t n, cap;
};

struct catdict {         /* category name -> index, open addressing */
    char **names;
    size_t n, cap_names;
    uint32_t *slots;     /* index + 1; 0 = empty */
    size_t nslots;
};

struct sig {
    char name[160];
    size_t name_len;
    enum dd_signal_kind kind;
    int has_string;      /* features: a string value was seen -> categorical */
    struct column side[2];
    struct catdict dict;
};

struct signal_priv {
    struct sig **sigs;
    size_t n, cap;
    float *emb[2];
};

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static uint32_t dict_intern(struct catdict *d, const char *s, size_t n)
{
    if ((d->n + 1) * 2 > d->nslots) {
        size_t ns = d->nslots ? d->nslots * 2 : 64;
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

/* Features are collected in two passes: the first decides each feature's
 * kind (any string -> categorical), the second fills the columns. */
static void scan_feature_kinds(struct signal_priv *p, const struct dd_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t pos = 0;
        struct dd_feature f;
        while (dd_features_next(ev[i].features, ev[i].features_len, &pos, &f) == 1) {
            struct sig *s = sig_get2(p, "feature:", f.name, f.name_len, DD_SIGNAL_NUMERIC);
            s->has_string |= f.is_string;
        }
    }
}

static void collect(struct signal_priv *p, const struct dd_event *ev, size_t n, int side,
                    size_t nclasses)
{
    struct sig *conf = sig_get(p, "confidence", 10, DD_SIGNAL_NUMERIC);
    struct sig *pred = sig_get(p, "prediction", 10, DD_SIGNAL_CATEGORICAL);
    struct sig *lat = sig_get(p, "latency", 7, DD_SIGNAL_NUMERIC);
    struct sig *perf = sig_get(p, "performance", 11, DD_SIGNAL_CATEGORICAL);
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
        if (e->prediction)
            add_cat(pred, side, e->prediction, strlen(e->prediction));
        if (e->has & DD_HAS_LATENCY)
            add_num(lat, side, e->latency_ms);
        if (e->prediction && e->label) {
            const char *v = strcmp(e->prediction, e->label) == 0 ? "correct" : "incorrect";
            add_cat(perf, side, v, strlen(v));
        }
        for (size_t k = 0; k < nclasses && k < e->n_probabilities; k++)
            add_num(cls[k], side, e->probabilities[k]);
        size_t pos = 0;
        struct dd_feature f;
        while (dd_features_next(e->features, e->features_len, &pos, &f) == 1) {
            struct sig *s = sig_get2(p, "feature:", f.name, f.name_len, DD_SIGNAL_NUMERIC);
            if (s->kind == DD_SIGNAL_NUMERIC) {
                add_num(s, side, f.num);
            } else if (f.is_string) {
                add_cat(s, side, f.str, f.str_len);
            } else {
                char t[40];
                int tl = snprintf(t, sizeof t, "%.17g", f.num);
                add_cat(s, side, t, (size_t)tl);
            }
        }
    }
}

static float *collect_embeddings(const struct dd_event *ev, size_t n, uint32_t dim,
                                 size_t *rows)
{
    size_t r = 0;
    for (size_t i = 0; i < n; i++)
        r += ev[i].dim == dim;
    float *m = dd_malloc(dd_mul(dd_mul(r ? r : 1, dim), sizeof *m));
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

int signals_build(const struct dd_event *ref, size_t n_ref, const struct dd_event *cur,
                  size_t n_cur, struct signal_set *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    uint32_t dr = first_dim(ref, n_ref), dc = first_dim(cur, n_cur);
    if (dr && dc && dr != dc) {
        snprintf(err, errlen, "embedding dimension %u of the current data differs from %u of "
                 "the reference", dc, dr);
        return DD_EDIM;
    }
    struct signal_priv *p = dd_calloc(1, sizeof *p);
    out->priv = p;
    size_t nclasses = 0;
    for (size_t i = 0; i < n_ref; i++)
        if (ref[i].n_probabilities > nclasses)
            nclasses = ref[i].n_probabilities;
    if (nclasses > SIGNALS_MAX_CLASSES)
        nclasses = SIGNALS_MAX_CLASSES;

    /* fixed signals first, so reports list them in a stable order */
    sig_get(p, "confidence", 10, DD_SIGNAL_NUMERIC);
    sig_get(p, "prediction", 10, DD_SIGNAL_CATEGORICAL);
    sig_get(p, "latency", 7, DD_SIGNAL_NUMERIC);
    size_t first_feature = p->n;
    scan_feature_kinds(p, ref, n_ref);
    scan_feature_kinds(p, cur, n_cur);
    for (size_t i = first_feature; i < p->n; i++)
        if (p->sigs[i]->has_string)
            p->sigs[i]->kind = DD_SIGNAL_CATEGORICAL;
    collect(p, ref, n_ref, 0, nclasses);
    collect(p, cur, n_cur, 1, nclasses);

    size_t cap = p->n + 1;
    out->inputs = dd_calloc(cap, sizeof *out->inputs);
    uint32_t dim = dr ? dr : dc;
    /* report order: confidence, prediction, latency, embedding, classes, features */
    for (size_t i = 0; i < p->n; i++) {
        struct sig *s = p->sigs[i];
        if (!s->side[0].n && !s->side[1].n)
            continue;
        struct dd_signal_input *in = &out->inputs[out->n++];
        in->name = s->name;
        in->kind = s->kind;
        in->n_ref = s->side[0].n;
        in->n_cur = s->side[1].n;
        if (!strcmp(s->name, "performance"))
            in->methods = DD_M_CHI2; /* did the share of correct predictions change? */
        if (s->kind == DD_SIGNAL_NUMERIC) {
            in->ref_num = s->side[0].num;
            in->cur_num = s->side[1].num;
        } else {
            in->ref_cat = s->side[0].cat;
            in->cur_cat = s->side[1].cat;
            in->categories = (const char *const *)s->dict.names;
            in->n_categories = s->dict.n;
        }
    }
    if (dim) {
        size_t nr, nc;
        p->emb[0] = collect_embeddings(ref, n_ref, dim, &nr);
        p->emb[1] = collect_embeddings(cur, n_cur, dim, &nc);
        /* insert after the fixed signals that were emitted */
        size_t at = 0;
        while (at < out->n && (!strcmp(out->inputs[at].name, "confidence") ||
                               !strcmp(out->inputs[at].name, "prediction") ||
                               !strcmp(out->inputs[at].name, "latency")))
            at++;
        memmove(&out->inputs[at + 1], &out->inputs[at], (out->n - at) * sizeof *out->inputs);
        out->n++;
        struct dd_signal_input *in = &out->inputs[at];
        memset(in, 0, sizeof *in);
        in->name = "embedding";
        in->kind = DD_SIGNAL_EMBEDDING;
        in->ref_emb = p->emb[0];
        in->cur_emb = p->emb[1];
        in->n_ref = nr;
        in->n_cur = nc;
        in->dim = dim;
    }
    return 0;
}

void signals_release(struct signal_set *s)
{
    if (!s || !s->priv)
        return;
    struct signal_priv *p = s->priv;
    for (size_t i = 0; i < p->n; i++) {
        struct sig *g = p->sigs[i];
        for (int side = 0; side < 2; side++) {
            free(g->side[side].num);
            free(g->side[side].cat);
        }
        for (size_t k = 0; k < g->dict.n; k++)
            free(g->dict.names[k]);
        free(g->dict.names);
        free(g->dict.slots);
        free(g);
    }
    free(p->sigs);
    free(p->emb[0]);
    free(p->emb[1]);
    free(p);
    free(s->inputs);
    memset(s, 0, sizeof *s);
}
