/* Tests analysis/multitest.c: Holm–Bonferroni decisions and adjusted
 * p-values (expected values worked by hand / statsmodels' definition). */
#include "analysis/multitest.h"
#include "check.h"

static const double p4[4] = {0.01, 0.04, 0.03, 0.005};

/* sorted: .005 <= .05/4, .01 <= .05/3, .03 > .05/2 -> stop */
TEST(holm_decisions)
{
    int rej[4];
    CHECK_EQ_INT(dd_holm(p4, 4, 0.05, rej), 2);
    CHECK_EQ_INT(rej[0], 1);
    CHECK_EQ_INT(rej[1], 0);
    CHECK_EQ_INT(rej[2], 0);
    CHECK_EQ_INT(rej[3], 1);
    double all[3] = {0.001, 0.002, 0.003};
    CHECK_EQ_INT(dd_holm(all, 3, 0.05, rej), 3);
    CHECK_EQ_INT(dd_holm(all, 0, 0.05, rej), 0);
    double one[1] = {0.05};
    CHECK_EQ_INT(dd_holm(one, 1, 0.05, rej), 1); /* p <= alpha rejects */
}

TEST(holm_adjusted)
{
    const double *p = p4;
    double adj[4];
    dd_holm_adjust(p, 4, adj);
    CHECK_CLOSE(adj[3], 0.02, 1e-12, 0);
    CHECK_CLOSE(adj[0], 0.03, 1e-12, 0);
    CHECK_CLOSE(adj[2], 0.06, 1e-12, 0);
    CHECK_CLOSE(adj[1], 0.06, 1e-12, 0); /* monotone: max(0.04, 0.06) */
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(holm_decisions);
    RUN(holm_adjusted);
    CHECK_DONE();
}
