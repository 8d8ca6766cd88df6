/* test_github.c — server/notify/github.c: the repository_dispatch of a
 * retrain (headers, event_type, a client_payload of at most 10 top-level
 * keys), a rollback without a target, and the read-only test. */
#include "fixture_notify.h"

#define GH_RECEIVER                                                                                \
    "{\"id\": \"ci\", \"type\": \"github\", \"url\": \"https://ghe.example/api/v3/\","             \
    " \"repository\": \"org/models\", \"token\": \"ghp_abc\", \"event_type\": \"driftd-retrain\"}"

#define GH_ROLLBACK                                                                                \
    "{\"id\": \"ci\", \"type\": \"github\", \"repository\": \"org/models\","                       \
    " \"token\": \"ghp_abc\", \"action\": \"rollback\", \"event_type\": \"rb\"}"

TEST(retrain_dispatch)
{
    struct fx_render f;
    fx_render_init(&f, GH_RECEIVER);
    CHECK_EQ_INT(fx_render(&f), 0);
    FX_CHECK_REQUEST(&f, "POST", "https://ghe.example/api/v3/repos/org/models/dispatches");
    FX_CHECK_HEADERS(&f.req, {"Authorization", "Bearer ghp_abc"},
                     {"Accept", "application/vnd.github+json"},
                     {"X-GitHub-Api-Version", "2022-11-28"}, {"User-Agent", "driftd"},
                     {"Content-Type", "application/json"});
    const cJSON *j = fx_render_json(&f);
    CHECK_EQ_INT(fx_size(j, NULL), 2);
    CHECK_EQ_STR(fx_str(j, "event_type"), "driftd-retrain");
    int keys = fx_size(j, "client_payload");
    CHECK_CMP_INT(keys, <=, 10);
    CHECK_EQ_INT(keys, 9);
    FX_CHECK_FACTS(j, .id = "client_payload.message_id", .model = "client_payload.model",
                   .version = "client_payload.version", .report_url = "client_payload.report_url",
                   .rule = "client_payload.alert.rule", .team = "client_payload.alert.labels.team",
                   .p_value = "client_payload.evaluation.p_value",
                   .export_url = "client_payload.action.export_url",
                   .window_from = "client_payload.action.window.from",
                   .window_to = "client_payload.action.window.to");
    CHECK_EQ_STR(fx_str(j, "client_payload.event"), "firing");
    CHECK_STARTS_WITH(fx_str(j, "client_payload.summary"), "Model vit version v3");
    CHECK_EQ_STR(fx_str(j, "client_payload.action.type"), "retrain");

    /* a retrain is not dispatched again when the alert resolves */
    f.m.event = NOTIFY_EVENT_RESOLVED;
    CHECK_EQ_INT(fx_render(&f), NOTIFY_NOTHING_TO_SEND);
    fx_render_done(&f);
}

TEST(rollback_and_test)
{
    struct fx_render f;
    fx_render_init(&f, GH_ROLLBACK);
    CHECK_EQ_INT(fx_render(&f), 0);
    CHECK_EQ_STR(f.req.url, "https://api.github.com/repos/org/models/dispatches");
    const cJSON *j = fx_render_json(&f);
    CHECK_EQ_STR(fx_str(j, "event_type"), "rb");
    CHECK_EQ_STR(fx_str(j, "client_payload.action.type"), "rollback");
    CHECK_EQ_STR(fx_str(j, "client_payload.action.to_version"), "v2");
    fx_render_done(&f);

    /* no target: nothing to send, and why; a test reads the repository all the same */
    FX_CHECK_ROLLBACK_NOTHING(GH_ROLLBACK);
    FX_CHECK_TEST_READS(GH_ROLLBACK, "https://api.github.com/repos/org/models", "Bearer ghp_abc");
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(retrain_dispatch);
    RUN(rollback_and_test);
    CHECK_DONE();
}
