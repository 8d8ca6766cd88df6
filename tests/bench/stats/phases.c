/* phases.c — where `driftd check`'s time goes (diagnosis for the statistics
 * benchmark, tests/bench/stats/run.sh; not part of driftd).
 *
 * Same library calls as server/cmd_check.c: read the files, dd_parse_events(),
 * reference_prepare() + signals_build_cur() + dd_eval_run() (what
 * drift_evaluate() does without model settings or a cached PCA),
 * drift_report_json().  Prints one JSON line with
 * the seconds of each phase and the report's p-values, so run.sh can show
 * driftd's compute-only time next to SciPy's.
 *
 * usage: bench_stats_phases REF CUR KIND=M1,M2 [SEED [MMD_SAMPLE]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/eval.h"
#include "base/buf.h"
#include "ingest/parse.h"
#include "server/monitor/drift.h"
#include "server/monitor/reference.h"
#include "server/monitor/signals.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    struct dd_buf b;
    dd_buf_init(&b);
    char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        dd_buf_append(&b, chunk, n);
    fclose(fp);
    return dd_buf_take(&b, len);
}

static int load(const char *path, struct dd_batch *b, double *t_read, double *t_parse)
{
    double t0 = now();
    size_t len;
    char *text = slurp(path, &len);
    if (!text) {
        fprintf(stderr, "stats_phases: cannot read %s\n", path);
        return -1;
    }
    double t1 = now();
    struct dd_parse_error pe;
    enum dd_body_format fmt = dd_body_is_events(text, len) ? DD_BODY_JSON : DD_BODY_NDJSON;
    int rc = dd_parse_events(text, len, fmt, b, &pe);
    free(text);
    double t2 = now();
    *t_read += t1 - t0;
    *t_parse += t2 - t1;
    if (rc) {
        fprintf(stderr, "stats_phases: %s: %s\n", path, pe.message);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: stats_phases REF CUR KIND=M1,M2 [SEED]\n");
        return 2;
    }
    static const char *const kinds[] = {"numeric", "categorical", "embedding"};
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    char spec[256];
    snprintf(spec, sizeof spec, "%s", argv[3]);
    char *eq = strchr(spec, '=');
    if (!eq)
        return 2;
    *eq = 0;
    int kind = -1;
    for (int k = 0; k < 3; k++)
        if (!strcmp(spec, kinds[k]))
            kind = k;
    if (kind < 0)
        return 2;
    unsigned bits = 0;
    for (char *save = NULL, *m = strtok_r(eq + 1, ",", &save); m; m = strtok_r(NULL, ",", &save))
        bits |= dd_method_parse(m);
    o.methods[kind] = bits;
    if (argc > 4)
        o.seed = strtoull(argv[4], NULL, 10);
    if (argc > 5)
        o.mmd_max_samples = strtoull(argv[5], NULL, 10);

    double t_start = now(), t_read = 0, t_parse = 0;
    struct dd_batch ref, cur;
    dd_batch_init(&ref);
    dd_batch_init(&cur);
    if (load(argv[1], &ref, &t_read, &t_parse) || load(argv[2], &cur, &t_read, &t_parse))
        return 2;
    double t0 = now();
    struct signal_set set;
    char err[256];
    struct ref_prepared prepared; /* as driftd check: reference side first */
    reference_prepare(&ref, 0, &prepared);
    if (signals_build_cur(prepared.sig, cur.events, cur.n, &set, err, sizeof err)) {
        fprintf(stderr, "stats_phases: %s\n", err);
        return 2;
    }
    double t1 = now();
    struct dd_report rep;
    int rc = dd_eval_run(set.inputs, set.n, &o, &rep);
    double t2 = now();
    if (rc) {
        fprintf(stderr, "stats_phases: dd_eval_run: %d\n", rc);
        return 2;
    }
    signals_release(&set);
    struct dd_buf out;
    dd_buf_init(&out);
    struct drift_meta m = {.model = "check",
                           .n_cur_total = cur.n,
                           .n_cur = cur.n,
                           .n_ref = ref.n,
                           .computed_ms = -1,
                           .ref_performance = prepared.performance,
                           .cur = &cur,
                           .from_ms = -1,
                           .to_ms = -1};
    drift_report_json(&m, &rep, &out);
    double t3 = now();
    reference_release(&prepared);
    dd_batch_release(&ref);
    dd_batch_release(&cur);
    double t4 = now();
    printf("{\"read_s\":%.6f,\"parse_s\":%.6f,\"signals_s\":%.6f,\"stats_s\":%.6f,"
           "\"json_s\":%.6f,\"free_s\":%.6f,\"total_s\":%.6f,\"report\":%.*s}\n",
           t_read, t_parse, t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t_start, (int)out.len,
           out.data);
    dd_buf_release(&out);
    dd_report_release(&rep);
    return 0;
}
