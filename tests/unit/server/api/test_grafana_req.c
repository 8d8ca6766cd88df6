/* Tests server/api/grafana_req.c, the pure half of the Grafana datasource:
 * the bucket width of a series (at least intervalMs, never more than
 * maxDataPoints epoch-aligned buckets over the range), names as Grafana
 * interpolates them ("(a|b)", "v1\.2", "{a,b}", "$__all"), the lenient
 * reading of the bodies the plugin sends (ranges, targets, payloads, ad hoc
 * filters and the older adhocFilters, the small calls' members) with errors
 * naming the member, grafana_match() and the CORS header block; and
 * series_quantile_sorted() (server/store/series.c), the latency series'
 * quantile.  No server and no store: everything here is pure. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/timefmt.h"
#include "check.h"
#include "server/api/grafana.h"
#include "server/store/series.h"
#include "xorshift.h"

/* How many epoch-aligned buckets of width b hold [from, to] (from, to >= 0:
 * SQLite's integer division of the stored time, as series.c buckets). */
static int64_t buckets_over(int64_t from, int64_t to, int64_t b)
{
    return to / b - from / b + 1;
}

/* ---- bucket width ---- */

TEST(bucket_interval_wins)
{
    /* 1 h at 60 s per point wants 60 points: intervalMs is the width */
    CHECK_EQ_INT(grafana_bucket_ms(0, 3600000, 60000, 1000), 60000);
    /* a range so short that any width fits: still intervalMs */
    CHECK_EQ_INT(grafana_bucket_ms(5000, 5000, 15000, 500), 15000);
}

TEST(bucket_points_win)
{
    /* 30 days at 1 s per point would be 2.6 M points: range / (maxDataPoints - 1) */
    int64_t span = 30LL * 86400000;
    int64_t b = grafana_bucket_ms(0, span, 1000, 500);
    CHECK_EQ_INT(b, (span + 498) / 499); /* ceil(span / 499) */
    CHECK_CMP_INT(buckets_over(0, span, b), <=, 500);
    /* 999 s over 1000 points at 1 s: 1000 buckets of 1 s, exactly the cap */
    CHECK_EQ_INT(grafana_bucket_ms(0, 999000, 1000, 1000), 1000);
    CHECK_EQ_INT(buckets_over(0, 999000, 1000), 1000);
}

TEST(bucket_interval_absent)
{
    /* no intervalMs (0): the points decide, and a width is never 0 */
    CHECK_EQ_INT(grafana_bucket_ms(0, 3600000, 0, 1000), (3600000 + 998) / 999);
    CHECK_EQ_INT(grafana_bucket_ms(0, 0, 0, 1000), 1);
    CHECK_EQ_INT(grafana_bucket_ms(7, 7, -5, 10), 1);
    /* to before from (not parsed, but the rule must not go below 1) */
    CHECK_EQ_INT(grafana_bucket_ms(10, 5, 0, 10), 1);
}

TEST(bucket_one_point)
{
    /* maxDataPoints 1: one bucket from the epoch holds the whole range */
    int64_t from = 1700000000000LL, to = from + 86400000;
    int64_t b = grafana_bucket_ms(from, to, 1000, 1);
    CHECK_EQ_INT(b, to + 1);
    CHECK_EQ_INT(buckets_over(from, to, b), 1);
    /* 0 (never parsed: the parser's default is 1000) is read as 1 too */
    CHECK_EQ_INT(grafana_bucket_ms(from, to, 1000, 0), to + 1);
    /* an intervalMs wider than that still wins */
    CHECK_EQ_INT(grafana_bucket_ms(0, 10, 1000, 1), 1000);
}

TEST(bucket_huge_range)
{
    /* the widest range the parser takes: year 0 .. 9999 would be negative
     * from; 1970 .. 9999 at the most points */
    int64_t to = GRAFANA_TIME_MAX;
    long mps[] = {2, 3, 500, GRAFANA_POINTS_DEFAULT, GRAFANA_POINTS_MAX};
    for (size_t i = 0; i < sizeof mps / sizeof mps[0]; i++) {
        int64_t b = grafana_bucket_ms(0, to, 1, mps[i]);
        CHECK_CMP_INT(b, >, 0);
        CHECK_CMP_INT(buckets_over(0, to, b), <=, mps[i]);
        CHECK_CMP_INT(buckets_over(0, to, b), >=, mps[i] - 1); /* not needlessly coarse */
    }
}

