/* test_calibrate.c — analysis/calibrate.c: the min-p calibration of the
 * verdict, its bytes, its decision, and ACAT against SciPy (acat.txt, from
 * gen_acat.py).
 *
 * The calibration cases use a family of 12 numeric signals correlated at 0.9
 * (one common factor) and one categorical signal made from the factor: Holm
 * over 13 such tests spends far less than alpha.  With a fixed seed, 300
 * null windows (fresh draws from the reference's population) must give
 * calibrated global p-values that are uniform (KS against U(0, 1),
 * p > 0.01), a false-alarm rate inside the binomial 99.9% interval around
 * 0.05, and Holm's rate below it on the same windows. */
#include <stdlib.h>
#include <string.h>

#include "analysis/calibrate.h"
#include "analysis/eval.h"
#include "analysis/kolmogorov.h"
#include "analysis/multitest.h"
#include "base/err.h"
#include "check.h"
#include "fixture.h"

#define N_REF 2000
#define N_NUM 12
#define RHO 0.9

static const char *cats[] = {"lo", "mid", "hi"};
static char names[N_NUM + 1][16];

static double gauss(struct dd_rng *r)
{
    double u = dd_rng_uniform(r), v = dd_rng_uniform(r);
    return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

/* n rows: x[j][i] numeric, c[i] categorical */
static void draw(struct dd_rng *r, size_t n, double *x[N_NUM], uint32_t *c)
{
    for (size_t i = 0; i < n; i++) {
        double f = gauss(r);
        for (int j = 0; j < N_NUM; j++)
            x[j][i] = sqrt(RHO) * f + sqrt(1 - RHO) * gauss(r);
        double y = f + 0.5 * gauss(r);
        c[i] = y < -0.5 ? 0 : y < 0.5 ? 1 : 2;
    }
}

struct family {
    double *ref[N_NUM];
    uint32_t ref_c[N_REF];
    struct dd_calibration *cal;
};

/* The calibration's columns over the family's reference rows. */
static void family_columns(struct family *f, struct dd_calib_column cols[N_NUM + 1])
{
    memset(cols, 0, (N_NUM + 1) * sizeof *cols);
    for (int j = 0; j < N_NUM; j++)
        cols[j] = (struct dd_calib_column){names[j], DD_M_KS, f->ref[j], 1, NULL, 0};
    cols[N_NUM] = (struct dd_calib_column){names[N_NUM], DD_M_CHI2, NULL, 1, f->ref_c, 3};
}

static void family_init(struct family *f, uint64_t seed)
{
    struct dd_rng r;
    dd_rng_seed(&r, seed);
    for (int j = 0; j < N_NUM; j++) {
        f->ref[j] = malloc(N_REF * sizeof(double));
        snprintf(names[j], sizeof names[j], "feature:x%d", j);
    }
    snprintf(names[N_NUM], sizeof names[N_NUM], "prediction");
    draw(&r, N_REF, f->ref, f->ref_c);
    struct dd_calib_column cols[N_NUM + 1];
    family_columns(f, cols);
    f->cal = NULL;
    CHECK_EQ_INT(dd_calibrate(cols, N_NUM + 1, N_REF, DD_CALIB_TRIALS, 7, &f->cal), 0);
}

static void family_release(struct family *f)
{
    for (int j = 0; j < N_NUM; j++)
        free(f->ref[j]);
    dd_calibration_free(f->cal);
}

/* One null evaluation of n_cur rows: the report (caller releases). */
static void evaluate(struct family *f, struct dd_rng *r, size_t n_cur,
                     const struct dd_calibration *cal, struct dd_report *rep)
{
    double *cur[N_NUM];
    uint32_t *cc = malloc(n_cur * sizeof *cc);
    for (int j = 0; j < N_NUM; j++)
        cur[j] = malloc(n_cur * sizeof(double));
    draw(r, n_cur, cur, cc);
    struct dd_signal_input in[N_NUM + 1];
    memset(in, 0, sizeof in);
    for (int j = 0; j < N_NUM; j++) {
        in[j].name = names[j];
        in[j].kind = DD_SIGNAL_NUMERIC;
        in[j].ref_num = f->ref[j];
        in[j].cur_num = cur[j];
        in[j].n_ref = N_REF;
        in[j].n_cur = n_cur;
        in[j].methods = DD_M_KS;
    }
    in[N_NUM] = (struct dd_signal_input){.name = names[N_NUM],
                                         .kind = DD_SIGNAL_CATEGORICAL,
                                         .ref_cat = f->ref_c,
                                         .cur_cat = cc,
                                         .categories = cats,
                                         .n_categories = 3,
                                         .n_ref = N_REF,
                                         .n_cur = n_cur,
                                         .methods = DD_M_CHI2};
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    o.calibration = cal;
    CHECK_EQ_INT(dd_eval_run(in, N_NUM + 1, &o, rep), 0);
    for (int j = 0; j < N_NUM; j++)
        free(cur[j]);
    free(cc);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* KS of x[0..n) against U(0, 1): the p-value (asymptotic Kolmogorov). */
static double ks_uniform(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp);
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, (double)(i + 1) / (double)n - x[i]);
        d = fmax(d, x[i] - (double)i / (double)n);
    }
    return dd_kolmogn_sf((long)n, d);
}

