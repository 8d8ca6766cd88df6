/* reference.c — prepared references and their bytes (reference.h). */
#include "server/monitor/reference.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/bytes.h"
#include "base/err.h"
#include "server/monitor/performance.h"
#include "server/monitor/signals.h"

void reference_prepare(const struct dd_batch *b, int fit_pca, struct ref_prepared *out)
{
    memset(out, 0, sizeof *out);
    out->n_events = b->n;
    out->sig = signals_ref_build(b->events, b->n);
    struct dd_buf perf;
    dd_buf_init(&perf);
    if (performance_json(b, &perf) > 0) {
        dd_buf_putc(&perf, 0);
        out->performance = dd_strndup(perf.data, perf.len - 1);
    }
    dd_buf_release(&perf);
    size_t rows;
    uint32_t dim;
    const float *x = signals_ref_embeddings(out->sig, &rows, &dim);
    if (fit_pca && dim &&
        dd_pca_fit(x, rows, dim, REFERENCE_PCA_VARIANCE, REFERENCE_PCA_MAX, &out->pca) == 0)
        out->has_pca = 1; /* on failure analysis/ answers for itself at evaluation time */
}

/* The seed of every calibration: the same events give the same calibration. */
#define REFERENCE_CALIB_SEED 0xca11b7a7e5eedull

static void calibrate_range(struct ref_prepared *r, const struct dd_batch *b,
                            const struct model_settings *ms, double eff_lo, double eff_hi)
{
    struct signal_set set;
    char err[128];
    struct dd_pca own;
    int own_pca = 0;
    size_t n = b->n;
    if (signals_build_cur_typed(r->sig, b->events, n, ms, &set, err, sizeof err) != 0) {
        signals_release(&set);
        return;
    }
    struct dd_calib_column *cols = dd_calloc(set.n ? set.n : 1, sizeof *cols);
    double **owned = dd_calloc(set.n ? set.n : 1, sizeof *owned);
    size_t nc = 0;
    for (size_t i = 0; i < set.n; i++) {
        const struct dd_signal_input *in = &set.inputs[i];
        if (in->n_cur != n) /* not in every event: no joint rows, Bonferroni's share */
            continue;
        struct dd_calib_column *c = &cols[nc];
        c->signal = in->name;
        c->k = 1;
        if (in->kind == DD_SIGNAL_NUMERIC) {
            c->method = DD_M_KS;
            c->values = in->cur_num;
        } else if (in->kind == DD_SIGNAL_CATEGORICAL) {
            c->method = DD_M_CHI2;
            c->codes = in->cur_cat;
            c->n_categories = in->n_categories;
        } else {
            const struct dd_pca *pca = r->has_pca ? &r->pca : NULL;
            if (!pca && dd_pca_fit(in->cur_emb, n, in->dim, REFERENCE_PCA_VARIANCE,
                                   REFERENCE_PCA_MAX, &own) == 0) {
                own_pca = 1;
                pca = &own;
            }
            if (!pca || pca->dim != in->dim)
                continue;
            owned[nc] = dd_malloc(dd_mul(dd_mul(n, pca->k_eff), sizeof(double)));
            if (dd_pca_project(pca, in->cur_emb, n, owned[nc]) != 0)
                continue;
            c->method = DD_M_PCA_KS;
            c->values = owned[nc];
            c->k = pca->k_eff;
        }
        nc++;
    }
    if (dd_calibrate_range(cols, nc, n, DD_CALIB_TRIALS, REFERENCE_CALIB_SEED, eff_lo, eff_hi,
                           &r->calibration) != 0)
        r->calibration = NULL;
    for (size_t i = 0; i < set.n; i++)
        free(owned[i]);
    free(owned);
    free(cols);
    if (own_pca)
        dd_pca_release(&own);
    signals_release(&set);
}

void reference_calibrate(struct ref_prepared *r, const struct dd_batch *b,
                         const struct model_settings *ms)
{
    calibrate_range(r, b, ms, 0.0, INFINITY);
}

void reference_calibrate_for(struct ref_prepared *r, const struct dd_batch *b,
                             const struct dd_batch *cur)
{
    /* every row of a report has its signal's counts: its effective size is
     * among these (analysis/eval.c decides at the largest of its rows') */
    double lo = INFINITY, hi = 0.0;
    struct signal_set set;
    char err[128];
    if (signals_build_cur(r->sig, cur->events, cur->n, &set, err, sizeof err) == 0)
        for (size_t i = 0; i < set.n; i++) {
            double nr = (double)set.inputs[i].n_ref, nc = (double)set.inputs[i].n_cur;
            if (nr > 0 && nc > 0) {
                lo = fmin(lo, 2.0 * nr * nc / (nr + nc));
                hi = fmax(hi, 2.0 * nr * nc / (nr + nc));
            }
        }
    signals_release(&set);
    if (lo <= hi)
        calibrate_range(r, b, NULL, lo, hi);
}