TEST(bucket_property)
{
    /* random ranges, intervals and caps: the width is the stated formula, at
     * least intervalMs, and its aligned buckets number at most the cap */
    uint64_t st = 0x9e3779b97f4a7c15ULL;
    int bad = 0;
    for (int i = 0; i < 200000 && bad < 5; i++) {
        int64_t from = (int64_t)(xorshift64(&st) % 4000000000000ULL);
        int64_t span = (int64_t)(xorshift64(&st) % (i % 2 ? 100000ULL : 40ULL * 86400000));
        int64_t iv = i % 3 ? (int64_t)(xorshift64(&st) % 100000) : 0;
        long mp = 1 + (long)(xorshift64(&st) % (i % 5 ? 2000 : 4));
        int64_t b = grafana_bucket_ms(from, from + span, iv, mp);
        int64_t want = mp > 1 ? (span + mp - 2) / (mp - 1) : from + span + 1;
        if (want < iv)
            want = iv;
        if (want < 1)
            want = 1;
        if (b != want || b < iv || buckets_over(from, from + span, b) > mp) {
            bad++;
            fprintf(stderr, "from %lld span %lld interval %lld points %ld: width %lld (%lld)\n",
                    (long long)from, (long long)span, (long long)iv, mp, (long long)b,
                    (long long)want);
        }
    }
    CHECK_EQ_INT(bad, 0);
}

/* ---- names ---- */

/* The names text selects as "a,b" ("*" for any), or "EINVAL". */
static const char *sel(enum grafana_key key, const char *text)
{
    static char out[512];
    struct dd_arena a;
    dd_arena_init(&a);
    struct grafana_sel s;
    if (grafana_sel_parse(&a, key, text, &s) != 0) {
        snprintf(out, sizeof out, "EINVAL");
    } else if (!s.n) {
        snprintf(out, sizeof out, "*");
    } else {
        out[0] = 0;
        for (size_t i = 0; i < s.n; i++)
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "," : "", s.v[i]);
    }
    dd_arena_release(&a);
    return out;
}

TEST(names_plain)
{
    CHECK_EQ_STR(sel(GRAFANA_MODEL, "gm"), "gm");
    CHECK_EQ_STR(sel(GRAFANA_MODEL, "  gm \t"), "gm");
    CHECK_EQ_STR(sel(GRAFANA_VERSION, "v1.2"), "v1.2");
    CHECK_EQ_STR(sel(GRAFANA_SIGNAL, "feature:age"), "feature:age");
    CHECK_EQ_STR(sel(GRAFANA_SIGNAL, "feature:a b"), "feature:a b"); /* a signal may hold spaces */
}

TEST(names_regex_format)
{
    /* Grafana's regex format: escaped dots, several values in (a|b) */
    CHECK_EQ_STR(sel(GRAFANA_VERSION, "v1\\.2"), "v1.2");
    CHECK_EQ_STR(sel(GRAFANA_VERSION, "(a|b)"), "a,b");
    CHECK_EQ_STR(sel(GRAFANA_VERSION, "(v1\\.2|v2\\.0|v3)"), "v1.2,v2.0,v3");
    CHECK_EQ_STR(sel(GRAFANA_MODEL, "( a | b )"), "a,b");
    CHECK_EQ_STR(sel(GRAFANA_MODEL, "a|b"), "a,b"); /* the pipe format */
    CHECK_EQ_STR(sel(GRAFANA_SIGNAL, "(feature:x|confidence)"), "feature:x,confidence");
    /* the glob format: {a,b} */
    CHECK_EQ_STR(sel(GRAFANA_MODEL, "{a,b}"), "a,b");
    /* one value of several meaning any makes the whole selection any */
    CHECK_EQ_STR(sel(GRAFANA_MODEL, "(a|.*)"), "*");
    CHECK_EQ_STR(sel(GRAFANA_MODEL, "(a||b)"), "*"); /* an empty alternative matches all */
    /* an unclosed group is no group: "(a" is no model name */
    CHECK_EQ_STR(sel(GRAFANA_MODEL, "(a|b"), "EINVAL");
}

TEST(names_any)
{
    const char *any[] = {"", "   ", "*", ".*", "$__all", "$version", "${model}"};
    for (size_t i = 0; i < sizeof any / sizeof any[0]; i++)
        CHECK_EQ_STR(sel(GRAFANA_MODEL, any[i]), "*");
}