/* Under AddressSanitizer each window costs ~15 times as much (300 windows:
 * 100 s of the ASan pass): a sanitizer build checks the memory of 60 windows
 * and leaves the rates, which need the 300, to the release build. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WINDOWS 60
#define CHECK_RATES 0
#else
#define WINDOWS 300
#define CHECK_RATES 1
#endif

TEST(null_uniform_and_alpha)
{
    struct family f;
    family_init(&f, 1414);
    size_t sizes[DD_CALIB_MAX_SIZES];
    CHECK_EQ_INT(dd_calibration_sizes(f.cal, sizes), 6); /* 2 × 1000 <= 2000 */
    struct dd_rng r;
    dd_rng_seed(&r, 99);
    double gp[WINDOWS];
    int alarms = 0, holm_alarms = 0;
    for (int w = 0; w < WINDOWS; w++) {
        struct dd_report rep;
        evaluate(&f, &r, 100, f.cal, &rep);
        CHECK_EQ_STR(rep.correction, "minp_calibrated");
        CHECK_EQ_INT(rep.decision.n_calibrated, N_NUM + 1);
        gp[w] = rep.decision.p_value;
        alarms += rep.drift;
        /* the same window judged by Holm: its test rows' p-values (a second
         * evaluation would double the test's time, which ASan makes minutes) */
        double p[N_NUM + 1];
        int rej[N_NUM + 1];
        size_t m = 0;
        for (size_t i = 0; i < rep.n_results && m < N_NUM + 1; i++)
            if (!strcmp(rep.results[i].kind, "test") && !isnan(rep.results[i].p_value))
                p[m++] = rep.results[i].p_value;
        CHECK_EQ_INT(m, N_NUM + 1);
        holm_alarms += dd_holm(p, m, 0.05, rej) > 0;
        /* drift <=> global p <= alpha <=> some row at or under its level */
        CHECK_EQ_INT(rep.drift, rep.decision.p_value <= 0.05);
        dd_report_release(&rep);
    }
    double rate = (double)alarms / WINDOWS, holm_rate = (double)holm_alarms / WINDOWS;
    double pks = ks_uniform(gp, WINDOWS);
    printf("null: calibrated %.3f, holm %.3f, KS of global p vs U(0,1): p = %.3f\n", rate,
           holm_rate, pks);
    CHECK_CMP_DBL(pks, >, 0.01);
    if (CHECK_RATES) {
        /* 99.9% binomial interval around 0.05 for 300 windows: [0.009, 0.091] */
        CHECK_CMP_DBL(rate, >=, 0.009);
        CHECK_CMP_DBL(rate, <=, 0.091);
        CHECK_CMP_DBL(holm_rate, <, rate);
    }
    family_release(&f);
}

TEST(power_over_holm_and_levels)
{
    struct family f;
    family_init(&f, 2828);
    /* a small shift of the common factor: the calibrated level is looser */
    struct dd_rng r;
    dd_rng_seed(&r, 5);
    struct dd_report rep;
    evaluate(&f, &r, 300, f.cal, &rep);
    CHECK_CMP_DBL(rep.decision.level, >, 0.05 / (N_NUM + 1)); /* looser than Bonferroni */
    CHECK_CMP_DBL(rep.decision.level, <, 0.05);
    CHECK_CMP_DBL(rep.decision.m_eff, <, N_NUM + 1);
    CHECK_CMP_DBL(rep.decision.m_eff, >, 1);
    CHECK_EQ_INT(rep.decision.size_lo, 500); /* 2·2000·300/2300 = 522 */
    CHECK_EQ_INT(rep.decision.size_hi, 1000);
    for (size_t i = 0; i < rep.n_results; i++)
        CHECK_EQ_INT(rep.results[i].drift, rep.results[i].p_value <= rep.results[i].level);
    struct dd_buf b;
    dd_buf_init(&b);
    dd_report_json_members(&rep, &b);
    dd_buf_putc(&b, 0);
    CHECK_CONTAINS(b.data, "\"correction\":\"minp_calibrated\"");
    CHECK_CONTAINS(b.data, "],\"calibration\":{\"trials\":1000,\"sizes\":[500,1000]");
    dd_buf_release(&b);
    dd_report_release(&rep);
    family_release(&f);
}

