/* Calibration of the report's verdict (analysis/eval.c + multitest.c).
 *
 * 400 evaluations with no shift, each over 3 numeric signals (KS +
 * Wasserstein) and 1 categorical signal (chi2 + PSI): 4 p-values per report.
 * The top-level false-alarm rate must lie in the binomial 99.9% interval
 * around alpha = 0.05 (normal approximation: alpha ± 3.29·sqrt(alpha(1-alpha)
 * /400) = [0.014, 0.086]).  The same p-values read without a correction
 * (drift if any p < alpha) must fall above that interval, which shows the
 * test would fail if the Holm step were removed (expected ≈ 1 - 0.95^4 =
 * 0.185). */
#include <stdlib.h>
#include <string.h>

#include "analysis/eval.h"
#include "check.h"
#include "fixture.h"

#define DRAWS 400
#define N_NUM 3
#define N_REF 200
#define N_CUR 150

static const char *cats[] = {"a", "b", "c", "d", "e"};

static uint32_t draw_cat(struct dd_rng *r)
{
    static const double cum[5] = {0.4, 0.65, 0.85, 0.95, 1.0};
    double u = dd_rng_uniform(r);
    uint32_t k = 0;
    while (k < 4 && u >= cum[k])
        k++;
    return k;
}

TEST(false_alarm_rate)
{
    struct dd_rng r;
    dd_rng_seed(&r, 2024);
    double ref[N_NUM][N_REF], cur[N_NUM][N_CUR];
    uint32_t cref[N_REF], ccur[N_CUR];
    struct dd_eval_options o;
    dd_eval_options_default(&o);
    int corrected = 0, uncorrected = 0, effect_flags = 0;
    for (int t = 0; t < DRAWS; t++) {
        struct dd_signal_input s[N_NUM + 1];
        memset(s, 0, sizeof s);
        char names[N_NUM][16];
        for (int k = 0; k < N_NUM; k++) {
            for (int i = 0; i < N_REF; i++)
                ref[k][i] = dd_rng_normal(&r) * (k + 1);
            for (int i = 0; i < N_CUR; i++)
                cur[k][i] = dd_rng_normal(&r) * (k + 1);
            snprintf(names[k], sizeof names[k], "feature:x%d", k);
            s[k] = (struct dd_signal_input){.name = names[k],
                                            .kind = DD_SIGNAL_NUMERIC,
                                            .ref_num = ref[k],
                                            .cur_num = cur[k],
                                            .n_ref = N_REF,
                                            .n_cur = N_CUR};
        }
        for (int i = 0; i < N_REF; i++)
            cref[i] = draw_cat(&r);
        for (int i = 0; i < N_CUR; i++)
            ccur[i] = draw_cat(&r);
        s[N_NUM] = (struct dd_signal_input){.name = "prediction",
                                            .kind = DD_SIGNAL_CATEGORICAL,
                                            .ref_cat = cref,
                                            .cur_cat = ccur,
                                            .n_ref = N_REF,
                                            .n_cur = N_CUR,
                                            .categories = cats,
                                            .n_categories = 5};
        struct dd_report rep;
        CHECK_EQ_INT(dd_eval_run(s, N_NUM + 1, &o, &rep), 0);
        corrected += rep.drift;
        int any = 0, tests = 0;
        for (size_t i = 0; i < rep.n_results; i++) {
            if (!isnan(rep.results[i].p_value)) {
                tests++;
                any |= rep.results[i].p_value < o.alpha;
            } else {
                effect_flags += rep.results[i].drift;
            }
        }
        CHECK_EQ_INT(tests, N_NUM + 1);
        uncorrected += any;
        dd_report_release(&rep);
    }
    double alpha = o.alpha, half = 3.29 * sqrt(alpha * (1 - alpha) / DRAWS);
    double rate = (double)corrected / DRAWS, raw = (double)uncorrected / DRAWS;
    fprintf(stderr,
            "false alarms: holm %.4f, uncorrected %.4f, interval [%.4f, %.4f]; "
            "effect-size flags (not in the verdict): %d\n",
            rate, raw, alpha - half, alpha + half, effect_flags);
    CHECK_CMP_DBL(rate, >=, alpha - half);
    CHECK_CMP_DBL(rate, <=, alpha + half);
    CHECK_CMP_DBL(raw, >, alpha + half); /* without the correction this test would fail */
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(false_alarm_rate);
    CHECK_DONE();
}
