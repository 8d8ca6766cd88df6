/* Tests the per-model ingest counters of server/api/metrics.c (their text,
 * the cap of METRICS_MAX_MODELS with the "(other)" series, a deleted model's
 * series gone and its slot reused) and evaluator_series_listed(), the rule
 * that takes an inactive version's series out of /metrics.  The counters
 * are process-wide: each case forgets the models it counted, and only
 * cap_and_other counts into "(other)", which is never forgotten. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "server/api/metrics.h"
#include "server/monitor/evaluator.h"
#include "server/store/writer.h"

/* /metrics as metrics_render() writes it (no routes, zero writer stats). */
static void render(struct dd_buf *b)
{
    struct writer_stats ws = {.accepted = 7};
    dd_buf_reset(b);
    metrics_render(b, &ws);
    dd_buf_putc(b, '\0');
}

/* Lines of text that start with prefix. */
static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, prefix, len))
            n++;
    return n;
}

TEST(counts_per_model)
{
    struct dd_buf b;
    dd_buf_init(&b);
    metrics_count_model_events("fraud", 3, 1);
    metrics_count_model_events("churn.v2", 2, 0);
    metrics_count_model_events("fraud", 1, 0);
    render(&b);
    CHECK_CONTAINS(b.data, "\ndriftd_events_ingested_total{model=\"fraud\"} 4\n");
    CHECK_CONTAINS(b.data, "\ndriftd_events_ingested_total{model=\"churn.v2\"} 2\n");
    CHECK_CONTAINS(b.data, "\ndriftd_events_duplicate_total{model=\"fraud\"} 1\n");
    CHECK_CONTAINS(b.data, "\ndriftd_events_duplicate_total{model=\"churn.v2\"} 0\n");
    CHECK_CONTAINS(b.data, "# TYPE driftd_events_ingested_total counter\n"
                           "driftd_events_ingested_total{model=\"churn.v2\"} 2\n"
                           "driftd_events_ingested_total{model=\"fraud\"} 4\n# HELP ");
    CHECK_EQ_INT(count_lines(b.data, "# TYPE driftd_events_ingested_total "), 1);
    /* the totals without a label are still there */
    CHECK_CONTAINS(b.data, "\ndriftd_ingest_events_accepted_total 7\n");

    metrics_forget_model("fraud");
    metrics_forget_model("no-such-model"); /* nothing to do */
    render(&b);
    CHECK_EQ_INT(count_lines(b.data, "driftd_events_ingested_total{model=\"fraud\"}"), 0);
    CHECK_EQ_INT(count_lines(b.data, "driftd_events_duplicate_total{model=\"fraud\"}"), 0);
    CHECK_CONTAINS(b.data, "\ndriftd_events_ingested_total{model=\"churn.v2\"} 2\n");
    /* counted again from zero after a delete */
    metrics_count_model_events("fraud", 5, 0);
    render(&b);
    CHECK_CONTAINS(b.data, "\ndriftd_events_ingested_total{model=\"fraud\"} 5\n");
    metrics_forget_model("fraud");
    metrics_forget_model("churn.v2");
    render(&b);
    CHECK_EQ_INT(count_lines(b.data, "driftd_events_ingested_total{model=\"churn.v2\"}"), 0);
    dd_buf_release(&b);
}

TEST(cap_and_other)
{
    struct dd_buf b;
    dd_buf_init(&b);
    char name[32];
    for (int i = METRICS_MAX_MODELS - 1; i >= 0; i--) { /* backwards: every insert in front */
        snprintf(name, sizeof name, "m%04d", i);
        metrics_count_model_events(name, (uint64_t)i, 0);
    }
    metrics_count_model_events("late", 5, 2);
    metrics_count_model_events("later", 1, 0);
    metrics_count_model_events("m0999", 1, 0); /* one of the tracked ones */
    render(&b);
    CHECK_EQ_INT(count_lines(b.data, "driftd_events_ingested_total{"), METRICS_MAX_MODELS + 1);
    CHECK_EQ_INT(count_lines(b.data, "driftd_events_duplicate_total{"), METRICS_MAX_MODELS + 1);
    CHECK_CONTAINS(b.data, "\ndriftd_events_ingested_total{model=\"(other)\"} 6\n");
    CHECK_CONTAINS(b.data, "\ndriftd_events_duplicate_total{model=\"(other)\"} 2\n");
    CHECK_CONTAINS(b.data, "\ndriftd_events_ingested_total{model=\"m0999\"} 1000\n");
    CHECK_CONTAINS(b.data, "\ndriftd_events_ingested_total{model=\"m0000\"} 0\n");
    CHECK_EQ_INT(count_lines(b.data, "driftd_events_ingested_total{model=\"late\"}"), 0);
    /* sorted by name: m0000 first, (other) last */
    const char *first = strstr(b.data, "driftd_events_ingested_total{model=\"m0000\"}");
    const char *last = strstr(b.data, "driftd_events_ingested_total{model=\"m0999\"}");
    const char *other = strstr(b.data, "driftd_events_ingested_total{model=\"(other)\"}");
    CHECK(first && last && other && first < last && last < other);

    /* a deleted model's slot goes to the next new model */
    metrics_forget_model("m0500");
    metrics_count_model_events("late", 3, 0);
    metrics_count_model_events("later", 4, 0); /* full again: (other) */
    render(&b);
    CHECK_CONTAINS(b.data, "\ndriftd_events_ingested_total{model=\"late\"} 3\n");
    CHECK_CONTAINS(b.data, "\ndriftd_events_ingested_total{model=\"(other)\"} 10\n");
    CHECK_EQ_INT(count_lines(b.data, "driftd_events_ingested_total{model=\"m0500\"}"), 0);
    CHECK_EQ_INT(count_lines(b.data, "driftd_events_ingested_total{"), METRICS_MAX_MODELS + 1);

    for (int i = 0; i < METRICS_MAX_MODELS; i++) {
        snprintf(name, sizeof name, "m%04d", i);
        metrics_forget_model(name);
    }
    metrics_forget_model("late");
    render(&b);
    /* (other) is never forgotten: the counter must not go back */
    CHECK_EQ_INT(count_lines(b.data, "driftd_events_ingested_total{"), 1);
    dd_buf_release(&b);
}

TEST(series_listed)
{
    const int64_t day = 24 * 3600 * 1000LL, now = 1800000000000LL;
    CHECK_EQ_INT(evaluator_series_listed(now, now, day), 1);
    CHECK_EQ_INT(evaluator_series_listed(now - day, now, day), 1); /* exactly at the edge */
    CHECK_EQ_INT(evaluator_series_listed(now - day - 1, now, day), 0);
    CHECK_EQ_INT(evaluator_series_listed(now - 30 * day, now, day), 0);
    CHECK_EQ_INT(evaluator_series_listed(now + 5000, now, day), 1); /* a clock ahead */
    CHECK_EQ_INT(evaluator_series_listed(-1, now, day), 1);         /* no event yet */
    CHECK_EQ_INT(evaluator_series_listed(now - 2000, now, 1000), 0);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(counts_per_model);
    RUN(cap_and_other);
    RUN(series_listed);
    CHECK_DONE();
}
