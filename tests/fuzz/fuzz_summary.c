/* fuzz_summary.c — libFuzzer target for the stored summary of a reference:
 * reference_decode() (server/monitor/reference.c, with signals_ref_decode()
 * and dd_pca_decode() under it), which reads the bytes of ref_summaries
 * back at a restart.  The input is those bytes.  Invariants:
 *
 *   - decode answers 0 or DD_EINVAL, and on DD_EINVAL leaves nothing
 *     behind (the struct zeroed, no allocation: libFuzzer's leak check);
 *   - a successful decode encodes again to exactly the input bytes (a format-1
 *     input, from before the verdict's calibration, as format 2 with an empty
 *     calibration part);
 *   - a decoded PCA holds only finite numbers and sorted projections;
 *   - a decoded reference can be evaluated (drift_evaluate() and the drift
 *     body) against a current window with and without embeddings, without a
 *     crash, a hang, undefined behaviour or a leak (DRIFTD_SUMMARY_EVAL=0
 *     turns this off for a faster search of the decoder alone).  The inputs
 *     of repro_summary/ once broke it: dd_pca_decode() took NaN and dd_pca_ks()
 *     looped forever; signals_ref_decode() took a kind its name contradicts
 *     ("probability:1" categorical) and dd_count_categories() read a NULL
 *     column.  Both decoders refuse these now;
 *   - memory stays proportional to the input: run with -malloc_limit_mb
 *     (tests.cmake), so a length field that asks for more than its bytes
 *     hold is a failure.
 *
 * The seeds (corpus_summary/) are real encodings of references prepared
 * from synthetic batches, made by this file:
 *
 *     DRIFTD_SUMMARY_SEEDS=tests/fuzz/corpus_summary build-fz-fuzz/tests/fuzz_summary
 *
 * writes them there and exits (run it again when the format changes). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "ingest/parse.h"
#include "server/monitor/drift.h"
#include "server/monitor/reference.h"

#include "ref_report.h"

/* The current windows the decoded references are evaluated against (unless
 * DRIFTD_SUMMARY_EVAL=0). */
static struct dd_batch cur_emb, cur_plain;
static int eval_on;

/* Appends n synthetic NDJSON events to s: which fields by `with` bits. */
enum { W_CONF = 1, W_PRED = 2, W_LABEL = 4, W_FEAT = 8, W_PROBS = 16, W_EMB = 32, W_LAT = 64 };
static void synth(struct dd_buf *s, int n, int with, int dim, double shift, unsigned seed)
{
    srand(seed);
    for (int i = 0; i < n; i++) {
        double u = (double)rand() / RAND_MAX;
        dd_buf_printf(s, "{\"id\":\"e%d\"", i);
        if (with & W_CONF)
            dd_buf_printf(s, ",\"confidence\":%.4f", u * 0.5 + shift / 4);
        if (with & W_LAT)
            dd_buf_printf(s, ",\"latency_ms\":%.2f", 5 + 20 * u + shift);
        if (with & W_PRED)
            dd_buf_printf(s, ",\"prediction\":\"%s\"", i % 3 ? "cat" : "dog");
        if (with & W_LABEL)
            dd_buf_printf(s, ",\"label\":\"%s\"", i % 5 ? "cat" : "dog");
        if (with & W_FEAT)
            dd_buf_printf(s, ",\"features\":{\"age\":%d,\"region\":\"r%d\",\"mixed\":%s}",
                          20 + rand() % 50, i % 4, i % 7 ? "1" : "\"x\"");
        if (with & W_PROBS) {
            double p = 0.2 + 0.6 * u;
            dd_buf_printf(s, ",\"probabilities\":[%.4f,%.4f,%.4f]", p, (1 - p) / 2, (1 - p) / 2);
        }
        if (with & W_EMB) {
            dd_buf_puts(s, ",\"embedding\":[");
            for (int j = 0; j < dim; j++)
                dd_buf_printf(s, "%s%.4f", j ? "," : "",
                              shift < 0 ? 1.0 : (double)rand() / RAND_MAX * (1 + j) + shift);
            dd_buf_putc(s, ']');
        }
        dd_buf_puts(s, "}\n");
    }
}

static void batch(struct dd_batch *b, int n, int with, int dim, double shift, unsigned seed)
{
    struct dd_buf s;
    dd_buf_init(&s);
    synth(&s, n, with, dim, shift, seed);
    struct dd_parse_error pe;
    if (dd_parse_events(s.data ? s.data : "", s.len, DD_BODY_NDJSON, b, &pe) != 0) {
        fprintf(stderr, "fuzz_summary: synthetic batch refused: %s\n", pe.message);
        abort();
    }
    dd_buf_release(&s);
}

/* The seeds: references of a few kinds, small enough to mutate quickly. */
static const struct seed {
    const char *name;
    int n, with, dim, fit_pca;
    double shift; /* < 0: every embedding row the same (a zero-variance PCA) */
} seeds[] = {
    {"numeric", 30, W_CONF | W_LAT, 0, 0, 0},
    {"categorical_labels", 25, W_PRED | W_LABEL, 0, 0, 0},
    {"features", 40, W_FEAT, 0, 0, 0},
    {"probabilities", 24, W_PROBS | W_PRED, 0, 0, 0},
    {"embedding_pca", 40, W_EMB, 3, 1, 0},
    {"embedding_no_pca", 30, W_EMB, 4, 0, 0},
    {"embedding_constant", 22, W_EMB, 2, 1, -1},
    {"everything", 32, W_CONF | W_LAT | W_PRED | W_LABEL | W_FEAT | W_PROBS | W_EMB, 3, 1, 0},
    {"two_events", 2, W_CONF | W_PRED | W_EMB, 2, 1, 0},
    {"three_events", 3, W_FEAT | W_LAT | W_LABEL, 0, 0, 0},
    {"empty", 0, 0, 0, 1, 0},
};

