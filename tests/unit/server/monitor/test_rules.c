/* test_rules.c — rules_parse(), rules_json(), silences and the config
 * file's lists (server/monitor/rules.c). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "check.h"
#include "server/monitor/rules.h"

static int parse(const char *json, struct rule *r, char *err)
{
    return rules_parse(json, strlen(json), NULL, r, err, 256);
}

TEST(rule_result_condition)
{
    struct rule r;
    char err[256] = "";
    CHECK_EQ_INT(
        parse("{\"id\":\"vit-conf\",\"model\":\"vit\",\"version\":\"v3\","
              "\"signal\":\"confidence\",\"method\":\"ks\",\"condition\":\"p_value<0.01\","
              "\"for\":\"5m\",\"severity\":\"critical\",\"receivers\":[\"oncall\",\"deploy\"],"
              "\"labels\":{\"team\":\"vision\"},\"repeat\":\"1h\"}",
              &r, err),
        0);
    CHECK_EQ_STR(err, "");
    CHECK_EQ_STR(r.id, "vit-conf");
    CHECK_EQ_STR(r.version, "v3");
    CHECK_EQ_INT(r.target, RULE_RESULT);
    CHECK_EQ_INT(r.cond, RULE_P_BELOW);
    CHECK_EQ_DBL(r.threshold, 0.01);
    CHECK_EQ_STR(r.condition, "p_value < 0.01");
    CHECK_EQ_INT(r.for_ms, 300000);
    CHECK_EQ_INT(r.repeat_ms, 3600000);
    CHECK_EQ_INT(r.severity, NOTIFY_SEV_CRITICAL);
    CHECK_EQ_INT(r.n_receivers, 2);
    CHECK_EQ_STR(r.receivers[1], "deploy");
    CHECK_EQ_INT(r.n_labels, 1);
    CHECK_EQ_STR(r.labels[0].value, "vision");
    /* what it writes reads back the same */
    struct dd_buf b;
    dd_buf_init(&b);
    rules_json(&r, &b);
    CHECK_EQ_STR(b.data, "{\"id\":\"vit-conf\",\"model\":\"vit\",\"version\":\"v3\",\"signal\":"
                         "\"confidence\",\"method\":\"ks\",\"condition\":\"p_value < 0.01\","
                         "\"for\":\"5m\",\"severity\":\"critical\",\"receivers\":[\"oncall\","
                         "\"deploy\"],\"labels\":{\"team\":\"vision\"},\"repeat\":\"1h\"}");
    struct rule again;
    CHECK_EQ_INT(rules_parse(b.data, b.len, NULL, &again, err, sizeof err), 0);
    CHECK_EQ_MEM(&again, &r, sizeof r);
    dd_buf_release(&b);
}

TEST(rule_defaults_verdict_performance)
{
    struct rule r;
    char err[256] = "";
    CHECK_EQ_INT(parse("{\"id\":\"any\",\"model\":\"*\"}", &r, err), 0);
    CHECK_EQ_INT(r.target, RULE_VERDICT);
    CHECK_EQ_INT(r.cond, RULE_DRIFT);
    CHECK_EQ_INT(r.for_ms, 0);
    CHECK_EQ_INT(r.repeat_ms, RULE_DEFAULT_REPEAT_MS);
    CHECK_EQ_INT(r.severity, NOTIFY_SEV_WARNING);
    CHECK(rules_match(&r, "whatever", "v9"));
    CHECK_EQ_INT(
        parse("{\"id\":\"p\",\"model\":\"m\",\"signal\":\"performance\","
              "\"condition\":\"accuracy_drop > 0.05\",\"for\":\"0s\",\"rollback_to\":\"v1\"}",
              &r, err),
        0);
    CHECK_EQ_INT(r.target, RULE_PERFORMANCE);
    CHECK_EQ_INT(r.cond, RULE_ACC_DROP_ABOVE);
    CHECK_EQ_STR(r.rollback_to, "v1");
    CHECK(!rules_match(&r, "other", "v1"));
    CHECK_EQ_INT(
        parse("{\"id\":\"s\",\"model\":\"m\",\"version\":\"v2\",\"signal\":\"feature:age\","
              "\"condition\":\"drift\"}",
              &r, err),
        0);
    CHECK_EQ_INT(r.cond, RULE_DRIFT);
    CHECK(isnan(r.threshold));
    CHECK(rules_match(&r, "m", "v2"));
    CHECK(!rules_match(&r, "m", "v1"));
}

