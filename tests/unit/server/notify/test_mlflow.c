/* test_mlflow.c — server/notify/mlflow.c: the alias POST of a rollback (with
 * the versions map, the token), nothing to send without a target or on
 * resolve, and the read-only request of a test. */
#include "fixture_notify.h"

#define MLFLOW_RECEIVER                                                                            \
    "{\"id\": \"registry\", \"type\": \"mlflow\", \"url\": \"http://mlflow:5000/\","               \
    " \"token\": \"t0k\", \"registered_model\": \"vit-prod\", \"alias\": \"champion\","            \
    " \"versions\": {\"v2\": \"11\", \"v3\": \"12\"}}"

/* no map entry, no token, no registered_model: the names as they are */
#define MLFLOW_BARE "{\"id\": \"registry\", \"type\": \"mlflow\", \"url\": \"https://m.example\"}"

TEST(rollback_sets_the_alias)
{
    static const struct fx_case rows[] = {
        {"mapped version, token, registered_model",
         MLFLOW_RECEIVER,
         {0},
         {.method = "POST",
          .url = "http://mlflow:5000/api/2.0/mlflow/registered-models/alias",
          .headers = {{"Authorization", "Bearer t0k"}, {"Content-Type", "application/json"}},
          .body = "{\"name\":\"vit-prod\",\"alias\":\"champion\",\"version\":\"11\"}"}},
        {"the names as they are",
         MLFLOW_BARE,
         {.rollback_to = "7"},
         {.url = "https://m.example/api/2.0/mlflow/registered-models/alias",
          .headers = {{"Authorization", FX_ABSENT}},
          .body = "{\"name\":\"vit\",\"alias\":\"champion\",\"version\":\"7\"}"}},
    };
    FX_CHECK_CASES(rows);
}

TEST(nothing_to_send)
{
    FX_CHECK_ROLLBACK_NOTHING(MLFLOW_RECEIVER);
}

TEST(test_only_reads)
{
    FX_CHECK_TEST_READS(MLFLOW_RECEIVER,
                        "http://mlflow:5000/api/2.0/mlflow/registered-models/get?name=vit-prod",
                        "Bearer t0k");
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(rollback_sets_the_alias);
    RUN(nothing_to_send);
    RUN(test_only_reads);
    CHECK_DONE();
}