static void encode_seed(const struct seed *sd, struct dd_buf *out)
{
    struct dd_batch b;
    batch(&b, sd->n, sd->with, sd->dim, sd->shift, 11);
    struct ref_prepared r;
    reference_prepare(&b, sd->fit_pca, &r);
    reference_encode(&r, out);
    reference_release(&r);
    dd_batch_release(&b);
}

static void write_seeds(const char *dir)
{
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        struct dd_buf e;
        dd_buf_init(&e);
        encode_seed(&seeds[i], &e);
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, seeds[i].name);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(e.data, 1, e.len, f) != e.len || fclose(f) != 0) {
            fprintf(stderr, "fuzz_summary: cannot write '%s'\n", path);
            exit(1);
        }
        printf("%s: %zu bytes\n", path, e.len);
        dd_buf_release(&e);
    }
}

static void check(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("DRIFTD_SUMMARY_SEEDS");
    if (dir && dir[0]) {
        write_seeds(dir);
        exit(0);
    }
    eval_on = !(getenv("DRIFTD_SUMMARY_EVAL") && !strcmp(getenv("DRIFTD_SUMMARY_EVAL"), "0"));
    batch(&cur_emb, 25, W_CONF | W_LAT | W_PRED | W_LABEL | W_FEAT | W_PROBS | W_EMB, 3, 0.3, 5);
    batch(&cur_plain, 21, W_CONF | W_PRED | W_FEAT | W_PROBS, 0, 0.3, 6);
    /* the seeds of today's encoder pass the checks (the committed corpus may be older) */
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        struct dd_buf e;
        dd_buf_init(&e);
        encode_seed(&seeds[i], &e);
        struct ref_prepared r;
        if (reference_decode(e.data, e.len, &r) != 0) {
            fprintf(stderr, "fuzz_summary: seed '%s' does not decode\n", seeds[i].name);
            abort();
        }
        reference_release(&r);
        check((const uint8_t *)e.data, e.len);
        dd_buf_release(&e);
    }
    return 0;
}

/* What dd_pca_decode() promises (repro_summary/pca-nan-component-ks-hangs):
 * finite numbers and sorted projections; 0 otherwise. */
static int pca_checked_by_decode(const struct dd_pca *p)
{
    const double *arrays[] = {p->mean, p->components, p->eigenvalues, p->ref_proj};
    size_t sizes[] = {p->dim, p->dim * p->k, p->k, p->k_eff * p->n_ref};
    for (int a = 0; a < 4; a++)
        for (size_t i = 0; i < sizes[a]; i++)
            if (!isfinite(arrays[a][i]))
                return 0;
    for (size_t c = 0; c < p->k_eff; c++)
        for (size_t i = 1; i < p->n_ref; i++)
            if (!(p->ref_proj[c * p->n_ref + i - 1] <= p->ref_proj[c * p->n_ref + i]))
                return 0;
    return isfinite(p->total_variance) && isfinite(p->explained) && isfinite(p->err_mean) &&
           isfinite(p->err_sd);
}

static void evaluate(const struct ref_prepared *r, const struct dd_batch *cur)
{
    if (r->has_pca && !pca_checked_by_decode(&r->pca))
        abort(); /* the decoder let a damaged PCA through */
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    o.mmd_permutations = 10; /* all methods, cheaply */
    o.mmd_max_samples = 64;
    for (int k = 0; k < 3; k++)
        o.methods[k] = dd_methods_allowed((enum dd_signal_kind)k);
    char err[200];
    err[0] = 0;
    struct dd_buf json;
    dd_buf_init(&json);
    int rc = ref_report_json(r, cur, &o, &json, err, sizeof err);
    dd_buf_release(&json);
    if (rc != 0 && !err[0])
        abort(); /* refused without saying why */
}

static void check(const uint8_t *data, size_t size)
{
    struct ref_prepared r;
    int rc = reference_decode(data, size, &r);
    if (rc == DD_EINVAL) {
        static const struct ref_prepared zero;
        if (memcmp(&r, &zero, sizeof r) != 0)
            abort(); /* refused, but something is left in *out */
        return;
    }
    if (rc != 0)
        abort();
    struct dd_buf again;
    dd_buf_init(&again);
    reference_encode(&r, &again);
    /* a format-1 summary (before #14's calibration) encodes again as format 2:
     * the same parts, the format word 2 and an empty calibration part */
    uint32_t format = 0;
    if (size >= 8)
        memcpy(&format, data + 4, sizeof format);
    size_t want = format == 1 ? size + 8 : size;
    if (again.len != want || (size > 8 && memcmp(again.data + 8, data + 8, size - 8) != 0) ||
        (format == 1 && memcmp(again.data + size, "\0\0\0\0\0\0\0\0", 8) != 0))
        abort(); /* decoded, but not what was stored */
    dd_buf_release(&again);
    if (eval_on) {
        evaluate(&r, &cur_emb);
        evaluate(&r, &cur_plain);
    }
    reference_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size);
    return 0;
}
