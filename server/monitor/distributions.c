/* distributions.c — see distributions.h. */
#include "server/monitor/distributions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/embed.h"
#include "base/err.h"
#include "server/monitor/signals.h"

#define DIST_BINS 20
#define DIST_MAX_CATEGORIES 30
#define DIST_MAX_POINTS 500

static void hist_json(struct dd_buf *b, const double *x, size_t n, double lo, double hi)
{
    size_t counts[DIST_BINS] = {0};
    double width = (hi - lo) / DIST_BINS;
    for (size_t i = 0; i < n; i++) {
        size_t k = width > 0 ? (size_t)((x[i] - lo) / width) : 0;
        counts[k >= DIST_BINS ? DIST_BINS - 1 : k]++;
    }
    dd_buf_putc(b, '[');
    for (int k = 0; k < DIST_BINS; k++)
        dd_buf_printf(b, k ? ",%zu" : "%zu", counts[k]);
    dd_buf_putc(b, ']');
}

static void numeric_json(struct dd_buf *b, const struct dd_signal_input *s)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < s->n_ref; i++) {
        lo = fmin(lo, s->ref_num[i]);
        hi = fmax(hi, s->ref_num[i]);
    }
    for (size_t i = 0; i < s->n_cur; i++) {
        lo = fmin(lo, s->cur_num[i]);
        hi = fmax(hi, s->cur_num[i]);
    }
    if (!(lo <= hi))
        lo = hi = 0;
    dd_buf_puts(b, "\"kind\":\"numeric\",\"edges\":[");
    for (int k = 0; k <= DIST_BINS; k++) {
        if (k)
            dd_buf_putc(b, ',');
        dd_json_num(b, lo + (hi - lo) * k / DIST_BINS);
    }
    dd_buf_puts(b, "],\"reference\":");
    hist_json(b, s->ref_num, s->n_ref, lo, hi);
    dd_buf_puts(b, ",\"current\":");
    hist_json(b, s->cur_num, s->n_cur, lo, hi);
}

struct cat_count {
    size_t idx, ref, cur;
};