TEST(rule_errors_name_the_member)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"[]", "a rule must be a JSON object"},
        {"{\"id\":\"a\",\"model\":\"m\"} {}", "the body is not JSON"}, /* one value a body */
        {"{\"model\":\"m\"}", "id: required"},
        {"{\"id\":\"a b\",\"model\":\"m\"}", "id: must match"},
        {"{\"id\":\"a\"}", "model: required"},
        {"{\"id\":\"a\",\"model\":\"m\",\"colour\":1}", "colour: unknown member of a rule"},
        {"{\"id\":\"a\",\"model\":\"m\",\"signal\":\"x\"}", "condition: required"},
        {"{\"id\":\"a\",\"model\":\"m\",\"signal\":\"x\",\"condition\":\"p_value > 0.1\"}",
         "condition: 'p_value' takes the operator '<'"},
        {"{\"id\":\"a\",\"model\":\"m\",\"signal\":\"x\",\"condition\":\"p_value < 2\"}",
         "condition: the bound of p_value must be in (0, 1]"},
        {"{\"id\":\"a\",\"model\":\"m\",\"signal\":\"x\",\"condition\":\"p_value < abc\"}",
         "condition: 'abc' is not a number"},
        {"{\"id\":\"a\",\"model\":\"m\",\"signal\":\"x\",\"condition\":\"drift now\"}",
         "condition: expected"},
        {"{\"id\":\"a\",\"model\":\"m\",\"signal\":\"x\",\"condition\":\"accuracy < 0.9\"}",
         "condition: 'accuracy' needs \"signal\": \"performance\""},
        {"{\"id\":\"a\",\"model\":\"m\",\"condition\":\"statistic > 0.1\"}",
         "condition: without a signal the condition is 'drift'"},
        {"{\"id\":\"a\",\"model\":\"m\",\"method\":\"ks\"}", "method: needs a signal"},
        {"{\"id\":\"a\",\"model\":\"m\",\"severity\":\"fatal\"}",
         "severity: 'fatal' is not one of"},
        {"{\"id\":\"a\",\"model\":\"m\",\"for\":\"-1m\"}", "for: '-1m' is not a duration"},
        {"{\"id\":\"a\",\"model\":\"m\",\"repeat\":\"0s\"}", "repeat: '0s'"},
        {"{\"id\":\"a\",\"model\":\"m\",\"receivers\":[\"x\",\"x\"]}",
         "receivers[1]: 'x' is listed twice"},
        {"{\"id\":\"a\",\"model\":\"m\",\"receivers\":[3]}", "receivers[0]: must be a receiver id"},
        {"{\"id\":\"a\",\"model\":\"m\",\"labels\":{\"9x\":\"y\"}}",
         "labels.9x: a name must match"},
        {"{\"id\":\"a\",\"model\":\"m\",\"version\":\"v1\",\"rollback_to\":\"v1\"}",
         "rollback_to: the version the rule watches"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rule r;
        char err[256] = "";
        CHECK_EQ_INT(parse(cases[i].json, &r, err), DD_EINVAL);
        CHECK_STARTS_WITH(err, cases[i].want);
    }
    /* the id of PUT /rules/{id} */
    struct rule r;
    char err[256] = "";
    CHECK_EQ_INT(rules_parse("{\"model\":\"m\"}", 13, "from-path", &r, err, sizeof err), 0);
    CHECK_EQ_STR(r.id, "from-path");
    CHECK_EQ_INT(rules_parse("{\"id\":\"x\",\"model\":\"m\"}", 22, "y", &r, err, sizeof err),
                 DD_EINVAL);
    CHECK_STARTS_WITH(err, "id: 'x' differs");
}

