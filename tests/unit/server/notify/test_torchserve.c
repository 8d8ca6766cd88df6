/* test_torchserve.c — server/notify/torchserve.c: the set-default PUT of a
 * rollback (mapped version, escaped path segments, no body), nothing to send
 * without a target, a GET for a test, and "." / ".." refused as segments. */
#include "fixture_notify.h"

#include "base/err.h"

TEST(rollback_sets_the_default)
{
    struct notify_receiver r =
        fx_receiver("{\"id\": \"serve\", \"type\": \"torchserve\", \"management_url\": "
                    "\"http://ts:8081/\", \"model_name\": \"vit\", \"token\": \"mgmt\", "
                    "\"versions\": {\"v2\": \"2.0\"}}");
    struct notify_message m;
    fx_message(&m);
    struct notify_request req;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK_EQ_STR(req.method, "PUT");
    CHECK_EQ_STR(req.url, "http://ts:8081/models/vit/2.0/set-default");
    CHECK_EQ_STR(fx_header(&req, "Authorization"), "Bearer mgmt");
    CHECK(req.body == NULL);
    CHECK_EQ_INT(req.body_len, 0);
    notify_request_release(&req);
    notify_receiver_release(&r);

    /* no model_name: the alert's model; odd characters escaped */
    r = fx_receiver("{\"id\": \"serve\", \"type\": \"torchserve\", \"management_url\": "
                    "\"http://ts:8081\"}");
    m.model = "my model";
    m.rollback_to = "v1/x";
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK_EQ_STR(req.url, "http://ts:8081/models/my%20model/v1%2Fx/set-default");
    CHECK(fx_header(&req, "Authorization") == NULL);
    notify_request_release(&req);
    m.rollback_to = "..";
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), DD_EINVAL);
    notify_receiver_release(&r);
}

TEST(nothing_to_send_and_test)
{
    struct notify_receiver r =
        fx_receiver("{\"id\": \"serve\", \"type\": \"torchserve\", \"management_url\": "
                    "\"http://ts:8081\", \"model_name\": \"vit\"}");
    struct notify_message m;
    fx_message(&m);
    m.rollback_to = NULL;
    struct notify_request req;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), NOTIFY_NOTHING_TO_SEND);
    CHECK_EQ_STR(req.reason, "the alert has no rollback target");
    notify_request_release(&req);
    m.event = NOTIFY_EVENT_RESOLVED;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), NOTIFY_NOTHING_TO_SEND);
    notify_request_release(&req);
    m.event = NOTIFY_EVENT_TEST;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK_EQ_STR(req.method, "GET");
    CHECK_EQ_STR(req.url, "http://ts:8081/models/vit");
    notify_request_release(&req);
    notify_receiver_release(&r);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(rollback_sets_the_default);
    RUN(nothing_to_send_and_test);
    CHECK_DONE();
}