TEST(fallbacks)
{
    struct family f;
    family_init(&f, 77);
    struct dd_calib_row rows[3] = {
        {"feature:x0", DD_M_KS, 0.01}, {"feature:x1", DD_M_KS, 0.2}, {"mmd-only", DD_M_MMD, 0.001}};
    int cal[3];
    struct dd_calib_decision d;
    dd_calibration_decide(f.cal, rows, 3, 0.05, 100, cal, &d);
    CHECK(d.fallback == NULL);
    CHECK_EQ_INT(cal[0] + cal[1], 2);
    CHECK_EQ_INT(cal[2], 0);
    CHECK_EQ_INT(d.n_bonferroni, 1);
    CHECK_CLOSE(d.bonferroni_level, 0.05 / 3, 1e-12, 0);
    CHECK_CLOSE(d.p_value, 0.003, 1e-12, 0); /* m · min p of the uncalibrated row */
    CHECK_EQ_INT(d.n_stale, 0);              /* mmd is never calibrated: not stale */
    /* a calibrated KS signal tested by chi2 (a declared type since): stale */
    struct dd_calib_row typed[2] = {{"feature:x0", DD_M_CHI2, 0.01}, {"feature:x1", DD_M_KS, 0.2}};
    dd_calibration_decide(f.cal, typed, 2, 0.05, 100, cal, &d);
    CHECK_EQ_INT(cal[0], 0);
    CHECK_EQ_INT(cal[1], 1);
    CHECK_EQ_INT(d.n_stale, 1);
    CHECK_EQ_INT(d.n_bonferroni, 1);
    dd_calibration_decide(f.cal, rows, 3, 0.05, 10, cal, &d); /* under the smallest size */
    CHECK_EQ_STR(d.fallback, "size_outside");
    dd_calibration_decide(f.cal, rows, 3, 0.05, 4001, cal, &d); /* > 4 × 1000 */
    CHECK_EQ_STR(d.fallback, "size_outside");
    dd_calibration_decide(f.cal, rows + 2, 1, 0.05, 100, cal, &d);
    CHECK_EQ_STR(d.fallback, "no_calibrated_rows");
    dd_calibration_decide(f.cal, rows, 2, 0.0005, 100, cal, &d); /* 0.0005·1001 < 1 */
    CHECK_EQ_STR(d.fallback, "alpha_too_small");
    /* too small a reference: no calibration at all */
    struct dd_calibration *none = (struct dd_calibration *)1;
    struct dd_calib_column c = {"feature:x0", DD_M_KS, f.ref[0], 1, NULL, 0};
    CHECK_EQ_INT(dd_calibrate(&c, 1, 39, 100, 1, &none), 0);
    CHECK(none == NULL);
    uint32_t bad[40] = {[3] = 7};
    struct dd_calib_column cb = {"prediction", DD_M_CHI2, NULL, 1, bad, 3};
    CHECK_EQ_INT(dd_calibrate(&cb, 1, 40, 100, 1, &none), DD_EINVAL);
    family_release(&f);
}

/* A calibration of only the sizes an effective size needs decides exactly
 * as the whole ladder (driftd check calibrates that way). */
TEST(range_decides_as_ladder)
{
    struct family f;
    family_init(&f, 11);
    struct dd_calib_column cols[N_NUM + 1];
    family_columns(&f, cols);
    static const struct {
        double lo, hi;
        size_t n, first, last; /* the sizes calibrated */
    } cases[] = {
        {58, 58, 2, 50, 100},    {100, 100, 1, 100, 100},     {182, 182, 2, 100, 200},
        {462, 462, 2, 200, 500}, {1000, 1000, 1, 1000, 1000}, {1333, 1333, 1, 1000, 1000},
        {58, 462, 4, 50, 500},   {20, 20, 1, 20, 20},         {10, 10, 1, 20, 20},
    };
    struct dd_calib_row rows[N_NUM + 1];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dd_calibration *part = NULL;
        CHECK_EQ_INT(dd_calibrate_range(cols, N_NUM + 1, N_REF, DD_CALIB_TRIALS, 7, cases[i].lo,
                                        cases[i].hi, &part),
                     0);
        size_t sizes[DD_CALIB_MAX_SIZES];
        size_t n = dd_calibration_sizes(part, sizes);
        CHECK_EQ_INT(n, cases[i].n);
        CHECK_EQ_INT(sizes[0], cases[i].first);
        CHECK_EQ_INT(sizes[n ? n - 1 : 0], cases[i].last);
        for (double e = cases[i].lo; e <= cases[i].hi; e += 101) {
            for (int k = 0; k < 3; k++) { /* three sets of p-values: small, middling, mixed */
                for (int j = 0; j <= N_NUM; j++)
                    rows[j] = (struct dd_calib_row){names[j], j < N_NUM ? DD_M_KS : DD_M_CHI2,
                                                    k == 0   ? 0.0005 * (j + 1)
                                                    : k == 1 ? 0.02 + 0.01 * j
                                                             : (j % 2 ? 0.9 : 0.004)};
                int ca[N_NUM + 1], cb[N_NUM + 1];
                struct dd_calib_decision a, b;
                dd_calibration_decide(f.cal, rows, N_NUM + 1, 0.05, e, ca, &a);
                dd_calibration_decide(part, rows, N_NUM + 1, 0.05, e, cb, &b);
                CHECK(a.fallback == b.fallback ||
                      (a.fallback && b.fallback && !strcmp(a.fallback, b.fallback)));
                CHECK_EQ_DBL(a.p_value, b.p_value);
                CHECK(a.level == b.level || (isnan(a.level) && isnan(b.level)));
                CHECK_EQ_INT(a.size_lo, b.size_lo);
                CHECK_EQ_INT(a.size_hi, b.size_hi);
            }
        }
        dd_calibration_free(part);
    }
    struct dd_calibration *none = (struct dd_calibration *)1;
    CHECK_EQ_INT(dd_calibrate_range(cols, N_NUM + 1, N_REF, 10, 7, 300, 200, &none), 0);
    CHECK(none == NULL); /* an empty range: nothing to calibrate */
    family_release(&f);
}

