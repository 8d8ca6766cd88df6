/* test_mlflow.c — server/notify/mlflow.c: the alias POST of a rollback (with
 * the versions map, the token), nothing to send without a target or on
 * resolve, and the read-only request of a test. */
#include "fixture_notify.h"

#define MLFLOW_RECEIVER                                                                            \
    "{\"id\": \"registry\", \"type\": \"mlflow\", \"url\": \"http://mlflow:5000/\","               \
    " \"token\": \"t0k\", \"registered_model\": \"vit-prod\", \"alias\": \"champion\","            \
    " \"versions\": {\"v2\": \"11\", \"v3\": \"12\"}}"

TEST(rollback_sets_the_alias)
{
    struct notify_receiver r = fx_receiver(MLFLOW_RECEIVER);
    struct notify_message m;
    fx_message(&m);
    struct notify_request req;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK_EQ_STR(req.method, "POST");
    CHECK_EQ_STR(req.url, "http://mlflow:5000/api/2.0/mlflow/registered-models/alias");
    CHECK_EQ_STR(fx_header(&req, "Authorization"), "Bearer t0k");
    CHECK_EQ_STR(fx_header(&req, "Content-Type"), "application/json");
    CHECK_EQ_STR(req.body, "{\"name\":\"vit-prod\",\"alias\":\"champion\",\"version\":\"11\"}");
    notify_request_release(&req);
    notify_receiver_release(&r);

    /* no map entry, no token, no registered_model: the names as they are */
    r = fx_receiver("{\"id\": \"registry\", \"type\": \"mlflow\", \"url\": \"https://m.example\"}");
    m.rollback_to = "7";
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK(fx_header(&req, "Authorization") == NULL);
    CHECK_EQ_STR(req.url, "https://m.example/api/2.0/mlflow/registered-models/alias");
    CHECK_EQ_STR(req.body, "{\"name\":\"vit\",\"alias\":\"champion\",\"version\":\"7\"}");
    notify_request_release(&req);
    notify_receiver_release(&r);
}

TEST(nothing_to_send)
{
    struct notify_receiver r = fx_receiver(MLFLOW_RECEIVER);
    struct notify_message m;
    fx_message(&m);
    m.rollback_to = NULL;
    m.rollback_reason = "no other version without drift";
    struct notify_request req;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), NOTIFY_NOTHING_TO_SEND);
    CHECK_EQ_STR(req.reason, "no other version without drift");
    CHECK(req.url == NULL);
    CHECK(req.body == NULL);
    notify_request_release(&req);
    m.rollback_reason = NULL;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), NOTIFY_NOTHING_TO_SEND);
    CHECK_EQ_STR(req.reason, "the alert has no rollback target");
    notify_request_release(&req);
    fx_message(&m);
    m.event = NOTIFY_EVENT_RESOLVED;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), NOTIFY_NOTHING_TO_SEND);
    CHECK_CONTAINS(req.reason, "not when it resolves");
    notify_request_release(&req);
    notify_receiver_release(&r);
}

TEST(test_only_reads)
{
    struct notify_receiver r = fx_receiver(MLFLOW_RECEIVER);
    struct notify_message m;
    fx_message(&m);
    m.event = NOTIFY_EVENT_TEST;
    struct notify_request req;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK_EQ_STR(req.method, "GET");
    CHECK_EQ_STR(req.url, "http://mlflow:5000/api/2.0/mlflow/registered-models/get?name=vit-prod");
    CHECK_EQ_STR(fx_header(&req, "Authorization"), "Bearer t0k");
    CHECK(req.body == NULL);
    notify_request_release(&req);
    notify_receiver_release(&r);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(rollback_sets_the_alias);
    RUN(nothing_to_send);
    RUN(test_only_reads);
    CHECK_DONE();
}
