/* test_torchserve.c — server/notify/torchserve.c: the set-default PUT of a
 * rollback (mapped version, escaped path segments, no body), nothing to send
 * without a target, a GET for a test, and "." / ".." refused as segments. */
#include "fixture_notify.h"

#include "base/err.h"

/* no model_name: the alert's model is used */
#define TS_BARE                                                                                    \
    "{\"id\": \"serve\", \"type\": \"torchserve\", \"management_url\": \"http://ts:8081\"}"

#define TS_VIT                                                                                     \
    "{\"id\": \"serve\", \"type\": \"torchserve\", \"management_url\": \"http://ts:8081\","        \
    " \"model_name\": \"vit\"}"

TEST(rollback_sets_the_default)
{
    static const struct fx_case rows[] = {
        {"mapped version, token",
         "{\"id\": \"serve\", \"type\": \"torchserve\", \"management_url\": "
         "\"http://ts:8081/\", \"model_name\": \"vit\", \"token\": \"mgmt\", "
         "\"versions\": {\"v2\": \"2.0\"}}",
         {0},
         {.method = "PUT",
          .url = "http://ts:8081/models/vit/2.0/set-default",
          .headers = {{"Authorization", "Bearer mgmt"}},
          .body = FX_ABSENT}},
        {"odd characters escaped",
         TS_BARE,
         {.model = "my model", .rollback_to = "v1/x"},
         {.url = "http://ts:8081/models/my%20model/v1%2Fx/set-default",
          .headers = {{"Authorization", FX_ABSENT}}}},
        {"'..' is no segment",
         TS_BARE,
         {.model = "my model", .rollback_to = ".."},
         {.rc = DD_EINVAL}},
    };
    FX_CHECK_CASES(rows);
}

TEST(nothing_to_send_and_test)
{
    FX_CHECK_ROLLBACK_NOTHING(TS_VIT);
    FX_CHECK_TEST_READS(TS_VIT, "http://ts:8081/models/vit", FX_ABSENT);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(rollback_sets_the_default);
    RUN(nothing_to_send_and_test);
    CHECK_DONE();
}