TEST(names_invalid)
{
    CHECK_EQ_STR(sel(GRAFANA_MODEL, "a b"), "EINVAL");
    CHECK_EQ_STR(sel(GRAFANA_MODEL, "(a|b c)"), "EINVAL");
    CHECK_EQ_STR(sel(GRAFANA_VERSION, "v/1"), "EINVAL");
    char longname[200];
    memset(longname, 'm', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CHECK_EQ_STR(sel(GRAFANA_MODEL, longname), "EINVAL"); /* names are at most 128 */
    longname[128] = 0;
    CHECK_EQ_STR(sel(GRAFANA_MODEL, longname), longname);
    CHECK_EQ_STR(sel(GRAFANA_SIGNAL, "feature:\x01"), "EINVAL");
    char longsig[300];
    memset(longsig, 's', sizeof longsig - 1);
    longsig[sizeof longsig - 1] = 0;
    CHECK_EQ_STR(sel(GRAFANA_SIGNAL, longsig), "EINVAL"); /* signals at most 256 */
}

TEST(names_too_many)
{
    /* (m0|m1|...|m1024): one more than GRAFANA_VALUES_MAX */
    static char text[GRAFANA_VALUES_MAX * 8 + 16];
    size_t k = 0;
    text[k++] = '(';
    for (int i = 0; i <= GRAFANA_VALUES_MAX; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, "%sm%d", i ? "|" : "", i);
    text[k++] = ')';
    text[k] = 0;
    CHECK_EQ_STR(sel(GRAFANA_MODEL, text), "EINVAL");
    /* and GRAFANA_VALUES_MAX of them pass */
    char *last = strrchr(text, '|');
    last[0] = ')';
    last[1] = 0;
    struct dd_arena a;
    dd_arena_init(&a);
    struct grafana_sel s = {0};
    CHECK_EQ_INT(grafana_sel_parse(&a, GRAFANA_MODEL, text, &s), 0);
    CHECK_EQ_INT(s.n, GRAFANA_VALUES_MAX);
    CHECK_EQ_STR(s.v[s.n - 1], "m1023");
    dd_arena_release(&a);
}

/* ---- bodies ---- */

static struct grafana_req req;
static char err[300];

/* Parses body into req (released by the next call): its code. */
static int parse(const char *body)
{
    static int parsed;
    if (parsed)
        grafana_req_release(&req);
    parsed = 1;
    err[0] = 0;
    return grafana_req_parse(body, strlen(body), &req, err, sizeof err);
}

/* A body parse() refuses, with its message: exactly, or as its start. */
struct refused {
    const char *body, *message;
    int prefix;
};

/* Every case of a table of refused bodies, named by its position in the
 * table when it fails. */
static void expect_refused(const struct refused *cases, size_t n, int line)
{
    for (size_t i = 0; i < n; i++) {
        int failures0 = check_failures;
        CHECK_EQ_INT(parse(cases[i].body), DD_EINVAL);
        if (cases[i].prefix)
            CHECK_STARTS_WITH(err, cases[i].message);
        else
            CHECK_EQ_STR(err, cases[i].message);
        if (check_failures != failures0)
            fprintf(stderr, "  (case %zu of the table at line %d: %s)\n", i, line, cases[i].body);
    }
}
#define REFUSED_TABLE(cases) expect_refused(cases, sizeof cases / sizeof cases[0], __LINE__)

/* The body {"member":[item,item,...]} with n items, in a static buffer. */
static const char *array_body(const char *member, const char *item, int n)
{
    static char body[4096];
    size_t k = (size_t)snprintf(body, sizeof body, "{\"%s\":[", member);
    for (int i = 0; i < n && k < sizeof body; i++)
        k += (size_t)snprintf(body + k, sizeof body - k, "%s%s", i ? "," : "", item);
    if (k < sizeof body)
        snprintf(body + k, sizeof body - k, "]}");
    return body;
}

static const char *sel_str(const struct grafana_sel *s)
{
    static char out[512];
    out[0] = 0;
    if (!s->n)
        return "*";
    for (size_t i = 0; i < s->n; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "," : "", s->v[i]);
    return out;
}

TEST(body_blank)
{
    const char *blank[] = {"", "  \n\t", "{}"};
    for (size_t i = 0; i < 3; i++) {
        int64_t now = dd_now_ms();
        CHECK_EQ_INT(parse(blank[i]), 0);
        CHECK_EQ_INT(req.n_targets, 0);
        CHECK_EQ_INT(req.n_filters, 0);
        CHECK_EQ_INT(req.max_points, GRAFANA_POINTS_DEFAULT);
        CHECK_EQ_INT(req.interval_ms, 0);
        CHECK_EQ_INT(req.to_ms - req.from_ms, GRAFANA_DEFAULT_RANGE_MS);
        CHECK_CMP_INT(req.to_ms, >=, now);
        CHECK_CMP_INT(req.to_ms, <, now + 60000);
        CHECK_EQ_PTR(req.metric, NULL);
        CHECK_EQ_PTR(req.target, NULL);
    }
}

TEST(body_not_json)
{
    static const struct refused cases[] = {
        {"{\"range\":", "the body is not JSON", 0},
        {"{} {}", "the body is not JSON", 0},
        {"[1,2]", "the body must be a JSON object", 0},
        {"\"query\"", "the body must be a JSON object", 0},
    };
    REFUSED_TABLE(cases);
}

/* What simpod-json-datasource 0.6.x posts to /query (trimmed). */
static const char plugin_query[] =
    "{\"app\":\"dashboard\",\"requestId\":\"Q101\",\"timezone\":\"browser\",\"panelId\":2,"
    "\"range\":{\"from\":\"2026-11-30T10:00:00.000Z\",\"to\":\"2026-11-30T16:00:00.000Z\","
    "\"raw\":{\"from\":\"now-6h\",\"to\":\"now\"}},\"interval\":\"30s\",\"intervalMs\":30000,"
    "\"targets\":[{\"refId\":\"A\",\"datasource\":{\"type\":\"simpod-json-datasource\","
    "\"uid\":\"x\"},\"editorMode\":\"builder\",\"target\":\"drift_p_value\","
    "\"payload\":{\"model\":\"gm\",\"version\":[\"v1\",\"v2\"],\"signal\":\"(confidence|"
    "feature:age)\",\"method\":\"$method\"}},"
    "{\"refId\":\"B\",\"target\":\"drift_statistic\",\"hide\":true,\"payload\":{\"model\":\"x "
    "y\"}},"
    "{\"refId\":\"C\",\"target\":\"event_rate\",\"payload\":\"{\\\"model\\\":\\\"gm\\\","
    "\\\"version\\\":2}\"}],"
    "\"maxDataPoints\":1130,\"scopedVars\":{},\"startTime\":1764511200000,"
    "\"filters\":[{\"key\":\"version\",\"operator\":\"!=\",\"value\":\"v2\","
    "\"condition\":\"\"}]}";

TEST(body_plugin_query)
{
    CHECK_EQ_INT(parse(plugin_query), 0);
    CHECK_EQ_STR(err, "");
    int64_t from, to;
    dd_time_parse("2026-11-30T10:00:00Z", 20, &from);
    dd_time_parse("2026-11-30T16:00:00Z", 20, &to);
    CHECK_EQ_INT(req.from_ms, from);
    CHECK_EQ_INT(req.to_ms, to);
    CHECK_EQ_INT(req.interval_ms, 30000);
    CHECK_EQ_INT(req.max_points, 1130);
    CHECK_EQ_INT(req.n_targets, 2); /* B is hidden: skipped, even with a bad payload */
    const struct grafana_target *a = &req.targets[0], *c = &req.targets[1];
    CHECK_EQ_STR(a->ref_id, "A");
    CHECK_EQ_STR(a->target, "drift_p_value");
    CHECK_EQ_INT(a->legacy, 0);
    CHECK_EQ_STR(sel_str(&a->sel[GRAFANA_MODEL]), "gm");
    CHECK_EQ_STR(sel_str(&a->sel[GRAFANA_VERSION]), "v1,v2");
    CHECK_EQ_STR(sel_str(&a->sel[GRAFANA_SIGNAL]), "confidence,feature:age");
    CHECK_EQ_STR(sel_str(&a->sel[GRAFANA_METHOD]), "*"); /* an uninterpolated variable */
    /* a payload sent as JSON text (code mode), a number as a name */
    CHECK_EQ_STR(c->ref_id, "C");
    CHECK_EQ_STR(sel_str(&c->sel[GRAFANA_MODEL]), "gm");
    CHECK_EQ_STR(sel_str(&c->sel[GRAFANA_VERSION]), "2");
    CHECK_EQ_INT(req.n_filters, 1);
    CHECK_EQ_INT(req.filters[0].key, GRAFANA_VERSION);
    CHECK_EQ_INT(req.filters[0].negate, 1);
    CHECK_EQ_STR(sel_str(&req.filters[0].values), "v2");
    /* what the rules make of it: v1 passes, v2 is filtered out, v3 is not selected */
    CHECK_EQ_INT(grafana_match(&req, a, GRAFANA_VERSION, "v1"), 1);
    CHECK_EQ_INT(grafana_match(&req, a, GRAFANA_VERSION, "v2"), 0);
    CHECK_EQ_INT(grafana_match(&req, a, GRAFANA_VERSION, "v3"), 0);
    CHECK_EQ_INT(grafana_match(&req, NULL, GRAFANA_VERSION, "v3"), 1);
    CHECK_EQ_INT(grafana_match(&req, a, GRAFANA_MODEL, "gm"), 1);
    CHECK_EQ_INT(grafana_match(&req, a, GRAFANA_MODEL, "gm2"), 0);
    CHECK_EQ_INT(grafana_match(&req, a, GRAFANA_METHOD, "anything"), 1);
}

TEST(body_legacy_targets)
{
    /* the legacy plugin: "type" and "data" instead of "payload" */
    CHECK_EQ_INT(parse("{\"targets\":[{\"target\":\"drift_report\",\"refId\":\"A\","
                       "\"type\":\"table\",\"data\":{\"model\":\"gm\"}},{\"target\":"
                       "\"drift_flag\",\"type\":\"timeserie\",\"data\":null}]}"),
                 0);
    CHECK_EQ_INT(req.n_targets, 2);
    CHECK_EQ_INT(req.targets[0].legacy, 1);
    CHECK_EQ_INT(req.targets[0].table, 1);
    CHECK_EQ_STR(sel_str(&req.targets[0].sel[GRAFANA_MODEL]), "gm");
    CHECK_EQ_INT(req.targets[1].legacy, 1);
    CHECK_EQ_INT(req.targets[1].table, 0);
    CHECK_EQ_STR(req.targets[1].ref_id, "");
    CHECK_EQ_STR(sel_str(&req.targets[1].sel[GRAFANA_MODEL]), "*");
    /* a target with no metric yet (a new panel) */
    CHECK_EQ_INT(parse("{\"targets\":[{\"refId\":\"A\"}]}"), 0);
    CHECK_EQ_STR(req.targets[0].target, "");
}

TEST(body_payload_values)
{
    CHECK_EQ_INT(parse("{\"targets\":[{\"payload\":{\"model\":[\"a\",3,null],\"version\":[],"
                       "\"signal\":null,\"method\":\"ks\",\"other\":{\"x\":1}}}]}"),
                 0);
    const struct grafana_target *t = &req.targets[0];
    CHECK_EQ_STR(sel_str(&t->sel[GRAFANA_MODEL]), "*"); /* null among them: any */
    CHECK_EQ_STR(sel_str(&t->sel[GRAFANA_VERSION]), "*");
    CHECK_EQ_STR(sel_str(&t->sel[GRAFANA_SIGNAL]), "*");
    CHECK_EQ_STR(sel_str(&t->sel[GRAFANA_METHOD]), "ks");
    CHECK_EQ_INT(parse("{\"targets\":[{\"payload\":{\"model\":[\"a\",3]}}]}"), 0);
    CHECK_EQ_STR(sel_str(&req.targets[0].sel[GRAFANA_MODEL]), "a,3");
    static const struct refused cases[] = {
        /* refused, naming the member */
        {"{\"targets\":[{},{\"payload\":{\"model\":\"a b\"}}]}",
         "targets[1].payload.model: 'a b' is not a model name", 1},
        {"{\"targets\":[{\"data\":{\"version\":{\"x\":1}}}]}",
         "targets[0].data.version: must be a string or an array of strings", 0},
        {"{\"targets\":[{\"payload\":{\"model\":1.5}}]}", "targets[0].payload.model:", 1},
    };
    REFUSED_TABLE(cases);
}

TEST(body_targets_refused)
{
    static const struct refused cases[] = {
        {"{\"targets\":{}}", "targets: must be an array", 0},
        {"{\"targets\":[{}, 3]}", "targets[1]: must be an object", 0},
    };
    REFUSED_TABLE(cases);
    CHECK_EQ_INT(parse(array_body("targets", "{}", GRAFANA_TARGETS_MAX + 1)), DD_EINVAL);
    CHECK_EQ_STR(err, "targets: 65 targets, at most 64");
    /* 64 pass */
    CHECK_EQ_INT(parse(array_body("targets", "{}", GRAFANA_TARGETS_MAX)), 0);
    CHECK_EQ_INT(req.n_targets, GRAFANA_TARGETS_MAX);
}

TEST(body_range)
{
    /* epoch ms as numbers and as text */
    CHECK_EQ_INT(parse("{\"range\":{\"from\":1000,\"to\":\"5000\"}}"), 0);
    CHECK_EQ_INT(req.from_ms, 1000);
    CHECK_EQ_INT(req.to_ms, 5000);
    /* offsets */
    CHECK_EQ_INT(parse("{\"range\":{\"from\":\"1970-01-01T01:00:00+01:00\",\"to\":2}}"), 0);
    CHECK_EQ_INT(req.from_ms, 0);
    /* no from: 6 h before to */
    CHECK_EQ_INT(parse("{\"range\":{\"to\":100000000}}"), 0);
    CHECK_EQ_INT(req.from_ms, 100000000 - GRAFANA_DEFAULT_RANGE_MS);
    /* a range that is not an object is none */
    CHECK_EQ_INT(parse("{\"range\":\"last 6h\"}"), 0);
    CHECK_EQ_INT(req.to_ms - req.from_ms, GRAFANA_DEFAULT_RANGE_MS);
    static const struct refused cases[] = {
        /* refused */
        {"{\"range\":{\"from\":\"now-6h\",\"to\":\"now\"}}",
         "range.to: must be an RFC 3339 time or epoch milliseconds", 1},
        {"{\"range\":{\"from\":\"yesterday\"}}", "range.from: must be", 1},
        {"{\"range\":{\"from\":5000,\"to\":1000}}", "range.from: must not be after range.to", 0},
        /* times no clock reaches: refused, not converted out of range */
        {"{\"range\":{\"from\":-1e300,\"to\":1e300}}", "range.to:", 1},
        {"{\"range\":{\"from\":\"-9223372036854775808\",\"to\":1}}", "range.from:", 1},
    };
    REFUSED_TABLE(cases);
    CHECK_EQ_INT(parse("{\"range\":{\"from\":0,\"to\":253402300799999}}"), 0);
    CHECK_EQ_INT(req.to_ms, GRAFANA_TIME_MAX);
    CHECK_EQ_INT(parse("{\"range\":{\"from\":0,\"to\":253402300800000}}"), DD_EINVAL);
}

TEST(body_interval_and_points)
{
    static const struct {
        const char *body;
        int64_t interval_ms;
        long max_points;
    } cases[] = {
        {"{\"intervalMs\":250,\"maxDataPoints\":20}", 250, 20},
        /* intervalMs absent: "interval" as a duration */
        {"{\"interval\":\"5m\"}", 300000, GRAFANA_POINTS_DEFAULT},
        {"{\"interval\":\"sometimes\"}", 0, GRAFANA_POINTS_DEFAULT},
        /* intervalMs 0 or negative: none */
        {"{\"intervalMs\":0}", 0, GRAFANA_POINTS_DEFAULT},
        {"{\"intervalMs\":-5}", 0, GRAFANA_POINTS_DEFAULT},
        /* maxDataPoints: 0, below 1, absent or not a number mean the default;
         * more than the cap is the cap */
        {"{\"maxDataPoints\":0}", 0, GRAFANA_POINTS_DEFAULT},
        {"{\"maxDataPoints\":0.5}", 0, GRAFANA_POINTS_DEFAULT},
        {"{\"maxDataPoints\":-3}", 0, GRAFANA_POINTS_DEFAULT},
        {"{\"maxDataPoints\":\"500\"}", 0, GRAFANA_POINTS_DEFAULT},
        {"{\"maxDataPoints\":null}", 0, GRAFANA_POINTS_DEFAULT},
        {"{\"maxDataPoints\":1}", 0, 1},
        {"{\"maxDataPoints\":1e12}", 0, GRAFANA_POINTS_MAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int failures0 = check_failures;
        CHECK_EQ_INT(parse(cases[i].body), 0);
        CHECK_EQ_INT(req.interval_ms, cases[i].interval_ms);
        CHECK_EQ_INT(req.max_points, cases[i].max_points);
        if (check_failures != failures0)
            fprintf(stderr, "  (case %zu: %s)\n", i, cases[i].body);
    }
}

TEST(body_filters)
{
    CHECK_EQ_INT(parse("{\"filters\":[{\"key\":\"model\",\"operator\":\"=\",\"value\":\"gm\"},"
                       "{\"key\":\"version\",\"operator\":\"=~\",\"value\":\"(v1|v2\\\\.0)\"},"
                       "{\"key\":\"signal\",\"operator\":\"!~\",\"value\":\".*\"},"
                       "{\"key\":\"method\",\"value\":\"ks\"}]}"),
                 0);
    CHECK_EQ_STR(err, "");
    CHECK_EQ_INT(req.n_filters, 3); /* "!~ anything" is a filter being edited: skipped */
    CHECK_EQ_INT(req.filters[0].key, GRAFANA_MODEL);
    CHECK_EQ_INT(req.filters[0].negate, 0);
    CHECK_EQ_STR(sel_str(&req.filters[1].values), "v1,v2.0");
    CHECK_EQ_INT(req.filters[2].key, GRAFANA_METHOD); /* no operator: = */
    CHECK_EQ_INT(req.filters[2].negate, 0);
    CHECK_EQ_INT(grafana_match(&req, NULL, GRAFANA_VERSION, "v2.0"), 1);
    CHECK_EQ_INT(grafana_match(&req, NULL, GRAFANA_VERSION, "v3"), 0);
    CHECK_EQ_INT(grafana_match(&req, NULL, GRAFANA_METHOD, "psi"), 0);
    /* two filters on one key must both pass */
    CHECK_EQ_INT(parse("{\"filters\":[{\"key\":\"model\",\"operator\":\"!=\",\"value\":\"a\"},"
                       "{\"key\":\"model\",\"operator\":\"!=\",\"value\":\"b\"}]}"),
                 0);
    CHECK_EQ_INT(grafana_match(&req, NULL, GRAFANA_MODEL, "a"), 0);
    CHECK_EQ_INT(grafana_match(&req, NULL, GRAFANA_MODEL, "b"), 0);
    CHECK_EQ_INT(grafana_match(&req, NULL, GRAFANA_MODEL, "c"), 1);
}

TEST(body_adhoc_filters)
{
    /* plugin <= 0.6.3 sends adhocFilters; used when filters is absent or null */
    CHECK_EQ_INT(parse("{\"adhocFilters\":[{\"key\":\"model\",\"operator\":\"=\","
                       "\"value\":\"gm\"}]}"),
                 0);
    CHECK_EQ_INT(req.n_filters, 1);
    CHECK_EQ_STR(sel_str(&req.filters[0].values), "gm");
    CHECK_EQ_INT(parse("{\"filters\":null,\"adhocFilters\":[{\"key\":\"version\","
                       "\"value\":\"v9\"}]}"),
                 0);
    CHECK_EQ_INT(req.n_filters, 1);
    CHECK_EQ_INT(req.filters[0].key, GRAFANA_VERSION);
    /* both: filters wins */
    CHECK_EQ_INT(parse("{\"filters\":[],\"adhocFilters\":[{\"key\":\"version\","
                       "\"value\":\"v9\"}]}"),
                 0);
    CHECK_EQ_INT(req.n_filters, 0);
    static const struct refused cases[] = {
        /* refused, naming the member of the one that was read */
        {"{\"adhocFilters\":[{\"key\":\"colour\",\"value\":\"red\"}]}",
         "adhocFilters[0].key: must be one of model, version, signal, method "
         "(got 'colour')",
         0},
        {"{\"filters\":[{\"key\":\"model\",\"value\":\"a\"},{\"key\":\"model\","
         "\"operator\":\"<\",\"value\":\"a\"}]}",
         "filters[1].operator: '<' is not one of =, !=, =~, !~", 0},
        {"{\"filters\":[\"model=a\"]}", "filters[0].key: must be one of", 1},
        {"{\"filters\":{\"key\":\"model\"}}", "filters: must be an array", 0},
        {"{\"filters\":[{\"key\":\"model\",\"value\":\"a b\"}]}",
         "filters[0].value: 'a b' is not a model name", 1},
    };
    REFUSED_TABLE(cases);
    /* at most GRAFANA_FILTERS_MAX */
    CHECK_EQ_INT(parse(array_body("filters", "{\"key\":\"model\",\"value\":\"m\"}",
                                  GRAFANA_FILTERS_MAX + 1)),
                 DD_EINVAL);
    CHECK_EQ_STR(err, "filters: at most 32 filters");
}

TEST(body_small_calls)
{
    /* /metric-payload-options */
    CHECK_EQ_INT(parse("{\"metric\":\"drift_p_value\",\"name\":\"version\","
                       "\"payload\":{\"model\":\"gm\"}}"),
                 0);
    CHECK_EQ_STR(req.metric, "drift_p_value");
    CHECK_EQ_STR(req.name, "version");
    CHECK_EQ_STR(sel_str(&req.payload.sel[GRAFANA_MODEL]), "gm");
    /* /tag-values */
    CHECK_EQ_INT(parse("{\"key\":\"signal\"}"), 0);
    CHECK_EQ_STR(req.key, "signal");
    /* /variable: the query as the payload's target, or the payload as text */
    CHECK_EQ_INT(parse("{\"payload\":{\"target\":\"versions gm\"},\"range\":{}}"), 0);
    CHECK_EQ_STR(req.target, "versions gm");
    CHECK_EQ_INT(parse("{\"payload\":\"signals gm v1\"}"), 0);
    CHECK_EQ_STR(req.target, "signals gm v1");
    CHECK_EQ_INT(parse("{\"payload\":\"{\\\"target\\\":\\\"models\\\",\\\"model\\\":\\\"a\\\"}\"}"),
                 0);
    CHECK_EQ_STR(req.target, "models"); /* JSON text: its target and members */
    CHECK_EQ_STR(sel_str(&req.payload.sel[GRAFANA_MODEL]), "a");
    /* /search: target; a number is read as text */
    CHECK_EQ_INT(parse("{\"target\":12}"), 0);
    CHECK_EQ_STR(req.target, "12");
    /* the legacy /annotations: annotation.query */
    CHECK_EQ_INT(parse("{\"annotation\":{\"name\":\"x\",\"query\":\"alerts gm\"}}"), 0);
    CHECK_EQ_STR(req.target, "alerts gm");
}

TEST(body_random_bytes)
{
    /* no input makes the parser fail without a message or succeed with an
     * impossible request (the fuzz target, tests/fuzz/fuzz_grafana.c, goes on) */
    static const char pieces[][24] = {"{",           "}",
                                      "[",           "]",
                                      ",",           ":",
                                      "\"targets\"", "\"payload\"",
                                      "\"model\"",   "\"(a|b)\"",
                                      "\"range\"",   "\"from\"",
                                      "1e300",       "\"filters\"",
                                      "\"key\"",     "\"value\"",
                                      "null",        "\"v1\\\\.2\"",
                                      "-1",          "\"operator\"",
                                      "\"!~\""};
    uint64_t st = 12345;
    char body[512];
    for (int i = 0; i < 20000; i++) {
        size_t k = 0;
        int n = (int)(xorshift64(&st) % 24);
        for (int j = 0; j < n; j++) {
            const char *p = pieces[xorshift64(&st) % (sizeof pieces / sizeof pieces[0])];
            k += (size_t)snprintf(body + k, sizeof body - k, "%s", p);
        }
        body[k] = 0;
        int rc = parse(body);
        if (rc != 0) {
            CHECK_EQ_INT(rc, DD_EINVAL);
            CHECK(err[0] != 0);
            continue;
        }
        CHECK_CMP_INT(req.from_ms, <=, req.to_ms);
        CHECK_CMP_INT(req.max_points, >=, 1);
        CHECK_CMP_INT(req.max_points, <=, GRAFANA_POINTS_MAX);
        CHECK_CMP_INT(req.n_targets, <=, GRAFANA_TARGETS_MAX);
        CHECK_CMP_INT(req.n_filters, <=, GRAFANA_FILTERS_MAX);
    }
}

/* ---- CORS ---- */

TEST(cors_headers)
{
    CHECK_EQ_PTR(grafana_cors_headers(NULL, "https://g.example"), NULL);
    CHECK_EQ_PTR(grafana_cors_headers("", "https://g.example"), NULL);
    CHECK_EQ_PTR(grafana_cors_headers("https://g.example", NULL), NULL);
    CHECK_EQ_PTR(grafana_cors_headers("https://g.example", ""), NULL);
    CHECK_EQ_STR(grafana_cors_headers("*", "https://any.example"),
                 "Access-Control-Allow-Origin: *\r\n");
    const char *h = grafana_cors_headers("https://g.example/", "https://G.example");
    CHECK_EQ_STR(h, "Access-Control-Allow-Origin: https://G.example\r\n"
                    "Access-Control-Allow-Credentials: true\r\nVary: Origin\r\n");
    CHECK_EQ_PTR(grafana_cors_headers("https://g.example/", "https://G.example"), h); /* kept */
    CHECK_EQ_PTR(grafana_cors_headers("https://g.example", "https://g.example.evil"), NULL);
    CHECK_EQ_PTR(grafana_cors_headers("https://g.example", "https://g.exampl"), NULL);
    CHECK_EQ_PTR(grafana_cors_headers("https://g.example", "http://g.example"), NULL);
}

/* ---- series.c's pure quantile ---- */

TEST(series_quantile)
{
    const double v[] = {1, 2, 3, 4};
    CHECK_EQ_DBL(series_quantile_sorted(v, 4, 0.5), 2.5);
    CHECK_CLOSE(series_quantile_sorted(v, 4, 0.99), 3.97, 1e-12, 0);
    CHECK_CLOSE(series_quantile_sorted(v, 4, 0.9), 3.7, 1e-12, 0); /* numpy: 3.7 */
    CHECK_EQ_DBL(series_quantile_sorted(v, 4, 0), 1);
    CHECK_EQ_DBL(series_quantile_sorted(v, 4, 1), 4);
    CHECK_EQ_DBL(series_quantile_sorted(v + 2, 1, 0.99), 3);
    const double same[] = {5, 5, 5};
    CHECK_EQ_DBL(series_quantile_sorted(same, 3, 0.5), 5);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(bucket_interval_wins);
    RUN(bucket_points_win);
    RUN(bucket_interval_absent);
    RUN(bucket_one_point);
    RUN(bucket_huge_range);
    RUN(bucket_property);
    RUN(names_plain);
    RUN(names_regex_format);
    RUN(names_any);
    RUN(names_invalid);
    RUN(names_too_many);
    RUN(body_blank);
    RUN(body_not_json);
    RUN(body_plugin_query);
    RUN(body_legacy_targets);
    RUN(body_payload_values);
    RUN(body_targets_refused);
    RUN(body_range);
    RUN(body_interval_and_points);
    RUN(body_filters);
    RUN(body_adhoc_filters);
    RUN(body_small_calls);
    RUN(body_random_bytes);
    RUN(cors_headers);
    RUN(series_quantile);
    grafana_req_release(&req);
    CHECK_DONE();
}
