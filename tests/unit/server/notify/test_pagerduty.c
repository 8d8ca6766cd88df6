/* test_pagerduty.c — server/notify/pagerduty.c: the Events API v2 trigger
 * (every payload field, PagerDuty's limits) and the resolve. */
#include "fixture_notify.h"

#define PD_RECEIVER                                                                                \
    "{\"id\": \"oncall\", \"type\": \"pagerduty\", \"routing_key\": "                              \
    "\"R0123456789abcdef0123456789abcde\"}"

TEST(trigger)
{
    struct notify_receiver r = fx_receiver(PD_RECEIVER);
    struct notify_message m;
    fx_message(&m);
    struct notify_request req;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK_EQ_STR(req.method, "POST");
    CHECK_EQ_STR(req.url, "https://events.pagerduty.com/v2/enqueue");
    CHECK_EQ_STR(fx_header(&req, "Content-Type"), "application/json");
    CHECK(fx_header(&req, "Authorization") == NULL); /* the routing key is the credential */
    cJSON *j = fx_body(&req);
    CHECK_EQ_INT(fx_size(j, NULL), 7); /* routing_key .. client_url */
    CHECK_EQ_STR(fx_str(j, "routing_key"), "R0123456789abcdef0123456789abcde");
    CHECK_EQ_STR(fx_str(j, "event_action"), "trigger");
    CHECK_EQ_STR(fx_str(j, "dedup_key"), "driftd/vit-conf/vit/v3");
    CHECK_EQ_STR(fx_str(j, "payload.summary"),
                 "Model vit version v3: confidence has drifted from its reference (p_value < 0.01, "
                 "value 0.0031, ks p=0.0031) over 2026-11-22 10:00 to 11:00 UTC, 1234 events; rule "
                 "vit-conf");
    CHECK_EQ_STR(fx_str(j, "payload.source"), "driftd");
    CHECK_EQ_STR(fx_str(j, "payload.severity"), "critical");
    CHECK_EQ_STR(fx_str(j, "payload.timestamp"), "2026-11-22T11:05:00.000Z");
    CHECK_EQ_STR(fx_str(j, "payload.component"), "vit");
    CHECK_EQ_STR(fx_str(j, "payload.group"), "v3");
    CHECK_EQ_STR(fx_str(j, "payload.class"), "confidence");
    CHECK(cJSON_IsFalse(fx_get(j, "payload.custom_details.test")));
    CHECK_EQ_STR(fx_str(j, "payload.custom_details.method"), "ks");
    CHECK_EQ_DBL(fx_num(j, "payload.custom_details.statistic"), 0.21);
    CHECK_EQ_DBL(fx_num(j, "payload.custom_details.p_value"), 0.0031);
    CHECK_EQ_DBL(fx_num(j, "payload.custom_details.threshold"), 0.01);
    CHECK_EQ_DBL(fx_num(j, "payload.custom_details.value"), 0.0031);
    CHECK_EQ_STR(fx_str(j, "payload.custom_details.condition"), "p_value < 0.01");
    CHECK_EQ_STR(fx_str(j, "payload.custom_details.window.from"), "2026-11-22T10:00:00.000Z");
    CHECK_EQ_STR(fx_str(j, "payload.custom_details.window.to"), "2026-11-22T11:00:00.000Z");
    CHECK_EQ_DBL(fx_num(j, "payload.custom_details.events.current"), 1234);
    CHECK_EQ_DBL(fx_num(j, "payload.custom_details.events.reference"), 1000);
    CHECK_EQ_STR(fx_str(j, "payload.custom_details.rule"), "vit-conf");
    CHECK_EQ_STR(fx_str(j, "payload.custom_details.labels.team"), "vision");
    CHECK_EQ_STR(fx_str(j, "payload.custom_details.labels.tier"), "gold");
    CHECK(fx_get(j, "payload.custom_details.action") == NULL); /* a notify receiver */
    CHECK_EQ_INT(fx_size(j, "links"), 1);
    CHECK_EQ_STR(fx_str(j, "links.0.href"),
                 "http://driftd.example:8080/api/v1/models/vit/drift?version=v3");
    CHECK_EQ_STR(fx_str(j, "links.0.text"), "driftd drift report: vit v3");
    CHECK_EQ_STR(fx_str(j, "client"), "driftd");
    CHECK_EQ_STR(fx_str(j, "client_url"), "http://driftd.example:8080");
    cJSON_Delete(j);
    notify_request_release(&req);
    notify_receiver_release(&r);
}