static int by_counts_desc(const void *pa, const void *pb)
{
    const struct cat_count *a = pa, *b = pb;
    if (a->ref != b->ref)
        return a->ref < b->ref ? 1 : -1;
    if (a->cur != b->cur)
        return a->cur < b->cur ? 1 : -1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Shares of the most frequent categories (by reference, then current), the
 * rest folded into "(other)". */
static void categorical_json(struct dd_buf *b, const struct dd_signal_input *s)
{
    size_t nc = s->n_categories;
    struct cat_count *c = calloc(nc ? nc : 1, sizeof *c);
    if (!c)
        return;
    for (size_t i = 0; i < nc; i++)
        c[i].idx = i;
    for (size_t i = 0; i < s->n_ref_counts && i < nc; i++)
        c[i].ref = s->ref_counts[i]; /* signals.h: the reference side as counts */
    for (size_t i = 0; i < s->n_cur; i++)
        c[s->cur_cat[i]].cur++;
    qsort(c, nc, sizeof *c, by_counts_desc);
    size_t shown = nc < DIST_MAX_CATEGORIES ? nc : DIST_MAX_CATEGORIES;
    size_t other[2] = {0, 0};
    for (size_t i = shown; i < nc; i++) {
        other[0] += c[i].ref;
        other[1] += c[i].cur;
    }
    dd_buf_puts(b, "\"kind\":\"categorical\",\"categories\":[");
    for (size_t i = 0; i < shown; i++) {
        if (i)
            dd_buf_putc(b, ',');
        dd_json_str(b, s->categories[c[i].idx]);
    }
    if (shown < nc)
        dd_buf_puts(b, ",\"(other)\"");
    for (int side = 0; side < 2; side++) {
        double total = (double)(side ? s->n_cur : s->n_ref);
        dd_buf_puts(b, side ? "],\"current\":[" : "],\"reference\":[");
        for (size_t i = 0; i < shown; i++) {
            if (i)
                dd_buf_putc(b, ',');
            dd_json_num(b, total > 0 ? (double)(side ? c[i].cur : c[i].ref) / total : 0);
        }
        if (shown < nc) {
            dd_buf_putc(b, ',');
            dd_json_num(b, total > 0 ? (double)other[side] / total : 0);
        }
    }
    dd_buf_putc(b, ']');
    free(c);
}

/* Every step-th row of an n x dim matrix, at most DIST_MAX_POINTS rows. */
static float *sample_rows(const float *x, size_t n, size_t dim, size_t *m)
{
    size_t step = n > DIST_MAX_POINTS ? (n + DIST_MAX_POINTS - 1) / DIST_MAX_POINTS : 1;
    *m = n ? (n + step - 1) / step : 0;
    float *out = malloc((*m ? *m : 1) * dim * sizeof *out);
    for (size_t i = 0; i < *m && out; i++)
        memcpy(out + i * dim, x + i * step * dim, dim * sizeof *out);
    return out;
}

static void points_json(struct dd_buf *b, const struct dd_pca *p, const float *x, size_t m)
{
    double *proj = malloc((m ? m : 1) * p->k_eff * sizeof *proj);
    dd_buf_putc(b, '[');
    if (proj && m && dd_pca_project(p, x, m, proj) == 0)
        for (size_t i = 0; i < m; i++) {
            if (i)
                dd_buf_putc(b, ',');
            dd_buf_putc(b, '[');
            dd_json_num(b, proj[i * p->k_eff]);
            dd_buf_putc(b, ',');
            dd_json_num(b, p->k_eff > 1 ? proj[i * p->k_eff + 1] : 0.0);
            dd_buf_putc(b, ']');
        }
    dd_buf_putc(b, ']');
    free(proj);
}

static void embedding_json(struct dd_buf *b, const struct dd_signal_input *s)
{
    size_t mr, mc;
    float *r = sample_rows(s->ref_emb, s->n_ref, s->dim, &mr);
    float *c = sample_rows(s->cur_emb, s->n_cur, s->dim, &mc);
    struct dd_pca p;
    dd_buf_puts(b, "\"kind\":\"embedding\"");
    if (r && c && mr >= 2 && dd_pca_fit(r, mr, s->dim, 1.0, 2, &p) == 0) {
        dd_buf_puts(b, ",\"explained\":");
        dd_json_num(b, p.explained);
        dd_buf_puts(b, ",\"reference\":");
        points_json(b, &p, r, mr);
        dd_buf_puts(b, ",\"current\":");
        points_json(b, &p, c, mc);
        dd_pca_release(&p);
    } else {
        dd_buf_puts(b, ",\"reference\":[],\"current\":[]");
    }
    free(r);
    free(c);
}

int distributions_json(const struct window_data *d, const char *model, const char *version,
                       const char *only, int64_t computed_ms, struct dd_buf *b, char *err,
                       size_t errlen)
{
    return distributions_json_events(d->ref, &d->cur, &d->settings, model, version, only,
                                     computed_ms, b, err, errlen);
}

int distributions_json_events(const struct ref_prepared *ref, const struct dd_batch *cur,
                              const struct model_settings *ms, const char *model,
                              const char *version, const char *only, int64_t computed_ms,
                              struct dd_buf *b, char *err, size_t errlen)
{
    struct signal_set set;
    int rc = signals_build_cur_typed(ref->sig, cur->events, cur->n, ms, &set, err, errlen);
    if (rc != 0) {
        signals_release(&set);
        return DD_EDIM;
    }
    dd_buf_puts(b, "{\"model\":");
    dd_json_str(b, model);
    dd_buf_puts(b, ",\"version\":");
    dd_json_str(b, version);
    dd_buf_puts(b, ",\"computed_at\":");
    dd_json_time(b, computed_ms);
    dd_buf_printf(b, ",\"reference\":{\"events\":%zu},\"window\":{\"events\":%zu},\"signals\":[",
                  ref->n_events, cur->n);
    int first = 1, found = 0;
    for (size_t i = 0; i < set.n; i++) {
        const struct dd_signal_input *s = &set.inputs[i];
        if (only && strcmp(only, s->name) != 0)
            continue;
        found = 1;
        dd_buf_puts(b, first ? "{\"signal\":" : ",{\"signal\":");
        first = 0;
        dd_json_str(b, s->name);
        dd_buf_printf(b, ",\"n_ref\":%zu,\"n_cur\":%zu,", s->n_ref, s->n_cur);
        if (s->kind == DD_SIGNAL_NUMERIC)
            numeric_json(b, s);
        else if (s->kind == DD_SIGNAL_CATEGORICAL)
            categorical_json(b, s);
        else
            embedding_json(b, s);
        dd_buf_putc(b, '}');
    }
    dd_buf_puts(b, "]}");
    signals_release(&set);
    return only && !found ? DD_ENOTFOUND : 0;
}