TEST(bytes_round_trip)
{
    struct family f;
    family_init(&f, 3);
    struct dd_buf b, b2;
    dd_buf_init(&b);
    dd_buf_init(&b2);
    dd_calibration_encode(f.cal, &b);
    struct dd_calibration *back = NULL;
    CHECK_EQ_INT(dd_calibration_decode(b.data, b.len, &back), 0);
    dd_calibration_encode(back, &b2);
    CHECK_EQ_INT(b2.len, b.len);
    CHECK(b.len == b2.len && !memcmp(b.data, b2.data, b.len));
    CHECK_EQ_INT(dd_calibration_trials(back), DD_CALIB_TRIALS);
    CHECK_EQ_INT(dd_calibration_columns(back), N_NUM + 1);
    for (size_t cut = 0; cut < b.len; cut += 1 + cut / 3) {
        struct dd_calibration *x = NULL;
        CHECK_EQ_INT(dd_calibration_decode(b.data, cut, &x), DD_EINVAL);
    }
    /* every 16-bit code of a p-value decodes and encodes back to itself
     * (the p-values are the last bytes, 2 each) */
    size_t sizes[DD_CALIB_MAX_SIZES];
    size_t n = dd_calibration_trials(back) * (N_NUM + 1) * dd_calibration_sizes(back, sizes);
    size_t head = b.len - 2 * n;
    int same = 1;
    for (uint32_t code = 0; code < 65536;) {
        for (size_t i = 0; i < n; i++, code++) {
            uint16_t v = (uint16_t)(code & 0xffff);
            memcpy((unsigned char *)b.data + head + 2 * i, &v, 2);
        }
        struct dd_calibration *y = NULL;
        CHECK_EQ_INT(dd_calibration_decode(b.data, b.len, &y), 0);
        b2.len = 0;
        dd_calibration_encode(y, &b2);
        same &= b2.len == b.len && !memcmp(b.data, b2.data, b.len);
        dd_calibration_free(y);
    }
    CHECK(same);
    ((unsigned char *)b.data)[4] = 3; /* a format this code does not know */
    struct dd_calibration *x = NULL;
    CHECK_EQ_INT(dd_calibration_decode(b.data, b.len, &x), DD_EINVAL);
    dd_calibration_free(back);
    dd_buf_release(&b);
    dd_buf_release(&b2);
    family_release(&f);
}

TEST(acat_matches_scipy)
{
    FILE *fp = fixture_open("acat.txt");
    char line[4096];
    int cases = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#')
            continue;
        char *s = line, *end;
        size_t m = strtoul(s, &end, 10);
        double p[64];
        for (size_t i = 0; i < m && i < 64; i++)
            p[i] = strtod(end, &end);
        double want = strtod(end, &end);
        /* SciPy's 1/2 - atan(T)/π loses digits below ~1e-16; ours does not */
        CHECK_CLOSE(dd_acat(p, m), want, 1e-9, 1e-16);
        cases++;
    }
    fclose(fp);
    CHECK_EQ_INT(cases, 9);
    double zero[2] = {0.0, 0.5};
    CHECK_EQ_DBL(dd_acat(zero, 2), 0.0);
    CHECK(isnan(dd_acat(zero, 0)));
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(acat_matches_scipy);
    RUN(bytes_round_trip);
    RUN(fallbacks);
    RUN(range_decides_as_ladder);
    RUN(power_over_holm_and_levels);
    RUN(null_uniform_and_alpha);
    CHECK_DONE();
}
