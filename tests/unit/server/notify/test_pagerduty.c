/* test_pagerduty.c — server/notify/pagerduty.c: the Events API v2 trigger
 * (every payload field, PagerDuty's limits) and the resolve. */
#include "fixture_notify.h"

#define PD_RECEIVER                                                                                \
    "{\"id\": \"oncall\", \"type\": \"pagerduty\", \"routing_key\": "                              \
    "\"R0123456789abcdef0123456789abcde\"}"

TEST(trigger)
{
    struct fx_render f;
    fx_render_init(&f, PD_RECEIVER);
    CHECK_EQ_INT(fx_render(&f), 0);
    FX_CHECK_REQUEST(&f, "POST", "https://events.pagerduty.com/v2/enqueue");
    /* no Authorization: the routing key is the credential */
    FX_CHECK_HEADERS(&f.req, {"Content-Type", "application/json"}, {"Authorization", FX_ABSENT});
    const cJSON *j = fx_render_json(&f);
    CHECK_EQ_INT(fx_size(j, NULL), 7); /* routing_key .. client_url */
    CHECK_EQ_STR(fx_str(j, "routing_key"), "R0123456789abcdef0123456789abcde");
    CHECK_EQ_STR(fx_str(j, "event_action"), "trigger");
    FX_CHECK_FACTS(
        j, .alert_key = "dedup_key", .severity = "payload.severity",
        .started_at = "payload.timestamp", .model = "payload.component", .version = "payload.group",
        .signal = "payload.class", .method = "payload.custom_details.method",
        .statistic = "payload.custom_details.statistic", .value = "payload.custom_details.value",
        .p_value = "payload.custom_details.p_value",
        .threshold = "payload.custom_details.threshold",
        .condition = "payload.custom_details.condition",
        .window_from = "payload.custom_details.window.from",
        .window_to = "payload.custom_details.window.to",
        .events_current = "payload.custom_details.events.current",
        .events_reference = "payload.custom_details.events.reference",
        .rule = "payload.custom_details.rule", .team = "payload.custom_details.labels.team",
        .tier = "payload.custom_details.labels.tier", .report_url = "links.0.href",
        .external_url = "client_url");
    CHECK_EQ_STR(fx_str(j, "payload.summary"),
                 "Model vit version v3: confidence has drifted from its reference (p_value < 0.01, "
                 "value 0.0031, ks p=0.0031) over 2026-11-22 10:00 to 11:00 UTC, 1234 events; rule "
                 "vit-conf");
    CHECK_EQ_STR(fx_str(j, "payload.source"), "driftd");
    CHECK(cJSON_IsFalse(fx_get(j, "payload.custom_details.test")));
    CHECK(fx_get(j, "payload.custom_details.action") == NULL); /* a notify receiver */
    CHECK_EQ_INT(fx_size(j, "links"), 1);
    CHECK_EQ_STR(fx_str(j, "links.0.text"), "driftd drift report: vit v3");
    CHECK_EQ_STR(fx_str(j, "client"), "driftd");
    fx_render_done(&f);
}

TEST(resolve_has_only_three_members)
{
    struct fx_render f;
    fx_render_init(&f, PD_RECEIVER);
    fx_resolve(&f.m);
    CHECK_EQ_INT(fx_render(&f), 0);
    CHECK_EQ_STR(f.req.method, "POST");
    CHECK_EQ_STR(f.req.body,
                 "{\"routing_key\":\"R0123456789abcdef0123456789abcde\","
                 "\"event_action\":\"resolve\",\"dedup_key\":\"driftd/vit-conf/vit/v3\"}");
    fx_render_done(&f);
}

TEST(limits_and_test_event)
{
    /* a custom URL, a condition of 2000 characters, the longest names */
    struct fx_render f;
    fx_render_init(&f, "{\"id\": \"oncall\", \"type\": \"pagerduty\", \"routing_key\": \"k\", "
                       "\"url\": \"http://127.0.0.1:9/v2/enqueue\", \"action\": \"rollback\"}");
    char cond[2001], name[129], key[NOTIFY_KEY_MAX + 1];
    memset(cond, 'c', 2000);
    cond[2000] = '\0';
    memset(name, 'n', 128);
    name[128] = '\0';
    notify_alert_key(name, name, name, key);
    f.m.condition = cond;
    f.m.model = f.m.version = f.m.rule = name;
    f.m.alert_key = key;
    f.m.rollback_to = NULL;
    f.m.rollback_reason = "no other version without drift";
    CHECK_EQ_INT(fx_render(&f), 0);
    CHECK_EQ_STR(f.req.url, "http://127.0.0.1:9/v2/enqueue");
    const cJSON *j = fx_render_json(&f);
    CHECK_CMP_INT(strlen(fx_str(j, "payload.summary")), <=, 1024);
    CHECK_CMP_INT(strlen(fx_str(j, "payload.summary")), >=, 1000);
    CHECK_CMP_INT(strlen(fx_str(j, "dedup_key")), <=, 255);
    CHECK_EQ_STR(fx_str(j, "dedup_key"), key);
    CHECK_EQ_STR(fx_str(j, "payload.custom_details.action.type"), "rollback");
    CHECK(fx_is_null(j, "payload.custom_details.action.to_version"));
    CHECK_EQ_STR(fx_str(j, "payload.custom_details.action.reason"),
                 "no other version without drift");

    /* a test: a trigger at severity info, marked as a test, timestamped now */
    fx_message(&f.m);
    f.m.event = NOTIFY_EVENT_TEST;
    f.m.started_at_ms = -1;
    CHECK_EQ_INT(fx_render(&f), 0);
    j = fx_render_json(&f);
    CHECK_EQ_STR(fx_str(j, "event_action"), "trigger");
    CHECK_EQ_STR(fx_str(j, "payload.severity"), "info");
    CHECK(cJSON_IsTrue(fx_get(j, "payload.custom_details.test")));
    CHECK_EQ_STR(fx_str(j, "payload.timestamp"), "2026-11-18T11:06:40.123Z");
    CHECK_STARTS_WITH(fx_str(j, "payload.summary"), "driftd test notification");
    fx_render_done(&f);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(trigger);
    RUN(resolve_has_only_three_members);
    RUN(limits_and_test_event);
    CHECK_DONE();
}
