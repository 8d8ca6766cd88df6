/* Tests the verdict parts of analysis/ (#15): Holm's per-row levels
 * (dd_holm_levels(): reject exactly when p <= level), the MMD permutation
 * count a report uses (dd_mmd_permutations_for()), and a report's status,
 * kind and level members. */
#include <math.h>
#include <stdlib.h>

#include "analysis/eval.h"
#include "analysis/multitest.h"
#include "base/err.h"
#include "check.h"

/* sorted: .005 <= .05/4, .01 <= .05/3, .03 > .05/2 -> stop; .04 judged at .025 */
TEST(holm_levels_agree_with_decisions)
{
    const double p[4] = {0.01, 0.04, 0.03, 0.005};
    double level[4];
    int rej[4];
    dd_holm(p, 4, 0.05, rej);
    dd_holm_levels(p, 4, 0.05, level);
    CHECK_CLOSE(level[3], 0.05 / 4, 1e-15, 0);
    CHECK_CLOSE(level[0], 0.05 / 3, 1e-15, 0);
    CHECK_CLOSE(level[2], 0.05 / 2, 1e-15, 0);
    CHECK_CLOSE(level[1], 0.05 / 2, 1e-15, 0); /* after the stop: the stop's level */
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(rej[i], p[i] <= level[i]);
    /* a p below its own alpha/(m-i) after the stop still reads ok */
    const double q[3] = {0.04, 0.02, 0.024};
    dd_holm_levels(q, 3, 0.05, level);
    dd_holm(q, 3, 0.05, rej);
    CHECK_EQ_INT(rej[1] + rej[2] + rej[0], 0);
    CHECK_CLOSE(level[2], 0.05 / 3, 1e-15, 0);
    CHECK_CLOSE(level[0], 0.05 / 3, 1e-15, 0);
}

TEST(mmd_permutations_pass_holm)
{
    CHECK_EQ_INT(dd_mmd_permutations_for(100, 1, 0.05), 100);
    CHECK_EQ_INT(dd_mmd_permutations_for(100, 7, 0.05), 279);
    CHECK_EQ_INT(dd_mmd_permutations_for(100, 7, 0.01), 1399);
    CHECK_EQ_INT(dd_mmd_permutations_for(5000, 7, 0.01), 5000);
    CHECK_EQ_INT(dd_mmd_permutations_for(100, 1000000, 0.01), DD_MMD_PERMUTATIONS_MAX);
    for (size_t m = 1; m <= 200; m++) {
        size_t b = dd_mmd_permutations_for(100, m, 0.05);
        CHECK_CMP_DBL(1.0 / (double)(b + 1), <=, 0.05 / (double)m);
    }
}

TEST(report_status_kind_level)
{
    double ref[50], cur[50];
    for (int i = 0; i < 50; i++) {
        ref[i] = i;
        cur[i] = i + 100;
    }
    struct dd_signal_input s = {.name = "x",
                                .kind = DD_SIGNAL_NUMERIC,
                                .ref_num = ref,
                                .cur_num = cur,
                                .n_ref = 50,
                                .n_cur = 50};
    struct dd_report rep;
    CHECK_EQ_INT(dd_eval_run(&s, 1, NULL, &rep), 0);
    CHECK_EQ_STR(rep.status, "drift");
    CHECK_EQ_INT(rep.n_tests, 1);
    CHECK_EQ_STR(rep.results[0].kind, "test");
    CHECK_CLOSE(rep.results[0].level, 0.05, 1e-15, 0);
    CHECK_EQ_STR(rep.results[1].kind, "effect_size");
    CHECK(isnan(rep.results[1].level));
    dd_report_release(&rep);
    s.n_cur = 5; /* too few: nothing tested */
    CHECK_EQ_INT(dd_eval_run(&s, 1, NULL, &rep), 0);
    CHECK_EQ_STR(rep.status, "insufficient_data");
    CHECK_EQ_INT(rep.n_tests, 0);
    dd_report_release(&rep);
    s.n_cur = 50;
    s.methods = DD_M_WASSERSTEIN; /* effect sizes alone test nothing */
    CHECK_EQ_INT(dd_eval_run(&s, 1, NULL, &rep), 0);
    CHECK_EQ_STR(rep.status, "insufficient_data");
    dd_report_release(&rep);
    s.methods = 0;
    for (int i = 0; i < 50; i++)
        cur[i] = i;
    CHECK_EQ_INT(dd_eval_run(&s, 1, NULL, &rep), 0);
    CHECK_EQ_STR(rep.status, "ok");
    dd_report_release(&rep);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(holm_levels_agree_with_decisions);
    RUN(mmd_permutations_pass_holm);
    RUN(report_status_kind_level);
    CHECK_DONE();
}