void reference_release(struct ref_prepared *r)
{
    dd_calibration_free(r->calibration);
    signals_ref_free(r->sig);
    if (r->has_pca)
        dd_pca_release(&r->pca);
    free(r->performance);
    memset(r, 0, sizeof *r);
}

/*   "DDRF" u32 format (2)  u64 events
 *   u64 length + signals_ref_encode()
 *   u64 length + dd_pca_encode() (0: no PCA)
 *   u64 length + performance JSON (0: none)
 *   u64 length + dd_calibration_encode() (0: none; format 2 only), or the
 *   4 bytes "PEND": not calibrated yet, a calibration is due (calibrating)
 * Format 1 (before #14's calibration) still decodes, with no calibration
 * (refcache.c calibrates it then, in the background). */
#define REF_MAGIC 0x46524444u /* "DDRF" little-endian */
#define REF_FORMAT 2u
#define CAL_PENDING "PEND"

static void put_part(struct dd_buf *out, const void *p, size_t n)
{
    uint64_t len = n;
    dd_buf_append(out, &len, sizeof len);
    if (n)
        dd_buf_append(out, p, n);
}

void reference_encode(const struct ref_prepared *r, struct dd_buf *out)
{
    uint32_t head[2] = {REF_MAGIC, REF_FORMAT};
    uint64_t n = r->n_events;
    dd_buf_append(out, head, sizeof head);
    dd_buf_append(out, &n, sizeof n);
    struct dd_buf part;
    dd_buf_init(&part);
    signals_ref_encode(r->sig, &part);
    put_part(out, part.data, part.len);
    dd_buf_reset(&part);
    if (r->has_pca)
        dd_pca_encode(&r->pca, &part);
    put_part(out, part.data, part.len);
    dd_buf_release(&part);
    put_part(out, r->performance, r->performance ? strlen(r->performance) : 0);
    dd_buf_init(&part);
    if (r->calibration)
        dd_calibration_encode(r->calibration, &part);
    else if (r->calibrating)
        dd_buf_append(&part, CAL_PENDING, 4);
    put_part(out, part.data, part.len);
    dd_buf_release(&part);
}

/* The next part (u64 length, bytes): its bytes, or NULL past the end. */
static const void *next_part(struct dd_reader *rd, size_t *len)
{
    uint64_t n = dd_read_u64(rd);
    *len = (size_t)n;
    return dd_reader_fits(rd, n, 1) ? dd_read(rd, (size_t)n) : NULL;
}

int reference_decode(const void *bytes, size_t len, struct ref_prepared *out)
{
    memset(out, 0, sizeof *out);
    struct dd_reader rd;
    dd_reader_init(&rd, bytes, len);
    uint32_t head[2] = {0, 0};
    dd_read_copy(&rd, head, sizeof head);
    uint64_t n = dd_read_u64(&rd);
    if (rd.bad || head[0] != REF_MAGIC || (head[1] != 1 && head[1] != REF_FORMAT))
        return DD_EINVAL;
    size_t ls, lp, lj, lc = 0;
    const void *sig = next_part(&rd, &ls);
    const void *pca = next_part(&rd, &lp);
    const char *perf = next_part(&rd, &lj);
    const void *cal = head[1] >= 2 ? next_part(&rd, &lc) : "";
    if (rd.bad || !sig || !pca || !perf || !cal || rd.left || memchr(perf, 0, lj))
        return DD_EINVAL;
    out->n_events = (size_t)n;
    if (signals_ref_decode(sig, ls, &out->sig) != 0 || signals_ref_events(out->sig) != n)
        goto fail;
    if (lp) {
        if (dd_pca_decode(pca, lp, &out->pca) != 0)
            goto fail;
        out->has_pca = 1;
        size_t rows;
        uint32_t dim;
        signals_ref_embeddings(out->sig, &rows, &dim);
        if (out->pca.dim != dim || out->pca.n_ref != rows)
            goto fail;
    }
    if (lj)
        out->performance = dd_strndup(perf, lj);
    if (lc == 4 && !memcmp(cal, CAL_PENDING, 4))
        out->calibrating = 1;
    else if (lc && dd_calibration_decode(cal, lc, &out->calibration) != 0)
        goto fail;
    return 0;
fail:
    reference_release(out);
    return DD_EINVAL;
}