TEST(resolve_has_only_three_members)
{
    struct notify_receiver r = fx_receiver(PD_RECEIVER);
    struct notify_message m;
    fx_message(&m);
    m.event = NOTIFY_EVENT_RESOLVED;
    m.resolved_at_ms = fx_time("2026-11-22T12:00:00Z");
    struct notify_request req;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK_EQ_STR(req.method, "POST");
    CHECK_EQ_STR(req.body,
                 "{\"routing_key\":\"R0123456789abcdef0123456789abcde\","
                 "\"event_action\":\"resolve\",\"dedup_key\":\"driftd/vit-conf/vit/v3\"}");
    notify_request_release(&req);
    notify_receiver_release(&r);
}

TEST(limits_and_test_event)
{
    /* a custom URL, a condition of 2000 characters, the longest names */
    struct notify_receiver r =
        fx_receiver("{\"id\": \"oncall\", \"type\": \"pagerduty\", \"routing_key\": \"k\", "
                    "\"url\": \"http://127.0.0.1:9/v2/enqueue\", \"action\": \"rollback\"}");
    char cond[2001], name[129], key[NOTIFY_KEY_MAX + 1];
    memset(cond, 'c', 2000);
    cond[2000] = '\0';
    memset(name, 'n', 128);
    name[128] = '\0';
    notify_alert_key(name, name, name, key);
    struct notify_message m;
    fx_message(&m);
    m.condition = cond;
    m.model = m.version = m.rule = name;
    m.alert_key = key;
    m.rollback_to = NULL;
    m.rollback_reason = "no other version without drift";
    struct notify_request req;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK_EQ_STR(req.url, "http://127.0.0.1:9/v2/enqueue");
    cJSON *j = fx_body(&req);
    CHECK_CMP_INT(strlen(fx_str(j, "payload.summary")), <=, 1024);
    CHECK_CMP_INT(strlen(fx_str(j, "payload.summary")), >=, 1000);
    CHECK_CMP_INT(strlen(fx_str(j, "dedup_key")), <=, 255);
    CHECK_EQ_STR(fx_str(j, "dedup_key"), key);
    CHECK_EQ_STR(fx_str(j, "payload.custom_details.action.type"), "rollback");
    CHECK(fx_is_null(j, "payload.custom_details.action.to_version"));
    CHECK_EQ_STR(fx_str(j, "payload.custom_details.action.reason"),
                 "no other version without drift");
    cJSON_Delete(j);
    notify_request_release(&req);

    /* a test: a trigger at severity info, marked as a test, timestamped now */
    fx_message(&m);
    m.event = NOTIFY_EVENT_TEST;
    m.started_at_ms = -1;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    j = fx_body(&req);
    CHECK_EQ_STR(fx_str(j, "event_action"), "trigger");
    CHECK_EQ_STR(fx_str(j, "payload.severity"), "info");
    CHECK(cJSON_IsTrue(fx_get(j, "payload.custom_details.test")));
    CHECK_EQ_STR(fx_str(j, "payload.timestamp"), "2026-11-18T11:06:40.123Z");
    CHECK_STARTS_WITH(fx_str(j, "payload.summary"), "driftd test notification");
    cJSON_Delete(j);
    notify_request_release(&req);
    notify_receiver_release(&r);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(trigger);
    RUN(resolve_has_only_three_members);
    RUN(limits_and_test_event);
    CHECK_DONE();
}