TEST(silence_parse_and_match)
{
    struct silence s;
    char err[256] = "";
    const char *j = "{\"matchers\":{\"model\":\"vit\",\"team\":\"vision\"},"
                    "\"ends_at\":\"2026-01-01T01:00:00Z\",\"comment\":\"deploy\"}";
    int64_t t0 = 1767225600000; /* 2026-01-01T00:00:00Z */
    CHECK_EQ_INT(rules_silence_parse(j, strlen(j), t0, &s, err, sizeof err), 0);
    CHECK_EQ_INT(rules_silence_parse("{} []", 5, t0, &s, err, sizeof err), DD_EINVAL);
    CHECK_EQ_STR(err, "the body is not JSON");
    CHECK_EQ_INT(s.n_matchers, 2);
    CHECK_EQ_INT(s.ends_ms, t0 + 3600000);
    CHECK_EQ_STR(s.comment, "deploy");
    struct rule r;
    CHECK_EQ_INT(
        parse("{\"id\":\"vit-conf\",\"model\":\"vit\",\"labels\":{\"team\":\"vision\"}}", &r, err),
        0);
    CHECK(rules_silenced(&s, 1, &r, "vit", "v2", t0));
    CHECK(!rules_silenced(&s, 1, &r, "vit", "v2", t0 + 3600000)); /* ended */
    CHECK(!rules_silenced(&s, 1, &r, "bert", "v2", t0));
    r.n_labels = 0; /* a matcher on a label the alert does not have */
    CHECK(!rules_silenced(&s, 1, &r, "vit", "v2", t0));
    CHECK_EQ_INT(rules_silence_parse(j, strlen(j), t0 + 3600000, &s, err, sizeof err), DD_EINVAL);
    CHECK_STARTS_WITH(err, "ends_at: must be in the future");
    const char *none = "{\"matchers\":{},\"ends_at\":\"2099-01-01T00:00:00Z\"}";
    CHECK_EQ_INT(rules_silence_parse(none, strlen(none), t0, &s, err, sizeof err), DD_EINVAL);
    CHECK_STARTS_WITH(err, "matchers: at least one");
    /* the stored body reads back */
    CHECK_EQ_INT(rules_silence_parse(j, strlen(j), t0, &s, err, sizeof err), 0);
    struct dd_buf b;
    dd_buf_init(&b);
    rules_silence_body(&s, &b);
    struct silence back;
    CHECK_EQ_INT(rules_silence_parse(b.data, b.len, t0, &back, err, sizeof err), 0);
    CHECK_EQ_MEM(&back, &s, sizeof s);
    dd_buf_release(&b);
}

TEST(config_split)
{
    const char *cfg = "{\"listen\":\"127.0.0.1:9\",\"receivers\":[{\"id\":\"pd\",\"type\":"
                      "\"pagerduty\",\"routing_key\":\"k\"}],\"rules\":[{\"id\":\"r\",\"model\":"
                      "\"*\",\"receivers\":[\"pd\"]}],\"alpha\":0.01}";
    struct dd_buf rules, recv, rest;
    dd_buf_init(&rules);
    dd_buf_init(&recv);
    dd_buf_init(&rest);
    char err[256] = "";
    CHECK_EQ_INT(rules_config_split(cfg, strlen(cfg), &rules, &recv, &rest, err, sizeof err), 0);
    CHECK_EQ_STR(rest.data, "{\"listen\":\"127.0.0.1:9\",\"alpha\":0.01}");
    CHECK_EQ_STR(rules.data, "[{\"id\":\"r\",\"model\":\"*\",\"receivers\":[\"pd\"]}]");
    CHECK_CONTAINS(recv.data, "\"routing_key\":\"k\"");
    dd_buf_reset(&rules);
    dd_buf_reset(&recv);
    dd_buf_reset(&rest);
    const char *bad = "{\"rules\":[{\"id\":\"r\",\"model\":\"*\"},{\"id\":\"s\",\"model\":\"*\","
                      "\"severity\":\"loud\"}]}";
    CHECK_EQ_INT(rules_config_split(bad, strlen(bad), &rules, &recv, &rest, err, sizeof err),
                 DD_EINVAL);
    CHECK_STARTS_WITH(err, "\"rules\"[1]: severity: 'loud'");
    const char *plain = "{\"alpha\":0.01}";
    dd_buf_reset(&rest);
    CHECK_EQ_INT(rules_config_split(plain, strlen(plain), &rules, &recv, &rest, err, sizeof err),
                 0);
    CHECK_EQ_STR(rest.data, plain);
    dd_buf_release(&rules);
    dd_buf_release(&recv);
    dd_buf_release(&rest);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(rule_result_condition);
    RUN(rule_defaults_verdict_performance);
    RUN(rule_errors_name_the_member);
    RUN(silence_parse_and_match);
    RUN(config_split);
    CHECK_DONE();
}
