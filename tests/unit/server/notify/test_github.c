/* test_github.c — server/notify/github.c: the repository_dispatch of a
 * retrain (headers, event_type, a client_payload of at most 10 top-level
 * keys), a rollback without a target, and the read-only test. */
#include "fixture_notify.h"

#define GH_RECEIVER                                                                                \
    "{\"id\": \"ci\", \"type\": \"github\", \"url\": \"https://ghe.example/api/v3/\","             \
    " \"repository\": \"org/models\", \"token\": \"ghp_abc\", \"event_type\": \"driftd-retrain\"}"

TEST(retrain_dispatch)
{
    struct notify_receiver r = fx_receiver(GH_RECEIVER);
    struct notify_message m;
    fx_message(&m);
    struct notify_request req;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK_EQ_STR(req.method, "POST");
    CHECK_EQ_STR(req.url, "https://ghe.example/api/v3/repos/org/models/dispatches");
    CHECK_EQ_STR(fx_header(&req, "Authorization"), "Bearer ghp_abc");
    CHECK_EQ_STR(fx_header(&req, "Accept"), "application/vnd.github+json");
    CHECK_EQ_STR(fx_header(&req, "X-GitHub-Api-Version"), "2022-11-28");
    CHECK_EQ_STR(fx_header(&req, "User-Agent"), "driftd");
    CHECK_EQ_STR(fx_header(&req, "Content-Type"), "application/json");
    cJSON *j = fx_body(&req);
    CHECK_EQ_INT(fx_size(j, NULL), 2);
    CHECK_EQ_STR(fx_str(j, "event_type"), "driftd-retrain");
    int keys = fx_size(j, "client_payload");
    CHECK_CMP_INT(keys, <=, 10);
    CHECK_EQ_INT(keys, 9);
    CHECK_EQ_STR(fx_str(j, "client_payload.message_id"), "msg_p5jXN8AQM9LWM0D4loKWxJek");
    CHECK_EQ_STR(fx_str(j, "client_payload.event"), "firing");
    CHECK_EQ_STR(fx_str(j, "client_payload.model"), "vit");
    CHECK_EQ_STR(fx_str(j, "client_payload.version"), "v3");
    CHECK_STARTS_WITH(fx_str(j, "client_payload.summary"), "Model vit version v3");
    CHECK_EQ_STR(fx_str(j, "client_payload.report_url"),
                 "http://driftd.example:8080/api/v1/models/vit/drift?version=v3");
    CHECK_EQ_STR(fx_str(j, "client_payload.alert.rule"), "vit-conf");
    CHECK_EQ_STR(fx_str(j, "client_payload.alert.labels.team"), "vision");
    CHECK_EQ_DBL(fx_num(j, "client_payload.evaluation.p_value"), 0.0031);
    CHECK_EQ_STR(fx_str(j, "client_payload.action.type"), "retrain");
    CHECK_EQ_STR(fx_str(j, "client_payload.action.export_url"),
                 "http://driftd.example:8080/api/v1/models/vit/events?version=v3");
    CHECK_EQ_STR(fx_str(j, "client_payload.action.window.from"), "2026-11-22T10:00:00.000Z");
    CHECK_EQ_STR(fx_str(j, "client_payload.action.window.to"), "2026-11-22T11:00:00.000Z");
    cJSON_Delete(j);
    notify_request_release(&req);

    /* a retrain is not dispatched again when the alert resolves */
    m.event = NOTIFY_EVENT_RESOLVED;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), NOTIFY_NOTHING_TO_SEND);
    notify_request_release(&req);
    notify_receiver_release(&r);
}

TEST(rollback_and_test)
{
    struct notify_receiver r =
        fx_receiver("{\"id\": \"ci\", \"type\": \"github\", \"repository\": \"org/models\","
                    " \"token\": \"ghp_abc\", \"action\": \"rollback\", \"event_type\": \"rb\"}");
    struct notify_message m;
    fx_message(&m);
    struct notify_request req;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK_EQ_STR(req.url, "https://api.github.com/repos/org/models/dispatches");
    cJSON *j = fx_body(&req);
    CHECK_EQ_STR(fx_str(j, "event_type"), "rb");
    CHECK_EQ_STR(fx_str(j, "client_payload.action.type"), "rollback");
    CHECK_EQ_STR(fx_str(j, "client_payload.action.to_version"), "v2");
    cJSON_Delete(j);
    notify_request_release(&req);
    m.rollback_to = NULL;
    m.rollback_reason = "every other version drifts too";
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), NOTIFY_NOTHING_TO_SEND);
    CHECK_EQ_STR(req.reason, "every other version drifts too");
    notify_request_release(&req);
    m.event = NOTIFY_EVENT_TEST;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK_EQ_STR(req.method, "GET");
    CHECK_EQ_STR(req.url, "https://api.github.com/repos/org/models");
    CHECK_EQ_STR(fx_header(&req, "Authorization"), "Bearer ghp_abc");
    CHECK(req.body == NULL);
    notify_request_release(&req);
    notify_receiver_release(&r);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(retrain_dispatch);
    RUN(rollback_and_test);
    CHECK_DONE();
}
